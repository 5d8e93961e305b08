package dev.lanes.nn.train;

import dev.lanes.nn.internal.AtomicFiles;
import dev.lanes.nn.train.Canvas.Anchor;
import dev.lanes.nn.train.Canvas.TextSize;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A line and scatter chart with axes, tick labels, a legend and an optional logarithmic y axis, written
 * as SVG or as PNG (drawn by a built-in rasteriser, so no {@code java.desktop} is needed).
 *
 * <pre>{@code
 * new Chart("Loss").xLabel("epoch").yLabel("loss").logY(true)
 *         .add(Series.line("train", trainLoss), Series.line("validation", valLoss))
 *         .writePng(Path.of("loss.png"));
 * new Chart("fit of 20 sin(2 pi x)").add(Series.points("data", xs, ys), Series.line("model", gridX, predicted))
 *         .writeSvg(Path.of("fit.svg"));
 * }</pre>
 *
 * <p>Axis ranges cover all finite points of all series with a small margin. On a log axis, values that are
 * not positive are left out. Series without a colour take the next one of matplotlib's default palette.
 * Files are written atomically: a reader sees the old file or the whole new one.
 */
public final class Chart {
    /** Matplotlib's "tab10" colours, its default cycle. */
    static final int[] PALETTE = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f,
        0xbcbd22, 0x17becf};
    private static final int BACKGROUND = 0xFFFFFF;
    private static final int INK = 0x222222;
    private static final int FRAME = 0x444444;
    private static final int GRID = 0xE6E6E6;
    private static final double LINE_WIDTH = 2;
    private static final double POINT_RADIUS = 3;

    private final String title;
    private String xLabel = "";
    private String yLabel = "";
    private boolean logY;
    private int width = 800;
    private int height = 500;
    private final List<Series> series = new ArrayList<>();

    /** An empty chart with a title (may be empty). */
    public Chart(String title) {
        this.title = Objects.requireNonNull(title, "Chart: title");
    }

    /** The x axis label (default none). */
    public Chart xLabel(String label) {
        this.xLabel = Objects.requireNonNull(label, "Chart.xLabel");
        return this;
    }

    /** The y axis label (default none). */
    public Chart yLabel(String label) {
        this.yLabel = Objects.requireNonNull(label, "Chart.yLabel");
        return this;
    }

    /** A base-10 logarithmic y axis (default linear); values that are not positive are then not drawn. */
    public Chart logY(boolean logY) {
        this.logY = logY;
        return this;
    }

    /** The image size in pixels (default 800 x 500; at least 200 x 150). */
    public Chart size(int width, int height) {
        if (width < 200 || height < 150 || width > 10_000 || height > 10_000) {
            throw new IllegalArgumentException("Chart.size: " + width + " x " + height
                    + " is outside 200 x 150 .. 10000 x 10000 pixels");
        }
        this.width = width;
        this.height = height;
        return this;
    }

    /** Adds series, drawn in the order added (later ones on top). */
    public Chart add(Series... more) {
        for (Series s : more) {
            series.add(Objects.requireNonNull(s, "Chart.add: series"));
        }
        return this;
    }

    /** The chart as an SVG document. */
    public String toSvg() {
        SvgCanvas canvas = new SvgCanvas(width, height, BACKGROUND);
        draw(canvas);
        return canvas.document(title);
    }

    /** The chart as PNG bytes (8-bit RGB). */
    public byte[] toPng() {
        RasterCanvas canvas = new RasterCanvas(width, height, BACKGROUND);
        draw(canvas);
        return canvas.toPng();
    }

    /** Writes {@link #toSvg()} to {@code file} atomically, creating its folder if needed. */
    public void writeSvg(Path file) throws IOException {
        AtomicFiles.writeCreatingFolder(file, toSvg().getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@link #toPng()} to {@code file} atomically, creating its folder if needed. */
    public void writePng(Path file) throws IOException {
        AtomicFiles.writeCreatingFolder(file, toPng());
    }

    // ------------------------------------------------------------------------------------------- drawing

    record Axis(double min, double max, double[] ticks, String[] labels, boolean log) {
        double t(double v) {
            return log ? Math.log10(v) : v;
        }
    }

    private void draw(Canvas c) {
        if (series.isEmpty()) {
            throw new IllegalArgumentException("Chart \"" + title + "\": no series to draw");
        }
        int[] colors = new int[series.size()];
        int next = 0;
        for (int i = 0; i < colors.length; i++) {
            int fixed = series.get(i).color();
            colors[i] = fixed >= 0 ? fixed : PALETTE[next++ % PALETTE.length];
        }

        double[] xr = range(true), yr = range(false);
        Axis yAxis = logY ? logAxis(yr[0], yr[1]) : linearAxis(yr[0], yr[1], Math.max(3, height / 70), 0.05, false);

        // Layout: margins from the text that has to fit around the plot.
        double tickH = c.textHeight(TextSize.TICK), labelH = c.textHeight(TextSize.LABEL);
        double maxYTick = 0;
        for (String s : yAxis.labels()) {
            maxYTick = Math.max(maxYTick, c.textWidth(s, TextSize.TICK));
        }
        double top = 16 + (title.isEmpty() ? 0 : c.textHeight(TextSize.TITLE) + 16);
        double bottom = 5 + 8 + tickH + (xLabel.isEmpty() ? 0 : 14 + labelH) + 14;
        double left = 14 + (yLabel.isEmpty() ? 0 : labelH + 14) + maxYTick + 8 + 5;
        double px = Math.round(left), py = Math.round(top), ph = Math.round(height - top - bottom);
        // Fewer x ticks until their labels stop overlapping (long labels such as step counts need room).
        Axis xAxis;
        double pw;
        int target = Math.max(3, width / 110);
        while (true) {
            xAxis = linearAxis(xr[0], xr[1], target, 0.02, allIntegers());
            String[] labels = xAxis.labels();
            double widest = 0;
            for (String s : labels) {
                widest = Math.max(widest, c.textWidth(s, TextSize.TICK));
            }
            double lastW = labels.length == 0 ? 0 : c.textWidth(labels[labels.length - 1], TextSize.TICK);
            pw = Math.round(width - left - Math.max(20, lastW / 2 + 8));
            double[] t = xAxis.ticks();
            double spacing = t.length < 2 ? pw : (t[1] - t[0]) / (xAxis.max() - xAxis.min()) * pw;
            if (target <= 2 || spacing >= widest + 16) {
                break;
            }
            target--;
        }
        if (pw < 40 || ph < 40) {
            throw new IllegalArgumentException("Chart \"" + title + "\": " + width + " x " + height
                    + " pixels leave no room for the plot next to its labels");
        }
        double plotW = pw;
        double x0 = xAxis.t(xAxis.min()), x1 = xAxis.t(xAxis.max());
        double y0 = yAxis.t(yAxis.min()), y1 = yAxis.t(yAxis.max());
        java.util.function.DoubleUnaryOperator sx = v -> px + (v - x0) / (x1 - x0) * plotW;
        java.util.function.DoubleUnaryOperator sy = v -> py + ph - (yAxis.t(v) - y0) / (y1 - y0) * ph;

        // Grid, frame, ticks and their labels.
        for (int i = 0; i < xAxis.ticks().length; i++) {
            double x = Math.round(sx.applyAsDouble(xAxis.ticks()[i]));
            c.fillRect(x, py, 1, ph, GRID, 1);
            c.fillRect(x, py + ph, 1, 5, FRAME, 1);
            c.text(xAxis.labels()[i], x + 0.5, py + ph + 5 + 8 + tickH / 2, TextSize.TICK, Anchor.MIDDLE, false, INK);
        }
        for (int i = 0; i < yAxis.ticks().length; i++) {
            double y = Math.round(sy.applyAsDouble(yAxis.ticks()[i]));
            c.fillRect(px, y, pw, 1, GRID, 1);
            c.fillRect(px - 5, y, 5, 1, FRAME, 1);
            c.text(yAxis.labels()[i], px - 5 - 8, y + 0.5, TextSize.TICK, Anchor.END, false, INK);
        }
        c.strokeRect(px, py, pw + 1, ph + 1, FRAME, 1);
        if (!title.isEmpty()) {
            c.text(title, px + pw / 2, 16 + c.textHeight(TextSize.TITLE) / 2, TextSize.TITLE, Anchor.MIDDLE, false, INK);
        }
        if (!xLabel.isEmpty()) {
            c.text(xLabel, px + pw / 2, py + ph + 5 + 8 + tickH + 14 + labelH / 2, TextSize.LABEL, Anchor.MIDDLE, false, INK);
        }
        if (!yLabel.isEmpty()) {
            c.text(yLabel, 14 + labelH / 2, py + ph / 2, TextSize.LABEL, Anchor.MIDDLE, true, INK);
        }

        // The data, clipped to the plot area.
        c.clip(px, py, pw + 1, ph + 1);
        List<double[][]> screen = new ArrayList<>();
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            double[] xs = s.xs(), ys = s.ys();
            double[] tx = new double[xs.length], ty = new double[xs.length];
            int n = 0;
            for (int i = 0; i < xs.length; i++) {
                boolean ok = Double.isFinite(xs[i]) && Double.isFinite(ys[i]) && (!logY || ys[i] > 0);
                if (ok) {
                    tx[n] = sx.applyAsDouble(xs[i]);
                    ty[n] = sy.applyAsDouble(ys[i]);
                    n++;
                }
                boolean runEnds = !ok || i == xs.length - 1;
                if (runEnds && n > 0) {
                    screen.add(new double[][] {java.util.Arrays.copyOf(tx, n), java.util.Arrays.copyOf(ty, n)});
                    if (s.style() != Series.Style.POINTS && n > 1) {
                        c.polyline(tx, ty, n, colors[k], LINE_WIDTH);
                    }
                    // A line through one point would be invisible: an isolated point gets a marker.
                    if (s.style() != Series.Style.LINE || n == 1) {
                        c.discs(tx, ty, n, POINT_RADIUS, colors[k]);
                    }
                    n = 0;
                }
            }
        }
        drawLegend(c, colors, px, py, pw, ph, screen);
    }

    private void drawLegend(Canvas c, int[] colors, double px, double py, double pw, double ph, List<double[][]> screen) {
        double tickH = c.textHeight(TextSize.TICK);
        double row = Math.max(16, tickH * 2);
        double swatch = 26, pad = 8;
        double textW = 0;
        for (Series s : series) {
            textW = Math.max(textW, c.textWidth(s.name(), TextSize.TICK));
        }
        double w = pad + swatch + 8 + textW + pad, h = pad + row * series.size() + pad - (row - tickH) + 4;
        if (w > pw - 20 || h > ph - 20) {
            return; // no room: a legend over the whole plot would hide it
        }
        // The corner covering the fewest data points, preferring top right as matplotlib's "best" does.
        double[][] corners = {{px + pw - 10 - w, py + 10}, {px + 10, py + 10}, {px + pw - 10 - w, py + ph - 10 - h},
            {px + 10, py + ph - 10 - h}};
        int best = 0;
        long bestCount = Long.MAX_VALUE;
        for (int k = 0; k < corners.length; k++) {
            long count = 0;
            for (double[][] pts : screen) {
                for (int i = 0; i < pts[0].length; i++) {
                    double x = pts[0][i], y = pts[1][i];
                    if (x >= corners[k][0] && x <= corners[k][0] + w && y >= corners[k][1] && y <= corners[k][1] + h) {
                        count++;
                    }
                }
            }
            if (count < bestCount) {
                bestCount = count;
                best = k;
            }
        }
        double lx = Math.round(corners[best][0]), ly = Math.round(corners[best][1]);
        c.clip(0, 0, width, height);
        c.fillRect(lx, ly, w, h, BACKGROUND, 0.9);
        c.strokeRect(lx, ly, w, h, 0xBBBBBB, 1);
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            double cy = ly + pad + 2 + tickH / 2 + k * row;
            double sx0 = lx + pad, sx1 = sx0 + swatch;
            if (s.style() != Series.Style.POINTS) {
                c.polyline(new double[] {sx0, sx1}, new double[] {cy, cy}, 2, colors[k], LINE_WIDTH);
            }
            if (s.style() != Series.Style.LINE) {
                c.discs(new double[] {(sx0 + sx1) / 2}, new double[] {cy}, 1, POINT_RADIUS, colors[k]);
            }
            c.text(s.name(), sx1 + 8, cy, TextSize.TICK, Anchor.START, false, INK);
        }
    }

    private boolean allIntegers() {
        for (Series s : series) {
            for (double v : s.xs()) {
                if (Double.isFinite(v) && v != Math.rint(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Min and max of the finite (and, on a log axis, positive) values; NaN, NaN if there are none. */
    private double[] range(boolean xs) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            double[] x = s.xs(), y = s.ys();
            for (int i = 0; i < x.length; i++) {
                if (Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logY || y[i] > 0)) {
                    double v = xs ? x[i] : y[i];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        return lo <= hi ? new double[] {lo, hi} : new double[] {Double.NaN, Double.NaN};
    }

    /** A linear axis over [lo, hi] widened by {@code margin} of its span, with 1-2-5 ticks. */
    static Axis linearAxis(double lo, double hi, int targetTicks, double margin, boolean integerTicks) {
        if (Double.isNaN(lo)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo <= Math.abs(hi) * 1e-12 || hi == lo) {
            double d = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= d;
            hi += d;
        } else {
            double span = hi - lo;
            lo -= span * margin;
            hi += span * margin;
        }
        double step = niceStep((hi - lo) / targetTicks);
        if (integerTicks && step < 1) {
            step = 1;
        }
        List<Double> ticks = new ArrayList<>();
        for (long k = (long) Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
            ticks.add(k * step);
        }
        double[] t = ticks.stream().mapToDouble(Double::doubleValue).toArray();
        String[] labels = new String[t.length];
        double maxAbs = Math.max(Math.abs(lo), Math.abs(hi));
        for (int i = 0; i < t.length; i++) {
            labels[i] = linearLabel(t[i], step, maxAbs);
        }
        return new Axis(lo, hi, t, labels, false);
    }

    /**
     * 1, 2 or 5 times a power of ten, whichever is nearest to {@code raw} on a log scale (the thresholds are
     * the geometric means sqrt(2), sqrt(10), sqrt(50), as in d3's tick generator).
     */
    static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double r = raw / mag;
        double nice = r >= Math.sqrt(50) ? 10 : r >= Math.sqrt(10) ? 5 : r >= Math.sqrt(2) ? 2 : 1;
        return nice * mag;
    }

    static String linearLabel(double v, double step, double maxAbs) {
        if (Math.abs(v) < step * 1e-6) {
            v = 0; // not -0.0, nor 1e-17 from k * step
        }
        if (maxAbs >= 1e6 || step < 1e-4) {
            if (v == 0) {
                return "0";
            }
            return sci(v, step);
        }
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Scientific notation with as few digits as the step needs: {@code 2.5e-5}. */
    static String sci(double v, double step) {
        int exp = (int) Math.floor(Math.log10(Math.abs(v)));
        int digits = Math.max(0, exp - (int) Math.floor(Math.log10(step) + 1e-9));
        BigDecimal m = BigDecimal.valueOf(v / Math.pow(10, exp)).setScale(Math.min(digits, 6), java.math.RoundingMode.HALF_EVEN)
                .stripTrailingZeros();
        if (m.abs().compareTo(BigDecimal.TEN) >= 0) {
            m = m.movePointLeft(1);
            exp++;
        }
        return m.toPlainString() + "e" + exp;
    }

    /** A log axis over [lo, hi] (positive), widened by 5% of its span in decades. */
    static Axis logAxis(double lo, double hi) {
        if (Double.isNaN(lo)) {
            lo = 1;
            hi = 10;
        }
        double a = Math.log10(lo), b = Math.log10(hi);
        if (b - a < 1e-9) {
            a -= 0.5;
            b += 0.5;
        } else {
            double span = b - a;
            a -= span * 0.05;
            b += span * 0.05;
        }
        double span = b - a;
        int[] mantissas = span > 3 ? new int[] {1} : span > 0.8 ? new int[] {1, 2, 5} : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9};
        int decadeStep = span > 10 ? (int) Math.ceil(span / 10) : 1;
        List<Double> ticks = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int p = (int) Math.floor(a); p <= (int) Math.ceil(b); p++) {
            if (Math.floorMod(p, decadeStep) != 0) {
                continue;
            }
            for (int m : mantissas) {
                double v = m * Math.pow(10, p);
                double lv = Math.log10(v);
                if (lv >= a - 1e-9 && lv <= b + 1e-9) {
                    ticks.add(v);
                    labels.add(logLabel(m, p));
                }
            }
        }
        double min = Math.pow(10, a), max = Math.pow(10, b);
        if (ticks.size() < 2) {
            // A range narrower than the gap between 1-2-...-9 ticks: linear ticks placed on the log scale.
            Axis lin = linearAxis(min, max, 4, 0, false);
            List<Double> t = new ArrayList<>();
            List<String> l = new ArrayList<>();
            for (int i = 0; i < lin.ticks().length; i++) {
                if (lin.ticks()[i] > 0) {
                    t.add(lin.ticks()[i]);
                    l.add(lin.labels()[i]);
                }
            }
            return new Axis(min, max, t.stream().mapToDouble(Double::doubleValue).toArray(), l.toArray(String[]::new), true);
        }
        return new Axis(min, max, ticks.stream().mapToDouble(Double::doubleValue).toArray(), labels.toArray(String[]::new), true);
    }

    static String logLabel(int mantissa, int power) {
        if (power >= -3 && power <= 4) {
            return BigDecimal.valueOf(mantissa).scaleByPowerOfTen(power).stripTrailingZeros().toPlainString();
        }
        return mantissa + "e" + power;
    }
}
