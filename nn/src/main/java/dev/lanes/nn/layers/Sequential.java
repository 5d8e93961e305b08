package dev.lanes.nn.layers;

import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.List;

/** {@code torch.nn.Sequential}: children named "0", "1", ... applied in order. */
public class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a module (named by its index). Returns this. */
    public Sequential add(Module module) {
        layers.add(registerModule(String.valueOf(layers.size()), module));
        return this;
    }

    public Module get(int index) {
        return layers.get(index);
    }

    /**
     * Replaces the module at {@code index} (PyTorch's {@code model[index] = module}), e.g. a new head for
     * fine-tuning; a negative index counts from the end ({@code model[-1] = head}). Its parameters take the
     * old one's names ({@code "2.weight"}). Returns this.
     */
    public Sequential set(int index, Module module) {
        if (index < -layers.size() || index >= layers.size()) {
            throw new IndexOutOfBoundsException("Sequential.set: index " + index + " is not in [" + -layers.size() + ", "
                    + layers.size() + ")");
        }
        if (index < 0) {
            index += layers.size();
        }
        layers.set(index, registerModule(String.valueOf(index), module));
        return this;
    }

    public int size() {
        return layers.size();
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }
}
