package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.Dropout(p=0.5)}: active in training mode only. Masks come from seeds drawn from a
 * generator (the default one unless given), so a seeded run is reproducible.
 */
public class Dropout extends Module {
    private final float p;
    private final Generator generator;

    public Dropout() {
        this(0.5f);
    }

    public Dropout(float p) {
        this(p, null);
    }

    public Dropout(float p, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
        this.generator = generator == null ? Generator.defaultGenerator() : generator;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.dropout(x, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + pythonFloat(p) + ", inplace=False";
    }
}
