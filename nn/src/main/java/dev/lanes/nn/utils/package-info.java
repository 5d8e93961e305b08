/** Gradient clipping and regularisation penalties, like {@code torch.nn.utils}. */
package dev.lanes.nn.utils;
