package dev.lanes.jmh.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Threads;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The protocol scripts/bench_lstm_interleaved.py speaks with the worker, on one call of each case. */
class LstmWorkerTest {
    @AfterEach
    void restoreThreads() { // 'threads 1' sets the library's thread count for the whole test JVM
        Threads.setCount(Runtime.getRuntime().availableProcessors());
    }

    private static String[] serve(String commands) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            LstmWorker.serve(new BufferedReader(new StringReader(commands)), out);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toArray(String[]::new);
    }

    @Test
    void answersEachCommandOnOneLine() throws Exception {
        String[] answers = serve("threads 1\nrun forward 0\nrun forwardBackward 0\nquit\nrun forward 0\n");
        assertEquals(3, answers.length, String.join(" | ", answers)); // nothing after quit
        assertEquals("= ready", answers[0]);
        for (int i = 1; i < 3; i++) { // a burst of 0 s still makes one call, which takes some time
            String[] words = answers[i].split(" ");
            assertEquals("=", words[0], answers[i]);
            assertEquals(1, Long.parseLong(words[1]), answers[i]);
            assertTrue(Long.parseLong(words[2]) > 0, answers[i]);
        }
    }

    @Test
    void badCommandsSayWhatIsWrong() {
        var e = assertThrows(IllegalStateException.class, () -> serve("run forward 1\n"));
        assertTrue(e.getMessage().contains("before 'threads'"), e.getMessage());
        var f = assertThrows(IllegalArgumentException.class, () -> serve("threads 1\nrun backward 1\n"));
        assertTrue(f.getMessage().contains("no case backward"), f.getMessage());
        var g = assertThrows(IllegalArgumentException.class, () -> serve("jump\n"));
        assertTrue(g.getMessage().contains("'jump'"), g.getMessage());
        var h = assertThrows(IllegalArgumentException.class, () -> serve("threads\n"));
        assertTrue(h.getMessage().contains("'threads' needs a number"), h.getMessage());
        var i = assertThrows(IllegalArgumentException.class, () -> serve("threads 1\nrun forward soon\n"));
        assertTrue(i.getMessage().contains("'run forward soon' needs a number"), i.getMessage());
    }
}
