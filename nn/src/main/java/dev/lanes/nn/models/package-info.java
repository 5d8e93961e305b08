/**
 * Complete models built from the layers: {@link dev.lanes.nn.models.GPT}, a decoder-only transformer with
 * nanoGPT's structure and parameter names, with KV-cache generation and {@link dev.lanes.nn.models.Sampler}
 * (temperature, top-k, top-p).
 */
package dev.lanes.nn.models;
