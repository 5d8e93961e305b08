package dev.lanes.nn;

/**
 * Whether operations record the graph for autograd, per thread. {@code try (var g = GradMode.noGrad()) {...}}
 * turns recording off inside the block, like {@code with torch.no_grad():}; inference in a no-grad scope
 * records nothing and mutates no shared state, so a model can serve many threads at once.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    /** True when operations on this thread record the graph. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off on this thread until the returned scope is closed (restoring the previous mode). */
    public static Scope noGrad() {
        return set(false);
    }

    /** Turns recording on on this thread until the returned scope is closed. */
    public static Scope enableGrad() {
        return set(true);
    }

    private static Scope set(boolean enabled) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = enabled;
        return () -> flag[0] = previous;
    }

    /** A scope that restores the previous mode when closed. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
