package dev.lanes.nn.inference;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Activations;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Softmax;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations.ELU;
import dev.lanes.nn.layers.Activations.GELU;
import dev.lanes.nn.layers.Activations.Identity;
import dev.lanes.nn.layers.Activations.LeakyReLU;
import dev.lanes.nn.layers.Activations.LogSoftmax;
import dev.lanes.nn.layers.Activations.ReLU;
import dev.lanes.nn.layers.Activations.SiLU;
import dev.lanes.nn.layers.Activations.Sigmoid;
import dev.lanes.nn.layers.Activations.Softplus;
import dev.lanes.nn.layers.Activations.Tanh;
import dev.lanes.nn.layers.Dropout;
import dev.lanes.nn.layers.Flatten;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import java.util.ArrayList;
import java.util.List;

/**
 * A feed-forward model prepared for repeated inference on raw float arrays, allocating nothing per call.
 *
 * <p>{@link Module#forward} builds a new output {@link Tensor} for every layer of every call; for a small
 * model at batch 1 those allocations and the autograd bookkeeping cost more than the arithmetic. A plan
 * walks the model once, fuses each activation into the preceding {@link Linear}'s GEMM where the kernel
 * can, and keeps two activation buffers sized for {@code maxBatch} rows, so {@link #run} is a fixed
 * sequence of kernel calls. It is what {@code torch.jit.freeze} or an ONNX export is for in PyTorch.
 *
 * <p>The plan reads the model's weights at every call, so it sees later training or
 * {@code loadStateDict} (which copy into the same tensors); the model must not be trained while a plan
 * runs. A plan's buffers belong to it: use one plan per thread (they are cheap, weights are shared).
 *
 * <p>Supported: a {@link Sequential} (or a single module) of {@code Linear}, {@code ReLU}, {@code GELU},
 * {@code SiLU}, {@code Sigmoid}, {@code Tanh}, {@code LeakyReLU}, {@code ELU}, {@code Softplus},
 * {@code Softmax}/{@code LogSoftmax} over the last dimension, {@code Dropout} and {@code Identity} (no-ops
 * in inference), and {@code Flatten} from dimension 1 (a no-op on the row-major input). Anything else is
 * refused by name; run such models with {@code model.forward} inside {@code GradMode.noGrad()}.
 *
 * <pre>{@code
 * InferencePlan plan = InferencePlan.of(model, 1);     // batch 1 at most
 * float[] logits = new float[plan.outputFeatures()];
 * plan.run(image, 0, 1, logits, 0);                    // no allocation
 * }</pre>
 */
public final class InferencePlan {
    /** One step of the plan, reading {@code rows x width} at {@code in} and writing {@code rows x outWidth(width)}. */
    private interface Step {
        void run(int rows, int width, float[] in, int inOff, float[] out, int outOff);

        int outWidth(int inWidth);

        /** Whether the step may read and write the same buffer (element-wise and row-wise kernels may). */
        default boolean inPlace() {
            return true;
        }
    }

    private final List<Step> steps;
    private final int inputFeatures;
    private final int outputFeatures;
    private final int maxBatch;
    private final float[] ping;
    private final float[] pong;

    private InferencePlan(List<Step> steps, int inputFeatures, int maxBatch) {
        this.steps = List.copyOf(steps);
        this.inputFeatures = inputFeatures;
        this.maxBatch = maxBatch;
        int width = inputFeatures, widest = 0;
        for (Step s : steps) {
            width = s.outWidth(width);
            widest = Math.max(widest, width);
        }
        this.outputFeatures = width;
        long buffer = (long) widest * maxBatch;
        if (buffer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("InferencePlan: maxBatch " + maxBatch + " x widest layer " + widest
                    + " does not fit in one float array");
        }
        this.ping = new float[(int) buffer];
        this.pong = new float[(int) buffer];
    }

    /**
     * Prepares {@code model} for inference on at most {@code maxBatch} rows at a time. The input width is
     * taken from the first {@code Linear}.
     */
    public static InferencePlan of(Module model, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("InferencePlan: maxBatch = " + maxBatch + " must be >= 1");
        }
        List<Module> layers = new ArrayList<>();
        flatten(model, layers);
        List<Step> steps = new ArrayList<>();
        int inputFeatures = -1;
        for (int i = 0; i < layers.size(); i++) {
            Module layer = layers.get(i);
            if (layer instanceof Linear linear) {
                if (inputFeatures < 0) {
                    inputFeatures = linear.inFeatures();
                }
                // Fold a following activation into the GEMM epilogue when the Linear has none of its own.
                Activation fused = linear.activation();
                if (fused == Activation.IDENTITY && i + 1 < layers.size()) {
                    Activation next = epilogueOf(layers.get(i + 1));
                    if (next != null) {
                        fused = next;
                        i++;
                    }
                }
                steps.add(linearStep(linear, fused));
            } else {
                Step step = elementwiseStep(layer, i);
                if (step != null) {
                    steps.add(step);
                }
            }
        }
        if (inputFeatures < 0) {
            throw new IllegalArgumentException("InferencePlan: the model has no Linear layer, so its input width is unknown");
        }
        return new InferencePlan(steps, inputFeatures, maxBatch);
    }

    /** The width of one input row. */
    public int inputFeatures() {
        return inputFeatures;
    }

    /** The width of one output row. */
    public int outputFeatures() {
        return outputFeatures;
    }

    /** The most rows one call may take. */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Runs the model on {@code rows} input rows ({@code rows x inputFeatures()} floats, row-major, at
     * {@code inOff}) and writes {@code rows x outputFeatures()} floats at {@code outOff}. Allocates nothing.
     */
    public void run(float[] input, int inOff, int rows, float[] output, int outOff) {
        if (rows < 0 || rows > maxBatch) {
            throw new IllegalArgumentException("InferencePlan.run: rows = " + rows + " must be in [0, " + maxBatch + "] (maxBatch)");
        }
        checkSpan("input", input, inOff, (long) rows * inputFeatures);
        checkSpan("output", output, outOff, (long) rows * outputFeatures);
        if (input == output && inOff < outOff + (long) rows * outputFeatures && outOff < inOff + (long) rows * inputFeatures) {
            throw new IllegalArgumentException("InferencePlan.run: output overlaps input; give it an array or span of its own");
        }
        if (rows == 0) {
            return;
        }
        float[] src = input;
        int srcOff = inOff;
        int width = inputFeatures;
        for (int s = 0; s < steps.size(); s++) {
            Step step = steps.get(s);
            boolean last = s == steps.size() - 1;
            float[] dst;
            int dstOff;
            if (last) {
                dst = output;
                dstOff = outOff;
            } else if (step.inPlace() && src != input) {
                dst = src;
                dstOff = srcOff;
            } else {
                dst = src == ping ? pong : ping;
                dstOff = 0;
            }
            step.run(rows, width, src, srcOff, dst, dstOff);
            src = dst;
            srcOff = dstOff;
            width = step.outWidth(width);
        }
    }

    /**
     * Runs the plan on a tensor of {@code inputFeatures()} values or of shape {@code (rows, ...)} with
     * {@code inputFeatures()} values per row, and returns a new tensor of shape {@code (outputFeatures())}
     * or {@code (rows, outputFeatures())}. Convenient, but allocates its result.
     */
    public Tensor predict(Tensor input) {
        boolean single = input.dim() == 1;
        int rows = single ? 1 : input.dim() == 0 ? 0 : input.size(0);
        if (input.dim() == 0 || (long) rows * inputFeatures != input.numel()) {
            throw new IllegalArgumentException("InferencePlan.predict: input shape " + java.util.Arrays.toString(input.shape())
                    + " does not hold rows of " + inputFeatures + " features");
        }
        float[] out = new float[rows * outputFeatures];
        Tensor x = input.contiguous();
        for (int start = 0; start < rows; start += maxBatch) {
            int n = Math.min(maxBatch, rows - start);
            run(x.array(), x.arrayOffset() + start * inputFeatures, n, out, start * outputFeatures);
        }
        return single ? Tensor.wrap(out, outputFeatures) : Tensor.wrap(out, rows, outputFeatures);
    }

    // ------------------------------------------------------------------------------------------- steps

    private static void flatten(Module model, List<Module> out) {
        if (model instanceof Sequential sequential) {
            for (int i = 0; i < sequential.size(); i++) {
                flatten(sequential.get(i), out);
            }
        } else {
            out.add(model);
        }
    }

    /** The GEMM epilogue that computes {@code layer} exactly, or null. */
    private static Activation epilogueOf(Module layer) {
        if (layer instanceof ReLU) {
            return Activation.RELU;
        }
        if (layer instanceof GELU gelu && gelu.approximate().equals("none")) {
            return Activation.GELU;
        }
        if (layer instanceof SiLU) {
            return Activation.SILU;
        }
        if (layer instanceof Sigmoid) {
            return Activation.SIGMOID;
        }
        if (layer instanceof Tanh) {
            return Activation.TANH;
        }
        return null;
    }

    private static Step linearStep(Linear linear, Activation activation) {
        Tensor weight = linear.weight();
        Tensor bias = linear.bias();
        int in = linear.inFeatures(), out = linear.outFeatures();
        if (!weight.isContiguous() || (bias != null && !bias.isContiguous())) {
            throw new IllegalArgumentException("InferencePlan: a Linear(" + in + ", " + out + ") has non-contiguous weights");
        }
        return new Step() {
            @Override
            public void run(int rows, int width, float[] x, int xOff, float[] y, int yOff) {
                Gemm.sgemmFused(false, true, rows, out, in, 1f, x, xOff, Math.max(1, in),
                        weight.array(), weight.arrayOffset(), Math.max(1, in), 0f, y, yOff, Math.max(1, out),
                        bias == null ? null : bias.array(), bias == null ? 0 : bias.arrayOffset(), activation);
            }

            @Override
            public int outWidth(int inWidth) {
                if (inWidth != in) {
                    throw new IllegalArgumentException("InferencePlan: a Linear(" + in + ", " + out + ") receives rows of "
                            + inWidth + " features");
                }
                return out;
            }

            @Override
            public boolean inPlace() {
                return false;
            }
        };
    }

    /** An element-wise or row-wise step for {@code layer}, null for a no-op; throws for anything else. */
    private static Step elementwiseStep(Module layer, int index) {
        if (layer instanceof Dropout || layer instanceof Identity) {
            return null;
        }
        if (layer instanceof Flatten flatten) {
            if (flatten.startDim() != 1 || flatten.endDim() != -1) {
                throw new IllegalArgumentException("InferencePlan: layer " + index + " " + layer
                        + " is only supported as Flatten(1, -1), which leaves row-major rows as they are");
            }
            return null;
        }
        if (layer instanceof ReLU) {
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.relu(rows * cols, x, xo, y, yo));
        }
        if (layer instanceof GELU gelu) {
            boolean tanh = gelu.approximate().equals("tanh");
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.gelu(rows * cols, tanh, x, xo, y, yo));
        }
        if (layer instanceof SiLU) {
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.silu(rows * cols, x, xo, y, yo));
        }
        if (layer instanceof Sigmoid) {
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.sigmoid(rows * cols, x, xo, y, yo));
        }
        if (layer instanceof Tanh) {
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.tanh(rows * cols, x, xo, y, yo));
        }
        if (layer instanceof LeakyReLU leaky) {
            float slope = leaky.negativeSlope();
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.leakyRelu(rows * cols, slope, x, xo, y, yo));
        }
        if (layer instanceof ELU elu) {
            float alpha = elu.alpha();
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.elu(rows * cols, alpha, x, xo, y, yo));
        }
        if (layer instanceof Softplus softplus) {
            float beta = softplus.beta(), threshold = softplus.threshold();
            return rowwise((rows, cols, x, xo, y, yo) -> Activations.softplus(rows * cols, beta, threshold, x, xo, y, yo));
        }
        if (layer instanceof dev.lanes.nn.layers.Activations.Softmax softmax) {
            checkLastDim(softmax.dim(), layer, index);
            return rowwise((rows, cols, x, xo, y, yo) -> Softmax.softmax(rows, cols, x, xo, y, yo));
        }
        if (layer instanceof LogSoftmax logSoftmax) {
            checkLastDim(logSoftmax.dim(), layer, index);
            return rowwise((rows, cols, x, xo, y, yo) -> Softmax.logSoftmax(rows, cols, x, xo, y, yo));
        }
        throw new IllegalArgumentException("InferencePlan: layer " + index + " (" + layer.getClass().getSimpleName()
                + ") is not supported; run this model with model.forward inside GradMode.noGrad()");
    }

    private static void checkLastDim(int dim, Module layer, int index) {
        if (dim != -1 && dim != 1) {
            throw new IllegalArgumentException("InferencePlan: layer " + index + " " + layer
                    + " must run over the last dimension (dim=-1 or 1) of the (rows, features) activations");
        }
    }

    /** A kernel over {@code rows x cols} values, in place or not (element-wise ones see {@code rows * cols}). */
    private interface Rowwise {
        void apply(int rows, int cols, float[] x, int xOff, float[] y, int yOff);
    }

    private static Step rowwise(Rowwise kernel) {
        return new Step() {
            @Override
            public void run(int rows, int width, float[] x, int xOff, float[] y, int yOff) {
                kernel.apply(rows, width, x, xOff, y, yOff);
            }

            @Override
            public int outWidth(int inWidth) {
                return inWidth;
            }
        };
    }

    private static void checkSpan(String name, float[] array, int offset, long length) {
        if (array == null) {
            throw new IllegalArgumentException("InferencePlan.run: " + name + " is null");
        }
        if (offset < 0 || offset + length > array.length) {
            throw new IllegalArgumentException("InferencePlan.run: " + name + " needs " + length + " floats from offset "
                    + offset + " but has length " + array.length);
        }
    }
}
