/** Saving and loading tensors and state dicts in the safetensors format, readable by PyTorch. */
package dev.lanes.nn.io;
