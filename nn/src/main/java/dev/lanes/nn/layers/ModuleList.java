package dev.lanes.nn.layers;

import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** {@code torch.nn.ModuleList}: holds modules (named "0", "1", ...) so their parameters are registered. */
public class ModuleList extends Module implements Iterable<Module> {
    private final List<Module> modules = new ArrayList<>();

    public ModuleList(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    public ModuleList add(Module module) {
        modules.add(registerModule(String.valueOf(modules.size()), module));
        return this;
    }

    public Module get(int index) {
        return modules.get(index);
    }

    public int size() {
        return modules.size();
    }

    @Override
    public Iterator<Module> iterator() {
        return modules.iterator();
    }

    /** A ModuleList is a container, not a layer: it has no forward of its own. */
    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("ModuleList has no forward(); iterate over its modules");
    }
}
