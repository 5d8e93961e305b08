package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;

/**
 * A learned position table ({@code weight (numPositions, dim)}, N(0, 1) as {@code nn.Embedding}), added to the
 * input: the same as PyTorch's {@code x + pos_emb(torch.arange(offset, offset + T))} with
 * {@code pos_emb = nn.Embedding(num_positions, dim)} (GPT-2's {@code wpe}), without building the index tensor.
 * Its single parameter is named {@code weight}, like an {@code nn.Embedding}'s, so such a table loads as it is.
 */
public class LearnedPositionalEmbedding extends Module {
    private final int numPositions, dim;
    private final boolean batchFirst;
    private final Tensor weight;

    /** {@code (T, N, E)} inputs, as the torch.nn Transformer layers by default. */
    public LearnedPositionalEmbedding(int numPositions, int dim) {
        this(numPositions, dim, false, null);
    }

    public LearnedPositionalEmbedding(int numPositions, int dim, boolean batchFirst, Generator generator) {
        if (numPositions <= 0 || dim <= 0) {
            throw new IllegalArgumentException("LearnedPositionalEmbedding: num_positions (" + numPositions + ") and dim ("
                    + dim + ") must be > 0");
        }
        this.numPositions = numPositions;
        this.dim = dim;
        this.batchFirst = batchFirst;
        Generator g = generator == null ? Generator.defaultGenerator() : generator;
        synchronized (g) {
            this.weight = registerParameter("weight", Init.normal(Tensor.zeros(numPositions, dim), 0f, 1f, g));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, 0);
    }

    /** {@code x + weight[offset : offset + T]} for {@code x (T, N, E)}, {@code (N, T, E)} with batchFirst, or {@code (T, E)}. */
    public Tensor forward(Tensor x, int positionOffset) {
        return x.add(SinusoidalPositionalEncoding.positionSlice("LearnedPositionalEmbedding", weight, x, positionOffset, batchFirst));
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    protected String extraRepr() {
        return numPositions + ", " + dim + ", batch_first=" + pythonBool(batchFirst);
    }
}
