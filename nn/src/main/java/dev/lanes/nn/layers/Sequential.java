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
