package dev.lanes.nn.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One-call chart files: {@code Charts.writePng(path, "Loss", Series.line("train", loss))}. For axis
 * labels, a log scale or another size, build a {@link Chart}.
 */
public final class Charts {
    private Charts() {}

    /** Writes an 800 x 500 SVG chart of the series, atomically. */
    public static void writeSvg(Path file, String title, Series... series) throws IOException {
        new Chart(title).add(series).writeSvg(file);
    }

    /** Writes an 800 x 500 PNG chart of the series, atomically. */
    public static void writePng(Path file, String title, Series... series) throws IOException {
        new Chart(title).add(series).writePng(file);
    }
}
