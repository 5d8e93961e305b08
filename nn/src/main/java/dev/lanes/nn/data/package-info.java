/** Datasets, a batching and shuffling {@code DataLoader}, and readers for MNIST IDX and CSV files. */
package dev.lanes.nn.data;
