/** Optimizers with PyTorch's definitions and defaults, each one fused kernel pass per parameter, and their parameter groups. */
package dev.lanes.nn.optim;
