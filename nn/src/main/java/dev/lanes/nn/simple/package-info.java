/** A beginner API in the style of the seed tutorials: {@code new MLP(3, 4, 1, "sigmoid")}, {@code train}, {@code predict}. */
package dev.lanes.nn.simple;
