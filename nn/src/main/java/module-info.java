/**
 * Lanes nn: tensors with autograd, layers, losses and initialisation with PyTorch's definitions; optimizers,
 * learning-rate schedules, data loading, safetensors files and training utilities; built on
 * {@code dev.lanes.kernels}.
 */
module dev.lanes.nn {
    requires transitive dev.lanes.kernels;

    exports dev.lanes.nn;
    exports dev.lanes.nn.data;
    exports dev.lanes.nn.inference;
    exports dev.lanes.nn.init;
    exports dev.lanes.nn.io;
    exports dev.lanes.nn.layers;
    exports dev.lanes.nn.losses;
    exports dev.lanes.nn.models;
    exports dev.lanes.nn.optim;
    exports dev.lanes.nn.optim.lr;
    exports dev.lanes.nn.simple;
    exports dev.lanes.nn.train;
    exports dev.lanes.nn.utils;
}
