package dev.lanes.nn.train;

/**
 * The drawing operations a {@link Chart} needs, in pixel coordinates with y pointing down; implemented
 * for SVG ({@link SvgCanvas}) and for a raster image that becomes a PNG ({@link RasterCanvas}).
 */
interface Canvas {
    /** Horizontal placement of text relative to its x. */
    enum Anchor { START, MIDDLE, END }

    /** A filled rectangle, {@code alpha} in [0, 1]. */
    void fillRect(double x, double y, double w, double h, int rgb, double alpha);

    /** An unfilled rectangle outline of the given line width. */
    void strokeRect(double x, double y, double w, double h, int rgb, double width);

    /** A straight line, not clipped. */
    void line(double x1, double y1, double x2, double y2, int rgb, double width);

    /** A line through the first {@code n} points, clipped to the plot area. */
    void polyline(double[] xs, double[] ys, int n, int rgb, double width);

    /** A filled disc at each of the first {@code n} points, clipped to the plot area. */
    void discs(double[] xs, double[] ys, int n, double radius, int rgb);

    /** The rectangle {@link #polyline} and {@link #discs} are clipped to. */
    void clip(double x, double y, double w, double h);

    /**
     * Text placed by its anchor at {@code x} and the middle of its capitals at {@code y}. With
     * {@code vertical} it is turned 90 degrees to read upwards: then the middle of the capitals lies on the
     * vertical line {@code x} and the anchor is at height {@code y}.
     */
    void text(String s, double x, double y, TextSize size, Anchor anchor, boolean vertical, int rgb);

    /** The advance width of {@code s} at this size. */
    double textWidth(String s, TextSize size);

    /** The height of capitals at this size. */
    double textHeight(TextSize size);

    /** Text sizes of the chart's parts. */
    enum TextSize { TICK, LABEL, TITLE }
}
