package dev.lanes.nn;

import dev.lanes.kernels.Activations;
import dev.lanes.kernels.Elementwise;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Reductions;
import dev.lanes.kernels.Softmax;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A float32 tensor: a shape and strides over a {@code float[]} storage with an offset, like
 * {@code torch.Tensor}. Views ({@link #view}, {@link #transpose}, {@link #permute}, {@link #slice},
 * {@link #expand}, ...) share the storage; writing through a view changes its base. Operations follow
 * PyTorch's definitions, including NumPy broadcasting, and call the Lanes kernels.
 *
 * <p>Autograd: a tensor with {@link #requiresGrad()} records the operations applied to it (unless a
 * {@link GradMode#noGrad()} scope is open on the thread), and {@link #backward()} computes the gradients
 * of a scalar result with respect to every leaf that requires them, accumulating into {@link #grad()}.
 *
 * <p>Integer data (class labels, indices) is stored as exact floats (every integer up to 2^24 is exact).
 *
 * <p>Thread safety: a tensor's shape never changes; its values may be written by in-place methods (named
 * with a trailing underscore, as in PyTorch) and by optimizers. Reading the same tensors from many threads
 * (inference in a no-grad scope) is safe; writing them while others read is not.
 */
public final class Tensor {
    final float[] data;
    final int offset;
    private final int[] shape;
    private final int[] strides;
    Node node;
    private boolean requiresGrad;
    private Tensor grad;

    Tensor(float[] data, int offset, int[] shape, int[] strides) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
    }

    // ------------------------------------------------------------------------------------------- creation

    /** A 1-D tensor holding a copy of {@code values}, like {@code torch.tensor([...])}. */
    public static Tensor of(float[] values) {
        return of(values, values.length);
    }

    /**
     * A tensor holding a copy of {@code values} with the given shape ({@code torch.tensor(values).view(shape)});
     * an empty shape is a 0-dimensional tensor of one value.
     */
    public static Tensor of(float[] values, int... shape) {
        int[] s = shape.clone();
        Shapes.checkShape(s);
        if (Shapes.numel(s) != values.length) {
            throw new IllegalArgumentException("Tensor.of: " + values.length + " values do not fill shape " + Shapes.str(s));
        }
        return new Tensor(values.clone(), 0, s, Shapes.contiguousStrides(s));
    }

    /** A 2-D tensor from rows of equal length. */
    public static Tensor of(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] v = new float[rows.length * cols];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != cols) {
                throw new IllegalArgumentException("Tensor.of: row " + r + " has " + rows[r].length + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[r], 0, v, r * cols, cols);
        }
        return wrap(v, rows.length, cols);
    }

    /** A 0-dimensional tensor. */
    public static Tensor scalar(float value) {
        return new Tensor(new float[] {value}, 0, new int[0], new int[0]);
    }

    /**
     * The float array this tensor's values live in, shared, not copied (like {@code ByteBuffer.array()}).
     * Element {@code (i0, i1, ...)} is at {@code arrayOffset() + i0 * strides()[0] + i1 * strides()[1] + ...}.
     * For kernels that work on raw arrays (optimizers, file readers); writing through it bypasses autograd.
     */
    public float[] array() {
        return data;
    }

    /** Where element {@code (0, 0, ...)} sits in {@link #array()}. */
    public int arrayOffset() {
        return offset;
    }

    /** A tensor over {@code values} without copying them (like {@code torch.from_numpy}). */
    public static Tensor wrap(float[] values, int... shape) {
        Shapes.checkShape(shape);
        if (Shapes.numel(shape) != values.length) {
            throw new IllegalArgumentException("Tensor.wrap: " + values.length + " values do not fill shape " + Shapes.str(shape));
        }
        return new Tensor(values, 0, shape.clone(), Shapes.contiguousStrides(shape));
    }

    public static Tensor zeros(int... shape) {
        Shapes.checkShape(shape);
        return new Tensor(new float[Shapes.numel(shape)], 0, shape.clone(), Shapes.contiguousStrides(shape));
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    /** {@code [0, 1, ..., n-1]}. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /** {@code start, start + step, ...} below {@code end} (above, for a negative step). */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || Float.isNaN(step)) {
            throw new IllegalArgumentException("arange: step = " + step + " must be non-zero");
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i * step;
        }
        return wrap(v, n);
    }

    /** Uniform in [0, 1) from {@code generator}. */
    public static Tensor rand(Generator generator, int... shape) {
        Tensor t = zeros(shape);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = generator.nextFloat();
        }
        return t;
    }

    /** Standard normal from {@code generator}. */
    public static Tensor randn(Generator generator, int... shape) {
        Tensor t = zeros(shape);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = generator.nextGaussian();
        }
        return t;
    }

    public static Tensor rand(int... shape) {
        synchronized (Generator.defaultGenerator()) {
            return rand(Generator.defaultGenerator(), shape);
        }
    }

    public static Tensor randn(int... shape) {
        synchronized (Generator.defaultGenerator()) {
            return randn(Generator.defaultGenerator(), shape);
        }
    }

    /** A new tensor of this shape, all zeros. */
    public Tensor zerosLike() {
        return zeros(shape);
    }

    // ------------------------------------------------------------------------------------------ accessors

    public int[] shape() {
        return shape.clone();
    }

    /** The size of dimension {@code dim} (negative counts from the end). */
    public int size(int dim) {
        return shape[Shapes.dim("size", dim, shape.length)];
    }

    public int[] strides() {
        return strides.clone();
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: the tensor has " + numel() + " elements, shape " + Shapes.str(shape));
        }
        return data[offset];
    }

    /** The element at a full index. */
    public float get(int... index) {
        return data[position("get", index)];
    }

    /** Sets the element at a full index (in place; not recorded by autograd). */
    public Tensor set(float value, int... index) {
        checkWritable("set");
        data[position("set", index)] = value;
        return this;
    }

    /** The values in row-major order, as a new array. */
    public float[] toArray() {
        return contiguousCopy();
    }

    /** True when the elements are laid out row-major without gaps. */
    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as a parameter whose gradient {@link #backward()} computes. */
    public Tensor requiresGrad(boolean requires) {
        if (node != null && !requires) {
            throw new IllegalStateException("requiresGrad(false) on a non-leaf tensor (computed by " + node.name
                    + "); use detach()");
        }
        this.requiresGrad = requires;
        return this;
    }

    /** The accumulated gradient, or null before any backward (or after {@link #zeroGrad()}). */
    public Tensor grad() {
        return grad;
    }

    /** Sets or clears the gradient (optimizers and gradient clipping use it). */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("setGrad: gradient shape " + Shapes.str(g.shape) + " differs from "
                    + Shapes.str(shape));
        }
        this.grad = g;
    }

    /** Drops the gradient ({@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        grad = null;
    }

    /** The same storage with no history: results computed from it are not traced back past it. */
    public Tensor detach() {
        return new Tensor(data, offset, shape, strides);
    }

    /** The name of the operation that computed this tensor, or null for a leaf. */
    public String gradFnName() {
        return node == null ? null : node.name;
    }

    /** {@code backward()} of a one-element tensor: the gradient of it with respect to every leaf. */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward: grad can be implicitly created only for a one-element tensor, "
                    + "this one has shape " + Shapes.str(shape) + "; pass a gradient");
        }
        backward(ones(shape));
    }

    /**
     * Back-propagates {@code gradient} (of this tensor's shape): walks the graph in reverse topological order,
     * sums the gradients reaching each tensor over all its uses, and adds them into the {@code grad} of the
     * leaves that require one.
     */
    public void backward(Tensor gradient) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward: this tensor does not require grad and has no grad_fn");
        }
        if (!Arrays.equals(gradient.shape, shape)) {
            throw new IllegalArgumentException("backward: gradient shape " + Shapes.str(gradient.shape)
                    + " differs from the tensor's shape " + Shapes.str(shape));
        }
        List<Tensor> order = topologicalOrder(this);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(this, gradient);
        // How many places each gradient array was handed to: a leaf adopts its gradient without a copy only
        // when nothing else holds that array (a weight gradient is megabytes; AddBackward hands one array to
        // both inputs, and the caller owns the seed gradient).
        Map<float[], Integer> handedOut = new IdentityHashMap<>();
        handedOut.put(gradient.data, 2);
        long[] pass = BACKWARD_PASS.get();
        long outer = pass[0];
        pass[0] = BACKWARD_PASSES.incrementAndGet();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = grads.remove(t);
                if (g == null) {
                    continue;
                }
                if (t.node == null) {
                    if (t.requiresGrad) {
                        t.grad = t.grad == null ? owned(g, handedOut) : t.grad.add_(g);
                    }
                    continue;
                }
                Tensor[] inputGrads = t.node.backward.apply(g);
                for (int k = 0; k < t.node.inputs.length; k++) {
                    Tensor input = t.node.inputs[k];
                    Tensor ig = inputGrads[k];
                    if (ig == null || input == null || !input.requiresGrad) {
                        continue;
                    }
                    if (!Arrays.equals(ig.shape, input.shape)) {
                        throw new IllegalStateException("autograd: " + t.node.name + " returned a gradient of shape "
                                + Shapes.str(ig.shape) + " for an input of shape " + Shapes.str(input.shape));
                    }
                    handedOut.merge(ig.data, 1, Integer::sum);
                    Tensor previous = grads.get(input);
                    grads.put(input, previous == null ? ig : previous.add(ig));
                }
            }
        } finally {
            pass[0] = outer;
        }
    }

    /** Numbers the backward passes; the current one per thread (0 outside any) is {@link #backwardPass()}. */
    private static final java.util.concurrent.atomic.AtomicLong BACKWARD_PASSES = new java.util.concurrent.atomic.AtomicLong();
    private static final ThreadLocal<long[]> BACKWARD_PASS = ThreadLocal.withInitial(() -> new long[1]);

    /**
     * The number of the backward pass this thread is running (0 outside any): an operation whose nodes hand
     * each other values during a pass (see {@code RecurrentOps}) tells its passes apart with it, so that a
     * pass that failed half-way leaves nothing behind for the next.
     */
    static long backwardPass() {
        return BACKWARD_PASS.get()[0];
    }

    /** {@code g} itself when its array is private to it and laid out plainly, else a contiguous copy. */
    private static Tensor owned(Tensor g, Map<float[], Integer> handedOut) {
        boolean plain = g.offset == 0 && g.isContiguous() && g.data.length == g.numel() && g.node == null;
        return plain && handedOut.getOrDefault(g.data, 0) <= 1 ? g : g.contiguousClone();
    }

    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>(); // iterative DFS: deep graphs (RNNs) must not overflow
        stack.push(new Object[] {root, 0});
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = t.node == null ? new Tensor[0] : t.node.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad && seen.put(in, Boolean.TRUE) == null) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    /** A result of an operation: records the node when recording is on and an input requires grad. */
    static Tensor result(Tensor out, String name, Node.Backward backward, Tensor... inputs) {
        if (GradMode.isEnabled()) {
            for (Tensor in : inputs) {
                if (in != null && in.requiresGrad) {
                    out.node = new Node(name, inputs, backward);
                    out.requiresGrad = true;
                    break;
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ views

    /** A view with a new shape (one dimension may be -1); the tensor must be contiguous ({@code view}). */
    public Tensor view(int... newShape) {
        int[] s = inferShape("view", newShape);
        if (!isContiguous()) {
            throw new IllegalStateException("view: the tensor of shape " + Shapes.str(shape) + " and strides "
                    + Arrays.toString(strides) + " is not contiguous; use reshape() or contiguous()");
        }
        int[] original = shape;
        Tensor v = new Tensor(data, offset, s, Shapes.contiguousStrides(s));
        return result(v, "ViewBackward", g -> new Tensor[] {g.reshape(original)}, this);
    }

    /** {@link #view} when possible, otherwise a contiguous copy with the new shape ({@code reshape}). */
    public Tensor reshape(int... newShape) {
        return isContiguous() ? view(newShape) : contiguous().view(newShape);
    }

    /** Flattens dimensions {@code startDim..endDim} into one ({@code torch.flatten}). */
    public Tensor flatten(int startDim, int endDim) {
        if (shape.length == 0) {
            return reshape(1);
        }
        int s = Shapes.dim("flatten", startDim, shape.length), e = Shapes.dim("flatten", endDim, shape.length);
        if (s > e) {
            throw new IllegalArgumentException("flatten: startDim " + startDim + " is after endDim " + endDim);
        }
        int[] ns = new int[shape.length - (e - s)];
        int k = 0;
        for (int d = 0; d < shape.length; d++) {
            if (d <= s || d > e) {
                ns[k++] = d == s ? sizeProduct(s, e) : shape[d];
            }
        }
        return reshape(ns);
    }

    /** Flattens all dimensions. */
    public Tensor flatten() {
        return reshape(numel());
    }

    /** Swaps two dimensions (a view). */
    public Tensor transpose(int dim0, int dim1) {
        int a = Shapes.dim("transpose", dim0, shape.length), b = Shapes.dim("transpose", dim1, shape.length);
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** The transpose of a 2-D tensor (a view; {@code .t()} / {@code .T}). */
    public Tensor t() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("t: expects a 2-D tensor, got shape " + Shapes.str(shape));
        }
        return transpose(0, 1);
    }

    /** Reorders the dimensions (a view): result dimension {@code i} is this tensor's {@code dims[i]}. */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: " + dims.length + " dimensions given for a tensor of rank " + shape.length);
        }
        int[] ns = new int[dims.length], st = new int[dims.length], inverse = new int[dims.length];
        boolean[] used = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.dim("permute", dims[i], shape.length);
            if (used[d]) {
                throw new IllegalArgumentException("permute: dimension " + d + " repeats in " + Arrays.toString(dims));
            }
            used[d] = true;
            ns[i] = shape[d];
            st[i] = strides[d];
            inverse[d] = i;
        }
        Tensor v = new Tensor(data, offset, ns, st);
        return result(v, "PermuteBackward", g -> new Tensor[] {g.permute(inverse)}, this);
    }

    /** Elements {@code start..end-1} along {@code dim} (a view; {@code narrow}, or {@code x[:, start:end]}). */
    public Tensor slice(int dim, int start, int end) {
        int d = Shapes.dim("slice", dim, shape.length);
        if (start < 0 || end > shape[d] || start > end) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") is not within dimension " + d
                    + " of size " + shape[d] + " (shape " + Shapes.str(shape) + ")");
        }
        int[] ns = shape.clone();
        ns[d] = end - start;
        Tensor v = new Tensor(data, offset + start * strides[d], ns, strides);
        int[] original = shape;
        return result(v, "SliceBackward", g -> {
            Tensor full = zeros(original);
            full.slice(d, start, end).copy_(g);
            return new Tensor[] {full};
        }, this);
    }

    /** The sub-tensor at {@code index} along {@code dim}, that dimension removed (a view; {@code x[i]}). */
    public Tensor select(int dim, int index) {
        int d = Shapes.dim("select", dim, shape.length);
        return slice(d, index, index + 1).squeeze(d);
    }

    /** Removes dimension {@code dim}, which must have size 1. */
    public Tensor squeeze(int dim) {
        int d = Shapes.dim("squeeze", dim, shape.length);
        if (shape[d] != 1) {
            return this; // as PyTorch: squeezing a dimension that is not 1 leaves the tensor as it is
        }
        int[] ns = new int[shape.length - 1], st = new int[shape.length - 1];
        for (int i = 0, k = 0; i < shape.length; i++) {
            if (i != d) {
                ns[k] = shape[i];
                st[k++] = strides[i];
            }
        }
        int[] original = shape;
        return result(new Tensor(data, offset, ns, st), "SqueezeBackward", g -> new Tensor[] {g.reshape(original)}, this);
    }

    /** Inserts a dimension of size 1 at {@code dim}. */
    public Tensor unsqueeze(int dim) {
        int d = Shapes.dim("unsqueeze", dim, shape.length + 1);
        int[] ns = new int[shape.length + 1], st = new int[shape.length + 1];
        for (int i = 0, k = 0; i < ns.length; i++) {
            if (i == d) {
                ns[i] = 1;
                st[i] = d < shape.length ? strides[d] * shape[d] : 1;
            } else {
                ns[i] = shape[k];
                st[i] = strides[k++];
            }
        }
        int[] original = shape;
        return result(new Tensor(data, offset, ns, st), "UnsqueezeBackward", g -> new Tensor[] {g.reshape(original)}, this);
    }

    /** Broadcasts to {@code newShape} without copying (size-1 dimensions get stride 0; -1 keeps a size). */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("expand: shape " + Shapes.str(newShape) + " has fewer dimensions than "
                    + Shapes.str(shape));
        }
        int lead = newShape.length - shape.length;
        int[] ns = new int[newShape.length], st = new int[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int own = i < lead ? 1 : shape[i - lead];
            int want = newShape[i] == -1 && i >= lead ? own : newShape[i];
            if (want < 0) {
                throw new IllegalArgumentException("expand: the expanded size " + newShape[i] + " is not allowed in a "
                        + "leading, non-existing dimension (shape " + Shapes.str(shape) + " to " + Shapes.str(newShape) + ")");
            }
            if (own != want && own != 1) {
                throw new IllegalArgumentException("expand: cannot expand shape " + Shapes.str(shape) + " to "
                        + Shapes.str(newShape) + " (dimension " + i + ")");
            }
            ns[i] = want;
            st[i] = i < lead || (own == 1 && want != 1) ? 0 : strides[i - lead];
        }
        int[] original = shape;
        return result(new Tensor(data, offset, ns, st), "ExpandBackward", g -> new Tensor[] {g.sumTo(original)}, this);
    }

    /** Moves dimension {@code from} to position {@code to} ({@code torch.movedim}, a view). */
    public Tensor movedim(int from, int to) {
        int f = Shapes.dim("movedim", from, shape.length), t = Shapes.dim("movedim", to, shape.length);
        int[] order = new int[shape.length];
        for (int i = 0, k = 0; i < shape.length; i++) {
            if (i == t) {
                order[i] = f;
            } else {
                if (k == f) {
                    k++;
                }
                order[i] = k++;
            }
        }
        return permute(order);
    }

    /** Moves dimension {@code from} to the end (a view). */
    Tensor movedimLast(int from) {
        return movedim(from, shape.length - 1);
    }

    /** This tensor if contiguous, otherwise a row-major copy. */
    public Tensor contiguous() {
        if (isContiguous()) {
            return this;
        }
        Tensor c = new Tensor(contiguousCopy(), 0, shape, Shapes.contiguousStrides(shape));
        return result(c, "ContiguousBackward", g -> new Tensor[] {g}, this);
    }

    /** A contiguous copy that shares nothing with this tensor, with no history. */
    public Tensor contiguousClone() {
        return new Tensor(contiguousCopy(), 0, shape, Shapes.contiguousStrides(shape));
    }

    /** A copy with its own storage; gradients flow through it ({@code clone}). */
    public Tensor copy() {
        return result(contiguousClone(), "CloneBackward", g -> new Tensor[] {g}, this);
    }

    // ------------------------------------------------------------------------------------ in-place writes

    /** Copies {@code src} (broadcast to this shape) into this tensor's elements, in place. */
    public Tensor copy_(Tensor src) {
        checkWritable("copy_");
        Tensor s = src.expandTo(shape);
        float[] values = s.contiguousCopy();
        int[] index = new int[shape.length];
        for (int i = 0; i < values.length; i++) {
            data[positionOf(index)] = values[i];
            increment(index);
        }
        return this;
    }

    /** Sets every element to {@code value}, in place. */
    public Tensor fill_(float value) {
        checkWritable("fill_");
        if (isContiguous()) {
            Arrays.fill(data, offset, offset + numel(), value);
        } else {
            copy_(scalar(value));
        }
        return this;
    }

    /** {@code this += other} in place (other broadcast to this shape); not recorded by autograd. */
    public Tensor add_(Tensor other) {
        checkWritable("add_");
        Tensor o = other.expandTo(shape).contiguous();
        if (isContiguous()) {
            Elementwise.binary(Elementwise.Op.ADD, numel(), data, offset, o.data, o.offset, data, offset);
        } else {
            copy_(this.contiguousClone().add(o));
        }
        return this;
    }

    /** {@code this += alpha * other} in place, for optimizers; both contiguous with equal shapes. */
    public Tensor addScaled_(float alpha, Tensor other) {
        checkWritable("addScaled_");
        Tensor o = other.contiguous();
        if (!Arrays.equals(o.shape, shape) || !isContiguous()) {
            throw new IllegalArgumentException("addScaled_: needs equal shapes and a contiguous target, got "
                    + Shapes.str(shape) + " and " + Shapes.str(o.shape));
        }
        Elementwise.axpy(numel(), alpha, o.data, o.offset, data, offset);
        return this;
    }

    /** {@code this *= s} in place. */
    public Tensor mul_(float s) {
        checkWritable("mul_");
        if (isContiguous()) {
            Elementwise.scale(numel(), s, data, offset, data, offset);
        } else {
            copy_(contiguousClone().mul(s));
        }
        return this;
    }

    /**
     * In-place writes are refused on a tensor that requires grad while recording: Lanes keeps no version
     * counters, so a write after use would silently corrupt gradients (PyTorch raises in most such cases).
     */
    private void checkWritable(String op) {
        if (requiresGrad && GradMode.isEnabled()) {
            throw new IllegalStateException(op + ": a tensor that requires grad (or a view of one) is being modified in "
                    + "place while autograd records; do it inside GradMode.noGrad() (as optimizers do), or on a detach()ed copy");
        }
    }

    // -------------------------------------------------------------------------------- element-wise math

    public Tensor add(Tensor other) {
        return binary(Elementwise.Op.ADD, other);
    }

    public Tensor sub(Tensor other) {
        return binary(Elementwise.Op.SUB, other);
    }

    public Tensor mul(Tensor other) {
        return binary(Elementwise.Op.MUL, other);
    }

    public Tensor div(Tensor other) {
        return binary(Elementwise.Op.DIV, other);
    }

    public Tensor add(float s) {
        return scalarOp(Elementwise.Op.ADD, s);
    }

    public Tensor sub(float s) {
        return scalarOp(Elementwise.Op.SUB, s);
    }

    public Tensor mul(float s) {
        return scalarOp(Elementwise.Op.MUL, s);
    }

    public Tensor div(float s) {
        return scalarOp(Elementwise.Op.DIV, s);
    }

    /** {@code s - this}. */
    public Tensor rsub(float s) {
        return neg().add(s);
    }

    public Tensor neg() {
        return scalarOp(Elementwise.Op.MUL, -1f);
    }

    private Tensor binary(Elementwise.Op op, Tensor other) {
        String name = switch (op) {
            case ADD -> "add";
            case SUB -> "sub";
            case MUL -> "mul";
            case DIV -> "div";
        };
        int[] outShape = Shapes.broadcast(name, shape, other.shape);
        Tensor out = zeros(outShape);
        int n = out.numel();
        Tensor a = expandTo(outShape).contiguous();
        if (Arrays.equals(other.shape, outShape)) {
            Tensor b = other.contiguous();
            Elementwise.binary(op, n, a.data, a.offset, b.data, b.offset, out.data, 0);
        } else if (other.numel() == 1) {
            Elementwise.binaryScalar(op, n, a.data, a.offset, other.data[other.offset], out.data, 0);
        } else if (isTrailingRow(other.shape, outShape)) {
            Tensor b = other.contiguous();
            int cols = b.numel();
            Elementwise.binaryRow(op, n / cols, cols, a.data, a.offset, b.data, b.offset, out.data, 0);
        } else {
            Tensor b = other.expandTo(outShape).contiguous();
            Elementwise.binary(op, n, a.data, a.offset, b.data, b.offset, out.data, 0);
        }
        Tensor self = this;
        return result(out, capitalized(name) + "Backward", g -> switch (op) {
            case ADD -> new Tensor[] {g.sumTo(self.shape), g.sumTo(other.shape)};
            case SUB -> new Tensor[] {g.sumTo(self.shape), g.neg().sumTo(other.shape)};
            case MUL -> new Tensor[] {
                self.requiresGrad ? g.mul(other).sumTo(self.shape) : null,
                other.requiresGrad ? g.mul(self).sumTo(other.shape) : null};
            case DIV -> new Tensor[] {
                self.requiresGrad ? g.div(other).sumTo(self.shape) : null,
                other.requiresGrad ? g.mul(self).div(other.mul(other)).neg().sumTo(other.shape) : null};
        }, this, other);
    }

    private Tensor scalarOp(Elementwise.Op op, float s) {
        Tensor a = contiguous();
        Tensor out = zeros(shape);
        Elementwise.binaryScalar(op, out.numel(), a.data, a.offset, s, out.data, 0);
        return result(out, "ScalarBackward", g -> new Tensor[] {switch (op) {
            case ADD, SUB -> g;
            case MUL -> g.mul(s);
            case DIV -> g.div(s);
        }}, this);
    }

    /** True when {@code small}, without leading 1s, equals the trailing dimensions of {@code full}. */
    private static boolean isTrailingRow(int[] small, int[] full) {
        int lead = 0;
        while (lead < small.length && small[lead] == 1) {
            lead++;
        }
        int k = small.length - lead;
        if (k == 0 || k > full.length) {
            return false;
        }
        for (int i = 0; i < k; i++) {
            if (small[lead + i] != full[full.length - k + i]) {
                return false;
            }
        }
        return true;
    }

    /** {@code e^x}. */
    public Tensor exp() {
        Tensor out = map(x -> (float) Math.exp(x));
        return result(out, "ExpBackward", g -> new Tensor[] {g.mul(out)}, this);
    }

    /** The natural logarithm. */
    public Tensor log() {
        Tensor self = this;
        return result(map(x -> (float) Math.log(x)), "LogBackward", g -> new Tensor[] {g.div(self)}, this);
    }

    public Tensor sqrt() {
        Tensor out = map(x -> (float) Math.sqrt(x));
        return result(out, "SqrtBackward", g -> new Tensor[] {g.div(out.mul(2f))}, this);
    }

    /** {@code x^p} for a constant exponent. */
    public Tensor pow(float p) {
        Tensor self = this;
        return result(map(x -> (float) Math.pow(x, p)), "PowBackward",
                g -> new Tensor[] {p == 0 ? zeros(self.shape) : g.mul(self.pow(p - 1).mul(p))}, this);
    }

    public Tensor abs() {
        Tensor self = this;
        return result(map(Math::abs), "AbsBackward", g -> new Tensor[] {g.mul(self.map(Math::signum))}, this);
    }

    /** Clamps to {@code [min, max]} ({@code torch.clamp}); the gradient passes where the input was inside. */
    public Tensor clamp(float min, float max) {
        Tensor a = contiguous();
        Tensor out = zeros(shape);
        Elementwise.clamp(out.numel(), min, max, a.data, a.offset, out.data, 0);
        Tensor self = this;
        return result(out, "ClampBackward",
                g -> new Tensor[] {g.mul(self.map(x -> x >= min && x <= max ? 1f : 0f))}, this);
    }

    public Tensor relu() {
        return activation("ReluBackward", Activations::relu, (n, x, xo, y, yo, dy, dyo, dx) ->
                Activations.reluBackward(n, y, yo, dy, dyo, dx, 0));
    }

    public Tensor sigmoid() {
        return activation("SigmoidBackward", Activations::sigmoid, (n, x, xo, y, yo, dy, dyo, dx) ->
                Activations.sigmoidBackward(n, y, yo, dy, dyo, dx, 0));
    }

    public Tensor tanh() {
        return activation("TanhBackward", Activations::tanh, (n, x, xo, y, yo, dy, dyo, dx) ->
                Activations.tanhBackward(n, y, yo, dy, dyo, dx, 0));
    }

    /** GELU, exact ({@code approximate='none'}) or with the tanh approximation. */
    public Tensor gelu(boolean approximateTanh) {
        return activation("GeluBackward", (n, x, xo, y, yo) -> Activations.gelu(n, approximateTanh, x, xo, y, yo),
                (n, x, xo, y, yo, dy, dyo, dx) -> Activations.geluBackward(n, approximateTanh, x, xo, dy, dyo, dx, 0));
    }

    public Tensor gelu() {
        return gelu(false);
    }

    public Tensor silu() {
        return activation("SiluBackward", Activations::silu, (n, x, xo, y, yo, dy, dyo, dx) ->
                Activations.siluBackward(n, x, xo, dy, dyo, dx, 0));
    }

    public Tensor leakyRelu(float slope) {
        return activation("LeakyReluBackward", (n, x, xo, y, yo) -> Activations.leakyRelu(n, slope, x, xo, y, yo),
                (n, x, xo, y, yo, dy, dyo, dx) -> Activations.leakyReluBackward(n, slope, x, xo, dy, dyo, dx, 0));
    }

    public Tensor elu(float alpha) {
        return activation("EluBackward", (n, x, xo, y, yo) -> Activations.elu(n, alpha, x, xo, y, yo),
                (n, x, xo, y, yo, dy, dyo, dx) -> Activations.eluBackward(n, alpha, x, xo, dy, dyo, dx, 0));
    }

    public Tensor softplus(float beta, float threshold) {
        return activation("SoftplusBackward", (n, x, xo, y, yo) -> Activations.softplus(n, beta, threshold, x, xo, y, yo),
                (n, x, xo, y, yo, dy, dyo, dx) -> Activations.softplusBackward(n, beta, threshold, x, xo, dy, dyo, dx, 0));
    }

    interface SpanKernel {
        void run(int n, float[] x, int xo, float[] y, int yo);
    }

    interface GradKernel {
        void run(int n, float[] x, int xo, float[] y, int yo, float[] dy, int dyo, float[] dx);
    }

    /** An element-wise activation through its kernels; the backward gets both the input and the output. */
    private Tensor activation(String name, SpanKernel forward, GradKernel backward) {
        Tensor x = contiguous();
        Tensor y = zeros(shape);
        int n = y.numel();
        forward.run(n, x.data, x.offset, y.data, 0);
        return result(y, name, g -> {
            Tensor gc = g.contiguous();
            Tensor dx = zeros(x.shape);
            backward.run(n, x.data, x.offset, y.data, 0, gc.data, gc.offset, dx.data);
            return new Tensor[] {dx};
        }, this);
    }

    /** Softmax over {@code dim} ({@code torch.softmax}). */
    public Tensor softmax(int dim) {
        return softmaxLike(dim, false);
    }

    /** Log-softmax over {@code dim} ({@code torch.log_softmax}). */
    public Tensor logSoftmax(int dim) {
        return softmaxLike(dim, true);
    }

    private Tensor softmaxLike(int dim, boolean log) {
        int d = Shapes.dim(log ? "logSoftmax" : "softmax", dim, Math.max(1, shape.length));
        if (shape.length == 0) {
            return reshape(1).softmaxLike(0, log).reshape();
        }
        if (d != shape.length - 1) {
            return transpose(d, -1).softmaxLike(-1, log).transpose(d, -1);
        }
        Tensor x = contiguous();
        int cols = shape[d], rows = cols == 0 ? 0 : numel() / cols;
        Tensor y = zeros(shape);
        if (log) {
            Softmax.logSoftmax(rows, cols, x.data, x.offset, y.data, 0);
        } else {
            Softmax.softmax(rows, cols, x.data, x.offset, y.data, 0);
        }
        return result(y, log ? "LogSoftmaxBackward" : "SoftmaxBackward", g -> {
            Tensor gc = g.contiguous();
            Tensor dx = zeros(shape);
            if (log) {
                Softmax.logSoftmaxBackward(rows, cols, y.data, 0, gc.data, gc.offset, dx.data, 0);
            } else {
                Softmax.softmaxBackward(rows, cols, y.data, 0, gc.data, gc.offset, dx.data, 0);
            }
            return new Tensor[] {dx};
        }, this);
    }

    /** A new tensor of {@code f} applied to each element (no autograd; for building ops). */
    Tensor map(FloatUnary f) {
        float[] v = contiguousCopy();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.apply(v[i]);
        }
        return new Tensor(v, 0, shape, Shapes.contiguousStrides(shape));
    }

    @FunctionalInterface
    interface FloatUnary {
        float apply(float x);
    }

    // ------------------------------------------------------------------------------------------- matmul

    /**
     * Matrix product with {@code torch.matmul}'s rules: 1-D operands are promoted to a row (left) or a column
     * (right) and the added dimension removed after; leading (batch) dimensions broadcast.
     */
    public Tensor matmul(Tensor other) {
        if (shape.length == 0 || other.shape.length == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least one dimension, got shapes "
                    + Shapes.str(shape) + " and " + Shapes.str(other.shape));
        }
        if (shape.length == 1 && other.shape.length == 1) {
            return unsqueeze(0).matmul(other.unsqueeze(1)).reshape();
        }
        if (shape.length == 1) {
            return unsqueeze(0).matmul(other).squeeze(-2);
        }
        if (other.shape.length == 1) {
            return matmul(other.unsqueeze(1)).squeeze(-1);
        }
        int m = shape[shape.length - 2], k = shape[shape.length - 1];
        int k2 = other.shape[other.shape.length - 2], n = other.shape[other.shape.length - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(shape) + " and " + Shapes.str(other.shape)
                    + " cannot be multiplied (" + m + "x" + k + " and " + k2 + "x" + n + ")");
        }
        if (shape.length == 2 && other.shape.length == 2) {
            Tensor out = zeros(m, n);
            gemm2d(this, other, out.data, 0);
            Tensor a = this, b = other;
            return result(out, "MmBackward", g -> new Tensor[] {
                a.requiresGrad ? g.matmul(b.t()) : null,
                b.requiresGrad ? a.t().matmul(g) : null}, this, other);
        }
        int[] batchA = Arrays.copyOf(shape, shape.length - 2), batchB = Arrays.copyOf(other.shape, other.shape.length - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast("matmul", batchA, batchB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: the batch dimensions of shapes " + Shapes.str(shape) + " and "
                    + Shapes.str(other.shape) + " cannot be broadcast together", e);
        }
        int[] fullA = concat(batch, m, k), fullB = concat(batch, k, n);
        Tensor a = expandTo(fullA).contiguous(), b = other.expandTo(fullB).contiguous();
        int count = Shapes.numel(batch);
        Tensor out = zeros(concat(batch, m, n));
        Gemm.sgemmStridedBatched(false, false, m, n, k, 1f, a.data, a.offset, Math.max(1, k), m * k,
                b.data, b.offset, Math.max(1, n), k * n, 0f, out.data, 0, Math.max(1, n), m * n, count);
        Tensor self = this;
        return result(out, "BmmBackward", g -> new Tensor[] {
            self.requiresGrad ? g.matmul(other.transpose(-1, -2)).sumTo(self.shape) : null,
            other.requiresGrad ? self.transpose(-1, -2).matmul(g).sumTo(other.shape) : null}, this, other);
    }

    /** {@code out = a @ b} for 2-D operands, reading transposed views in place through GEMM's flags. */
    static void gemm2d(Tensor a, Tensor b, float[] out, int outOff) {
        int m = a.shape[0], k = a.shape[1], n = b.shape[1];
        Tensor ga = a.gemmReady(), gb = b.gemmReady();
        boolean ta = ga.strides[1] != 1 || (ga.shape[1] == 1 && ga.strides[0] == 1 && m > 1);
        boolean tb = gb.strides[1] != 1 || (gb.shape[1] == 1 && gb.strides[0] == 1 && k > 1);
        int lda = Math.max(1, ta ? ga.strides[1] : ga.strides[0]);
        int ldb = Math.max(1, tb ? gb.strides[1] : gb.strides[0]);
        lda = Math.max(lda, ta ? m : k);
        ldb = Math.max(ldb, tb ? k : n);
        Gemm.sgemm(ta, tb, m, n, k, 1f, ga.data, ga.offset, lda, gb.data, gb.offset, ldb, 0f, out, outOff, Math.max(1, n));
    }

    /** A 2-D tensor GEMM can read: row-major or transposed with unit stride, else a contiguous copy. */
    private Tensor gemmReady() {
        if (strides[1] == 1 || shape[1] <= 1) {
            if (strides[0] >= Math.max(1, shape[1]) || shape[0] <= 1) {
                return this;
            }
        }
        if (strides[0] == 1 && strides[1] >= Math.max(1, shape[0])) {
            return this;
        }
        return contiguousClone();
    }

    // ------------------------------------------------------------------------------------------ reductions

    /** The sum of all elements, a 0-dimensional tensor. */
    public Tensor sum() {
        Tensor x = contiguous();
        Tensor out = scalar(Reductions.sum(x.numel(), x.data, x.offset));
        int[] original = shape;
        return result(out, "SumBackward", g -> new Tensor[] {g.expandTo(original).contiguousClone()}, this);
    }

    /** The mean of all elements. */
    public Tensor mean() {
        return sum().div(numel()); // 0 / 0 = NaN for an empty tensor, as torch.mean
    }

    /** Sums over {@code dim}; {@code keepDim} keeps it with size 1. */
    public Tensor sum(int dim, boolean keepDim) {
        int d = Shapes.dim("sum", dim, shape.length);
        Tensor x = contiguous();
        int outer = sizeProduct(0, d - 1), len = shape[d], inner = sizeProduct(d + 1, shape.length - 1);
        int[] kept = shape.clone();
        kept[d] = 1;
        Tensor out = zeros(kept);
        if (inner == 1) {
            Reductions.rowSums(outer, len, x.data, x.offset, out.data, 0);
        } else {
            for (int o = 0; o < outer; o++) {
                Reductions.columnSums(len, inner, x.data, x.offset + o * len * inner, out.data, o * inner);
            }
        }
        int[] original = shape;
        Tensor r = result(out, "SumBackward", g -> new Tensor[] {g.expandTo(original).contiguousClone()}, this);
        return keepDim ? r : r.squeeze(d);
    }

    public Tensor mean(int dim, boolean keepDim) {
        return sum(dim, keepDim).div(shape[Shapes.dim("mean", dim, shape.length)]);
    }

    /**
     * The variance over {@code dim} with Bessel's {@code correction} (1 = unbiased, PyTorch's default; 0 =
     * biased), as {@code torch.var(x, dim, correction=..., keepdim=...)}.
     */
    public Tensor var(int dim, int correction, boolean keepDim) {
        Tensor centered = sub(mean(dim, true));
        int n = shape[Shapes.dim("var", dim, shape.length)];
        return centered.mul(centered).sum(dim, keepDim).div(Math.max(0, n - correction));
    }

    /** The maximum over {@code dim} (the gradient goes to the first maximal element). */
    public Tensor max(int dim, boolean keepDim) {
        Tensor idx = argmax(dim, true);
        Tensor values = gatherAlong(dim, idx);
        return keepDim ? values : values.squeeze(dim);
    }

    /** The index of the maximum along {@code dim} (the first on ties), as exact floats; no gradient. */
    public Tensor argmax(int dim, boolean keepDim) {
        int d = Shapes.dim("argmax", dim, shape.length);
        if (shape[d] == 0) {
            throw new IllegalArgumentException("argmax: dimension " + d + " of shape " + Shapes.str(shape) + " is empty");
        }
        Tensor moved = transpose(d, -1).contiguousClone();
        int len = shape[d], rows = moved.numel() / len;
        float[] idx = new float[rows];
        for (int r = 0; r < rows; r++) {
            idx[r] = Reductions.argmax(len, moved.data, r * len);
        }
        int[] kept = moved.shape.clone();
        kept[kept.length - 1] = 1;
        Tensor out = new Tensor(idx, 0, kept, Shapes.contiguousStrides(kept)).transpose(d, -1).contiguousClone();
        return keepDim ? out : out.squeeze(d);
    }

    /** The largest element; as {@code torch.max(x)}, equal maxima share the gradient evenly. */
    public Tensor max() {
        Tensor x = contiguous();
        if (x.numel() == 0) {
            throw new IllegalArgumentException("max: the tensor is empty");
        }
        float m = Reductions.max(x.numel(), x.data, x.offset);
        Tensor self = this;
        return result(scalar(m), "MaxBackward", g -> {
            Tensor mask = self.map(v -> v == m || (Float.isNaN(v) && Float.isNaN(m)) ? 1f : 0f);
            float ties = Reductions.sum(mask.numel(), mask.data, 0);
            return new Tensor[] {mask.mul(g.item() / ties)};
        }, this);
    }

    /**
     * {@code torch.gather(self, dim, index)}: {@code out[i][j] = self[i][index[i][j]]} for {@code dim = 1}
     * (and likewise for other dims); {@code index} holds exact integer floats of any size along {@code dim}.
     */
    public Tensor gather(int dim, Tensor index) {
        return gatherAlong(dim, index);
    }

    private Tensor gatherAlong(int dim, Tensor index) {
        int d = Shapes.dim("gather", dim, shape.length);
        if (index.shape.length != shape.length) {
            throw new IllegalArgumentException("gather: index of shape " + Shapes.str(index.shape)
                    + " must have the rank of the input " + Shapes.str(shape));
        }
        int[] ishape = index.shape;
        float[] iv = index.contiguousCopy();
        float[] out = new float[iv.length];
        int[] pos = new int[ishape.length];
        int[] src = new int[ishape.length];
        for (int i = 0; i < iv.length; i++) {
            System.arraycopy(pos, 0, src, 0, pos.length);
            int at = (int) iv[i];
            if (at < 0 || at >= shape[d] || at != iv[i]) {
                throw new IllegalArgumentException("gather: index " + iv[i] + " is out of range for dimension " + d
                        + " of size " + shape[d]);
            }
            src[d] = at;
            out[i] = data[positionOf(src)];
            incrementIn(pos, ishape);
        }
        Tensor result = new Tensor(out, 0, ishape.clone(), Shapes.contiguousStrides(ishape));
        int[] original = shape;
        return result(result, "GatherBackward", g -> {
            Tensor full = zeros(original);
            float[] gv = g.contiguousCopy();
            int[] p = new int[ishape.length];
            for (int i = 0; i < gv.length; i++) {
                int[] s = p.clone();
                s[d] = (int) iv[i];
                full.data[full.positionOf(s)] += gv[i];
                incrementIn(p, ishape);
            }
            return new Tensor[] {full};
        }, this);
    }

    // ---------------------------------------------------------------------------------- joining, splitting

    /**
     * Joins tensors along dimension {@code dim} ({@code torch.cat}): all must have the same shape except in
     * that dimension. The result owns its storage; the backward hands each input its slice of the gradient.
     */
    public static Tensor cat(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("cat: expected a non-empty list of tensors");
        }
        int[] first = tensors[0].shape;
        int d = Shapes.dim("cat", dim, first.length);
        int total = 0;
        for (int t = 0; t < tensors.length; t++) {
            int[] s = tensors[t].shape;
            boolean same = s.length == first.length;
            for (int i = 0; same && i < s.length; i++) {
                same = i == d || s[i] == first[i];
            }
            if (!same) {
                throw new IllegalArgumentException("cat: tensor " + t + " has shape " + Shapes.str(s) + ", which does not match "
                        + "tensor 0's shape " + Shapes.str(first) + " outside dimension " + d);
            }
            total += s[d];
        }
        int[] outShape = first.clone();
        outShape[d] = total;
        int outer = Shapes.numel(Arrays.copyOf(first, d));
        int inner = Shapes.numel(Arrays.copyOfRange(first, d + 1, first.length));
        Tensor out = zeros(outShape);
        int outRow = total * inner, at = 0;
        int[] starts = new int[tensors.length];
        for (int t = 0; t < tensors.length; t++) {
            Tensor c = tensors[t].contiguous();
            int block = c.shape[d] * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(c.data, c.offset + o * block, out.data, o * outRow + at, block);
            }
            starts[t] = at / Math.max(1, inner);
            at += block;
        }
        return result(out, "CatBackward", g -> {
            Tensor[] grads = new Tensor[tensors.length];
            for (int t = 0; t < tensors.length; t++) {
                if (tensors[t].requiresGrad) {
                    grads[t] = g.slice(d, starts[t], starts[t] + tensors[t].shape[d]).contiguousClone();
                }
            }
            return grads;
        }, tensors);
    }

    /** Joins tensors of one shape along a new dimension {@code dim} ({@code torch.stack}). */
    public static Tensor stack(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("stack: expected a non-empty list of tensors");
        }
        int d = Shapes.dim("stack", dim, tensors[0].shape.length + 1);
        Tensor[] lifted = new Tensor[tensors.length];
        for (int t = 0; t < tensors.length; t++) {
            if (!Arrays.equals(tensors[t].shape, tensors[0].shape)) {
                throw new IllegalArgumentException("stack: expects each tensor to be equal size, but got "
                        + Shapes.str(tensors[0].shape) + " at entry 0 and " + Shapes.str(tensors[t].shape) + " at entry " + t);
            }
            lifted[t] = tensors[t].unsqueeze(d);
        }
        return cat(d, lifted);
    }

    /**
     * Views of consecutive pieces of {@code splitSize} along {@code dim}, the last one smaller when the size
     * does not divide ({@code torch.split(x, splitSize, dim)}).
     */
    public Tensor[] split(int splitSize, int dim) {
        int d = Shapes.dim("split", dim, shape.length);
        if (splitSize <= 0) {
            throw new IllegalArgumentException("split: split size must be positive, got " + splitSize);
        }
        int n = Math.max(1, (shape[d] + splitSize - 1) / splitSize);
        Tensor[] parts = new Tensor[n];
        for (int i = 0; i < n; i++) {
            parts[i] = slice(d, Math.min(shape[d], i * splitSize), Math.min(shape[d], (i + 1) * splitSize));
        }
        return parts;
    }

    /** Views of {@code sizes[i]} elements each along {@code dim}; the sizes must add up to that dimension. */
    public Tensor[] split(int[] sizes, int dim) {
        int d = Shapes.dim("split", dim, shape.length);
        int sum = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split: sizes must be non-negative, got " + Arrays.toString(sizes));
            }
            sum += s;
        }
        if (sum != shape[d]) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + sum
                    + ", but dimension " + d + " of shape " + Shapes.str(shape) + " has size " + shape[d]);
        }
        Tensor[] parts = new Tensor[sizes.length];
        for (int i = 0, at = 0; i < sizes.length; at += sizes[i++]) {
            parts[i] = slice(d, at, at + sizes[i]);
        }
        return parts;
    }

    /** At most {@code chunks} views of equal size along {@code dim}, as {@code torch.chunk}. */
    public Tensor[] chunk(int chunks, int dim) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        }
        int d = Shapes.dim("chunk", dim, shape.length);
        return split(Math.max(1, (shape[d] + chunks - 1) / chunks), d);
    }

    /** Rows (entries along dimension 0) at the given indices ({@code index_select(0, ...)}, {@code x[idx]}). */
    public Tensor indexSelect(int[] indices) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("indexSelect: needs at least one dimension");
        }
        int rowSize = numel() / Math.max(1, shape[0]);
        Tensor x = contiguous();
        int[] ns = shape.clone();
        ns[0] = indices.length;
        Tensor out = zeros(ns);
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= shape[0]) {
                throw new IllegalArgumentException("indexSelect: index " + indices[i] + " is out of range for size " + shape[0]);
            }
            System.arraycopy(x.data, x.offset + indices[i] * rowSize, out.data, i * rowSize, rowSize);
        }
        int[] original = shape;
        int[] idx = indices.clone();
        return result(out, "IndexSelectBackward", g -> {
            Tensor full = zeros(original);
            Tensor gc = g.contiguous();
            for (int i = 0; i < idx.length; i++) {
                Elementwise.axpy(rowSize, 1f, gc.data, gc.offset + i * rowSize, full.data, idx[i] * rowSize);
            }
            return new Tensor[] {full};
        }, this);
    }

    // ----------------------------------------------------------------------------- broadcasting helpers

    /** This tensor broadcast to {@code target} (a view), or this when the shapes are equal. */
    Tensor expandTo(int[] target) {
        return Arrays.equals(shape, target) ? this : expand(target);
    }

    /** Sums a broadcast gradient back down to {@code target} (the inverse of broadcasting). */
    Tensor sumTo(int[] target) {
        if (Arrays.equals(shape, target)) {
            return this;
        }
        int lead = shape.length - target.length;
        Tensor t = this;
        // Reduce the leading dimensions with one column-sum over a (rows x rest) view when possible.
        if (lead > 0) {
            int rows = sizeProduct(0, lead - 1);
            Tensor c = t.contiguous();
            int rest = rows == 0 ? 0 : c.numel() / rows;
            Tensor out = zeros(Arrays.copyOfRange(shape, lead, shape.length));
            Reductions.columnSums(rows, rest, c.data, c.offset, out.data, 0);
            t = out;
        }
        for (int d = 0; d < target.length; d++) {
            if (target[d] == 1 && t.shape[d] != 1) {
                t = t.sum(d, true);
            }
        }
        return t.reshape(target);
    }

    // ------------------------------------------------------------------------------ strided iteration

    private int position(String op, int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException(op + ": " + index.length + " indices for a tensor of rank " + shape.length);
        }
        for (int d = 0; d < index.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IllegalArgumentException(op + ": index " + index[d] + " is out of range for dimension " + d
                        + " of size " + shape[d]);
            }
        }
        return positionOf(index);
    }

    int positionOf(int[] index) {
        int p = offset;
        for (int d = 0; d < index.length; d++) {
            p += index[d] * strides[d];
        }
        return p;
    }

    private void increment(int[] index) {
        incrementIn(index, shape);
    }

    private static void incrementIn(int[] index, int[] shape) {
        for (int d = index.length - 1; d >= 0; d--) {
            if (++index[d] < shape[d]) {
                return;
            }
            index[d] = 0;
        }
    }

    /** The elements in row-major order, as a new array. */
    float[] contiguousCopy() {
        int n = numel();
        float[] out = new float[n];
        if (isContiguous()) {
            System.arraycopy(data, offset, out, 0, n);
            return out;
        }
        if (n == 0) {
            return out;
        }
        // Copy innermost runs; the other dimensions advance like an odometer.
        int last = shape.length - 1;
        int run = shape[last], stride = strides[last];
        int[] index = new int[shape.length];
        for (int i = 0; i < n; i += run) {
            int p = positionOf(index);
            if (stride == 1) {
                System.arraycopy(data, p, out, i, run);
            } else {
                for (int j = 0; j < run; j++) {
                    out[i + j] = data[p + j * stride];
                }
            }
            index[last] = run - 1;
            increment(index);
        }
        return out;
    }

    private int sizeProduct(int from, int to) {
        int p = 1;
        for (int d = from; d <= to; d++) {
            p *= shape[d];
        }
        return p;
    }

    private int[] inferShape(String op, int[] newShape) {
        int[] s = newShape.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (unknown >= 0) {
                    throw new IllegalArgumentException(op + ": only one dimension can be -1, got " + Shapes.str(newShape));
                }
                unknown = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid dimension " + s[i] + " in " + Shapes.str(newShape));
            } else {
                known *= s[i];
            }
        }
        int n = numel();
        if (unknown >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Shapes.str(newShape) + " is invalid for input of size " + n);
            }
            s[unknown] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException(op + ": shape " + Shapes.str(newShape) + " is invalid for input of size " + n
                    + " (shape " + Shapes.str(shape) + ")");
        }
        return s;
    }

    private static int[] concat(int[] head, int... tail) {
        int[] r = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, r, head.length, tail.length);
        return r;
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    // ------------------------------------------------------------------------------------------- printing

    /** PyTorch-style text: {@code tensor([[1.0000, 2.0000], [3.0000, 4.0000]], grad_fn=<AddBackward>)}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("tensor(");
        float[] v = contiguousCopy();
        if (shape.length == 0) {
            sb.append(format(v[0]));
        } else {
            appendLevel(sb, v, 0, new int[] {0}, 7);
        }
        if (node != null) {
            sb.append(", grad_fn=<").append(node.name).append('>');
        } else if (requiresGrad) {
            sb.append(", requires_grad=True");
        }
        return sb.append(')').toString();
    }

    private void appendLevel(StringBuilder sb, float[] v, int d, int[] cursor, int indent) {
        sb.append('[');
        int n = shape[d];
        boolean elide = n > 6 && numel() > 1000;
        for (int i = 0; i < n; i++) {
            if (elide && i == 3) {
                sb.append("...");
                int skip = n - 6;
                cursor[0] += skip * sizeProduct(d + 1, shape.length - 1);
                i += skip - 1;
                sb.append(", ");
                continue;
            }
            if (d == shape.length - 1) {
                sb.append(format(v[cursor[0]++]));
            } else {
                appendLevel(sb, v, d + 1, cursor, indent + 1);
            }
            if (i < n - 1) {
                sb.append(d == shape.length - 1 ? ", " : ",\n" + " ".repeat(indent + d + 1));
            }
        }
        sb.append(']');
    }

    private static String format(float x) {
        if (Float.isNaN(x)) {
            return "nan";
        }
        if (Float.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        float a = Math.abs(x);
        return a != 0 && (a >= 1e6f || a < 1e-4f) ? String.format("%.4e", x) : String.format("%.4f", x);
    }
}
