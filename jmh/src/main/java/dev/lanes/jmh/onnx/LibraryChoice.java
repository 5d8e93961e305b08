package dev.lanes.jmh.onnx;

import ai.onnxruntime.OrtException;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state of a whole-model benchmark that ONNX Runtime also runs: the {@code library} parameter
 * ({@code lanes} by default, or {@code onnxruntime} on an exported model) and, for ONNX Runtime, its session,
 * closed at the end of the trial. A benchmark subclasses it as a {@code @State} whose {@code @Setup} calls
 * {@link #choose}.
 */
@State(Scope.Benchmark)
public abstract class LibraryChoice {
    @Param({"lanes"})
    public String library;

    /** The session when {@code library} is {@code onnxruntime}, else null. */
    public OnnxModel onnx;

    /** Opens an ONNX Runtime session; called only when the library is {@code onnxruntime}. */
    @FunctionalInterface
    public interface Opener {
        OnnxModel open() throws OrtException;
    }

    /** Opens the session for {@code onnxruntime}, does nothing for {@code lanes}, refuses any other name. */
    protected void choose(String benchmark, Opener opener) throws OrtException {
        switch (library) {
            case "lanes" -> { }
            case "onnxruntime" -> onnx = opener.open();
            default -> throw new IllegalArgumentException(
                    benchmark + ": library must be lanes or onnxruntime, not " + library);
        }
    }

    @TearDown(Level.Trial)
    public void closeSession() throws OrtException {
        if (onnx != null) {
            onnx.close();
            onnx = null;
        }
    }
}
