package dev.lanes.nn.train;

import java.util.Arrays;
import java.util.Objects;

/**
 * One named data series of a {@link Chart}: points {@code (x[i], y[i])} drawn as a line (in the order
 * given), as markers, or both. Non-finite values (NaN, infinities) are left out; a line breaks there.
 *
 * @param name the legend text
 * @param x x values
 * @param y y values, as many as x
 * @param style how the points are drawn
 * @param color {@code 0xRRGGBB}, or -1 for the next colour of the chart's palette
 */
public record Series(String name, double[] x, double[] y, Style style, int color) {
    /** How a series is drawn. */
    public enum Style {
        /** A line through the points in order. */
        LINE,
        /** A marker at each point (a scatter plot). */
        POINTS,
        /** Both. */
        LINE_AND_POINTS
    }

    /**
     * @throws IllegalArgumentException if x and y differ in length or the colour is not -1 or 24-bit
     */
    public Series {
        Objects.requireNonNull(name, "Series: name");
        Objects.requireNonNull(style, "Series: style");
        if (x.length != y.length) {
            throw new IllegalArgumentException("Series \"" + name + "\": " + x.length + " x values but " + y.length + " y values");
        }
        if (color < -1 || color > 0xFFFFFF) {
            throw new IllegalArgumentException("Series \"" + name + "\": colour " + color + " is not -1 or 0xRRGGBB");
        }
        x = x.clone();
        y = y.clone();
    }

    /** A line through {@code (x[i], y[i])}. */
    public static Series line(String name, double[] x, double[] y) {
        return new Series(name, x, y, Style.LINE, -1);
    }

    /** A line through {@code (i + 1, y[i])}: values per epoch, numbered from 1. */
    public static Series line(String name, double[] y) {
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        return line(name, x, y);
    }

    /** Markers at {@code (x[i], y[i])} (a scatter plot). */
    public static Series points(String name, double[] x, double[] y) {
        return new Series(name, x, y, Style.POINTS, -1);
    }

    /** This series with another style. */
    public Series withStyle(Style style) {
        return new Series(name, x, y, style, color);
    }

    /** This series in a fixed colour, {@code 0xRRGGBB}. */
    public Series withColor(int rgb) {
        return new Series(name, x, y, style, rgb);
    }

    /** The x values (a copy). */
    @Override
    public double[] x() {
        return x.clone();
    }

    /** The y values (a copy). */
    @Override
    public double[] y() {
        return y.clone();
    }

    double[] xs() {
        return x;
    }

    double[] ys() {
        return y;
    }

    /** The number of points. */
    public int size() {
        return x.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Series s && s.name.equals(name) && Arrays.equals(s.x, x)
                && Arrays.equals(s.y, y) && s.style == style && s.color == color;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(x), Arrays.hashCode(y), style, color);
    }

    @Override
    public String toString() {
        return "Series[" + name + ", " + x.length + " points, " + style + "]";
    }
}
