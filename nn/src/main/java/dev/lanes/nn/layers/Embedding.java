package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;

/** {@code torch.nn.Embedding(num_embeddings, embedding_dim)}: a lookup table initialised from N(0, 1). */
public class Embedding extends Module {
    private final int numEmbeddings, embeddingDim;
    private final Tensor weight;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null);
    }

    public Embedding(int numEmbeddings, int embeddingDim, Generator generator) {
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        Generator g = generator == null ? Generator.defaultGenerator() : generator;
        synchronized (g) {
            this.weight = registerParameter("weight", Init.normal(Tensor.zeros(numEmbeddings, embeddingDim), 0f, 1f, g));
        }
    }

    /** Looks up rows for integer indices (exact floats) of any shape; the result has one more dimension. */
    @Override
    public Tensor forward(Tensor indices) {
        return F.embedding(indices, weight);
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim;
    }
}
