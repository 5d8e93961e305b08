/** Learning-rate schedules, like {@code torch.optim.lr_scheduler}. */
package dev.lanes.nn.optim.lr;
