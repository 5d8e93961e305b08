/** Lanes nn: PyTorch-style operations and layers built on {@code dev.lanes.kernels}. */
module dev.lanes.nn {
    requires transitive dev.lanes.kernels;

    exports dev.lanes.nn;
    exports dev.lanes.nn.functional;
}
