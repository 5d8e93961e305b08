package dev.lanes.jmh.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * One ONNX Runtime (CPU) session over a model that {@code scripts/export_onnx.py} wrote, set up the way the
 * whole-model comparisons run it: {@code threads} intra-op threads, one inter-op thread, sequential execution,
 * every graph optimisation ({@code ORT_ENABLE_ALL}). The single input and the single output live in direct
 * native-order buffers created once, and the output is pinned, so {@link #run()} times the model and not the
 * copying of tensors in and out of the JVM (as the Lanes side reuses its input tensor).
 *
 * <p>The models are looked up in the directory named by the system property {@code lanes.onnx.dir}, by default
 * {@code target/onnx} relative to the working directory (the repository root when the jar is run from there).
 * JMH forks inherit the working directory but not system properties: {@link dev.lanes.jmh.Bench} passes a
 * {@code -Dlanes.onnx.dir=DIR} given to the jar on to them ({@code -jvmArgsPrepend}; not
 * {@code -jvmArgsAppend}, which would replace the benchmarks' own heap and module flags).
 */
public final class OnnxModel implements AutoCloseable {
    /** The system property naming the directory of the exported models. */
    public static final String DIR_PROPERTY = "lanes.onnx.dir";

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final OnnxTensor input, output;
    private final Map<String, OnnxTensor> inputs, outputs;
    private final FloatBuffer outputBuffer;

    private OnnxModel(Path file, int threads, String inputName, OnnxInput in, String outputName, long[] outputShape)
            throws OrtException {
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = null;
        OnnxTensor i = null;
        try {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            s = env.createSession(file.toString(), o);
            i = in.create(env);
            outputBuffer = direct(Math.toIntExact(count(outputShape)) * Float.BYTES).asFloatBuffer();
            output = OnnxTensor.createTensor(env, outputBuffer, outputShape);
        } catch (OrtException | RuntimeException e) {
            if (i != null) {
                i.close();
            }
            if (s != null) {
                s.close();
            }
            o.close();
            throw e;
        }
        options = o;
        session = s;
        input = i;
        inputs = Map.of(inputName, input);
        outputs = Map.of(outputName, output);
    }

    /** An input tensor made once in setup. */
    @FunctionalInterface
    private interface OnnxInput {
        OnnxTensor create(OrtEnvironment env) throws OrtException;
    }

    /**
     * Opens {@code name} (a file in the model directory) with a float32 input {@code inputName} holding
     * {@code values} in {@code inputShape} and a float32 output {@code outputName} of {@code outputShape}.
     *
     * @throws IllegalStateException if the model file does not exist (the message says how to make it)
     */
    public static OnnxModel open(String name, int threads, String inputName, float[] values, long[] inputShape,
            String outputName, long[] outputShape) throws OrtException {
        check(values.length, inputShape, inputName);
        return new OnnxModel(locate(name), threads, inputName, env -> {
            FloatBuffer b = direct(values.length * Float.BYTES).asFloatBuffer();
            b.put(values).rewind();
            return OnnxTensor.createTensor(env, b, inputShape);
        }, outputName, outputShape);
    }

    /** As {@link #open(String, int, String, float[], long[], String, long[])} with an int64 input (token ids). */
    public static OnnxModel open(String name, int threads, String inputName, long[] values, long[] inputShape,
            String outputName, long[] outputShape) throws OrtException {
        check(values.length, inputShape, inputName);
        return new OnnxModel(locate(name), threads, inputName, env -> {
            LongBuffer b = direct(values.length * Long.BYTES).asLongBuffer();
            b.put(values).rewind();
            return OnnxTensor.createTensor(env, b, inputShape);
        }, outputName, outputShape);
    }

    /** Runs the model once; the result is written into the pinned output buffer. */
    public FloatBuffer run() throws OrtException {
        // Closing the result does not close the pinned output; it only releases the result's handles.
        try (OrtSession.Result ignored = session.run(inputs, outputs)) {
            return outputBuffer;
        }
    }

    /** The model file {@code name} in the model directory, or an IllegalStateException saying what to run. */
    public static Path locate(String name) {
        Path dir = Path.of(System.getProperty(DIR_PROPERTY, "target/onnx"));
        Path file = dir.resolve(name).toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("onnxruntime: model " + file + " not found: run"
                    + " `python3 scripts/export_onnx.py` from the repository root (it writes target/onnx), or"
                    + " run the jar with -D" + DIR_PROPERTY + "=DIR pointing at the directory it wrote");
        }
        return file;
    }

    private static void check(int length, long[] shape, String name) {
        if (count(shape) != length) {
            throw new IllegalArgumentException("OnnxModel.open: input " + name + " has " + length
                    + " values for shape " + java.util.Arrays.toString(shape));
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    /** Closes the tensors, the session and its options (the shared environment stays). */
    @Override
    public void close() throws OrtException {
        try {
            input.close();
            output.close();
            session.close();
        } finally {
            options.close();
        }
    }
}
