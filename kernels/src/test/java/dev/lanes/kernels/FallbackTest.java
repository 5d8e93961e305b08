package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --add-modules jdk.incubator.vector} the library must still compute correct results on its
 * scalar twins and say once, clearly, why and how to fix it. Runs a child JVM to get a clean module graph.
 */
class FallbackTest {

    /** Entry point of the child JVM: prints the implementation and one product. */
    public static void main(String[] args) {
        float[] c = new float[4];
        Gemm.sgemm(2, 2, 2, new float[] {1, 2, 3, 4}, new float[] {5, 6, 7, 8}, c);
        System.out.println("implementation=" + Gemm.implementation());
        System.out.println("result=" + java.util.Arrays.toString(c));
        // The other kernel families must not touch their Vector API classes either.
        float[] p = new float[2];
        Softmax.softmax(1, 2, new float[] {0f, (float) Math.log(3)}, 0, p, 0);
        float[] g = new float[1];
        Activations.gelu(1, false, new float[] {1f}, 0, g, 0);
        System.out.println("softmax=" + java.util.Arrays.toString(p) + " gelu=" + g[0]
                + " sum=" + Reductions.sum(3, new float[] {1f, 2f, 3.5f}, 0));
        // one query against two keys with equal values: the output is that value whatever the weights
        float[] o = new float[1];
        Attention.forward(1, 1, 2, 1, new float[] {1f}, 0, new float[] {0f, 1f}, 0, new float[] {2f, 2f}, 0,
                null, 0, 0, false, 1f, o, 0, null, 0);
        System.out.println("attention=" + o[0]);
    }

    @Test
    void withoutTheVectorModuleItRunsScalarAndSaysSo() throws Exception {
        String output = runChild(List.of());
        assertTrue(output.contains("implementation=scalar"), output);
        assertTrue(output.contains("result=[19.0, 22.0, 43.0, 50.0]"), output);
        assertTrue(output.contains("softmax=[0.25, 0.75] gelu=0.8413448 sum=6.5"), output);
        assertTrue(output.contains("attention=2.0"), output);
        assertTrue(output.contains("jdk.incubator.vector is not loaded"), output);
        assertTrue(output.contains("--add-modules jdk.incubator.vector"), output);
        assertEquals(1, output.lines().filter(l -> l.contains("scalar kernels")).count(), output);
    }

    @Test
    void withTheVectorModuleItRunsVectorized() throws Exception {
        String output = runChild(List.of("--add-modules", "jdk.incubator.vector"));
        assertTrue(output.contains("implementation=vector"), output);
        assertTrue(output.contains("result=[19.0, 22.0, 43.0, 50.0]"), output);
    }

    @Test
    void lanesScalarPropertyForcesTheTwins() throws Exception {
        String output = runChild(List.of("--add-modules", "jdk.incubator.vector", "-Dlanes.scalar=true"));
        assertTrue(output.contains("implementation=scalar"), output);
        assertTrue(output.contains("lanes.scalar=true"), output);
    }

    private static String runChild(List<String> jvmArgs) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(FallbackTest.class.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean done = process.waitFor(60, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, "child JVM did not finish: " + output);
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
