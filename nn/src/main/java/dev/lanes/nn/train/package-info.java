/** Training utilities: a progress line, loss and accuracy history with PNG and SVG charts, early stopping. */
package dev.lanes.nn.train;
