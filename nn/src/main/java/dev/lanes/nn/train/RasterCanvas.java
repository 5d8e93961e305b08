package dev.lanes.nn.train;

import java.util.Arrays;

/**
 * A small software rasteriser for charts, so that PNGs need no {@code java.desktop}: anti-aliased lines of
 * any width and discs (coverage from the distance of each pixel centre to the shape), filled rectangles, and
 * text in {@link BitmapFont} scaled by a whole number.
 *
 * <p>A polyline or a set of discs is drawn in two passes: the coverage of each pixel is the maximum over
 * the segments (or discs) touching it, then blended once, so joints and overlaps do not darken.
 */
final class RasterCanvas implements Canvas {
    private final int width;
    private final int height;
    private final int[] rgb;
    private final float[] coverage;
    private int clipX0, clipY0, clipX1, clipY1;
    // The box of pixels whose coverage is non-zero, inclusive-exclusive.
    private int dirtyX0, dirtyY0, dirtyX1, dirtyY1;

    RasterCanvas(int width, int height, int background) {
        this.width = width;
        this.height = height;
        this.rgb = new int[Math.multiplyExact(width, height)];
        this.coverage = new float[rgb.length];
        Arrays.fill(rgb, background);
        clip(0, 0, width, height);
        resetDirty();
    }

    int[] pixels() {
        return rgb;
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    byte[] toPng() {
        return Png.encodeRgb(width, height, rgb);
    }

    @Override
    public void clip(double x, double y, double w, double h) {
        clipX0 = Math.max(0, (int) Math.floor(x));
        clipY0 = Math.max(0, (int) Math.floor(y));
        clipX1 = Math.min(width, (int) Math.ceil(x + w));
        clipY1 = Math.min(height, (int) Math.ceil(y + h));
    }

    @Override
    public void fillRect(double x, double y, double w, double h, int color, double alpha) {
        // Partial coverage at fractional edges keeps 1-pixel rules crisp when they sit on whole pixels.
        int x0 = Math.max(0, (int) Math.floor(x)), x1 = Math.min(width, (int) Math.ceil(x + w));
        int y0 = Math.max(0, (int) Math.floor(y)), y1 = Math.min(height, (int) Math.ceil(y + h));
        for (int py = y0; py < y1; py++) {
            double cy = Math.min(py + 1, y + h) - Math.max(py, y);
            for (int px = x0; px < x1; px++) {
                double cx = Math.min(px + 1, x + w) - Math.max(px, x);
                blend(py * width + px, color, alpha * cx * cy);
            }
        }
    }

    @Override
    public void strokeRect(double x, double y, double w, double h, int color, double lw) {
        fillRect(x, y, w, lw, color, 1);
        fillRect(x, y + h - lw, w, lw, color, 1);
        fillRect(x, y, lw, h, color, 1);
        fillRect(x + w - lw, y, lw, h, color, 1);
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, int color, double lw) {
        int sx0 = clipX0, sy0 = clipY0, sx1 = clipX1, sy1 = clipY1;
        clip(0, 0, width, height);
        segment(x1, y1, x2, y2, lw / 2);
        composite(color);
        clipX0 = sx0;
        clipY0 = sy0;
        clipX1 = sx1;
        clipY1 = sy1;
    }

    @Override
    public void polyline(double[] xs, double[] ys, int n, int color, double lw) {
        if (n == 1) {
            segment(xs[0], ys[0], xs[0], ys[0], lw / 2);
        }
        for (int i = 1; i < n; i++) {
            segment(xs[i - 1], ys[i - 1], xs[i], ys[i], lw / 2);
        }
        composite(color);
    }

    @Override
    public void discs(double[] xs, double[] ys, int n, double radius, int color) {
        for (int i = 0; i < n; i++) {
            segment(xs[i], ys[i], xs[i], ys[i], radius);
        }
        composite(color);
    }

    /** Adds the coverage of a capsule: points within {@code r} of the segment, anti-aliased over one pixel. */
    private void segment(double ax, double ay, double bx, double by, double r) {
        double reach = r + 1;
        int x0 = Math.max(clipX0, (int) Math.floor(Math.min(ax, bx) - reach));
        int x1 = Math.min(clipX1, (int) Math.ceil(Math.max(ax, bx) + reach));
        int y0 = Math.max(clipY0, (int) Math.floor(Math.min(ay, by) - reach));
        int y1 = Math.min(clipY1, (int) Math.ceil(Math.max(ay, by) + reach));
        if (x0 >= x1 || y0 >= y1) {
            return;
        }
        double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
        for (int py = y0; py < y1; py++) {
            double cy = py + 0.5;
            for (int px = x0; px < x1; px++) {
                double cx = px + 0.5;
                double t = len2 == 0 ? 0 : Math.clamp(((cx - ax) * dx + (cy - ay) * dy) / len2, 0, 1);
                double ex = cx - (ax + t * dx), ey = cy - (ay + t * dy);
                double c = r + 0.5 - Math.sqrt(ex * ex + ey * ey);
                if (c > 0) {
                    int i = py * width + px;
                    float cov = (float) Math.min(1, c);
                    if (cov > coverage[i]) {
                        coverage[i] = cov;
                    }
                }
            }
        }
        dirtyX0 = Math.min(dirtyX0, x0);
        dirtyY0 = Math.min(dirtyY0, y0);
        dirtyX1 = Math.max(dirtyX1, x1);
        dirtyY1 = Math.max(dirtyY1, y1);
    }

    private void composite(int color) {
        for (int py = dirtyY0; py < dirtyY1; py++) {
            for (int px = dirtyX0; px < dirtyX1; px++) {
                int i = py * width + px;
                if (coverage[i] > 0) {
                    blend(i, color, coverage[i]);
                    coverage[i] = 0;
                }
            }
        }
        resetDirty();
    }

    private void resetDirty() {
        dirtyX0 = width;
        dirtyY0 = height;
        dirtyX1 = 0;
        dirtyY1 = 0;
    }

    private void blend(int i, int color, double a) {
        if (a <= 0) {
            return;
        }
        if (a >= 1) {
            rgb[i] = color;
            return;
        }
        int p = rgb[i];
        int r = mix((p >>> 16) & 0xFF, (color >>> 16) & 0xFF, a);
        int g = mix((p >>> 8) & 0xFF, (color >>> 8) & 0xFF, a);
        int b = mix(p & 0xFF, color & 0xFF, a);
        rgb[i] = (r << 16) | (g << 8) | b;
    }

    private static int mix(int from, int to, double a) {
        return (int) Math.round(from + (to - from) * a);
    }

    private static int scale(TextSize size) {
        return switch (size) {
            case TICK, LABEL -> 2;
            case TITLE -> 3;
        };
    }

    @Override
    public double textWidth(String s, TextSize size) {
        int n = s.codePointCount(0, s.length());
        return n == 0 ? 0 : (n * BitmapFont.ADVANCE - 1) * scale(size);
    }

    @Override
    public double textHeight(TextSize size) {
        return BitmapFont.CAP_HEIGHT * scale(size);
    }

    @Override
    public void text(String s, double x, double y, TextSize size, Anchor anchor, boolean vertical, int color) {
        int k = scale(size);
        double w = textWidth(s, size);
        double start = switch (anchor) {
            case START -> 0;
            case MIDDLE -> -w / 2;
            case END -> -w;
        };
        // Glyph rows run from the top of the capitals; centre the capitals on the given line.
        double top = Math.round((vertical ? x : y) - BitmapFont.CAP_HEIGHT * k / 2.0);
        double pen = Math.round((vertical ? y - start : x + start));
        int[] cps = s.codePoints().toArray();
        for (int cp : cps) {
            byte[] g = BitmapFont.glyph(cp);
            for (int row = 0; row < BitmapFont.HEIGHT; row++) {
                int bits = g[row];
                for (int col = 0; col < BitmapFont.WIDTH; col++) {
                    if ((bits & (1 << (BitmapFont.WIDTH - 1 - col))) != 0) {
                        if (vertical) {
                            // Reading upwards: along the text is -y, the glyph's downwards is +x.
                            fillRect(top + row * k, pen - (col + 1) * k, k, k, color, 1);
                        } else {
                            fillRect(pen + col * k, top + row * k, k, k, color, 1);
                        }
                    }
                }
            }
            pen += vertical ? -BitmapFont.ADVANCE * k : BitmapFont.ADVANCE * k;
        }
    }
}
