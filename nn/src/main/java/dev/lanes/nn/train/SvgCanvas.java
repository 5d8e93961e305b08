package dev.lanes.nn.train;

import java.util.Locale;

/** Draws a chart as an SVG 1.1 document; text is left to the viewer's sans-serif font. */
final class SvgCanvas implements Canvas {
    private final int width;
    private final int height;
    private final StringBuilder body = new StringBuilder(1 << 14);
    private int clips;
    private String clipId;

    SvgCanvas(int width, int height, int background) {
        this.width = width;
        this.height = height;
        body.append("<rect width=\"100%\" height=\"100%\" fill=\"").append(hex(background)).append("\"/>\n");
    }

    String document(String title) {
        StringBuilder sb = new StringBuilder(body.length() + 512);
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n");
        if (title != null && !title.isEmpty()) {
            sb.append("<title>").append(escape(title)).append("</title>\n");
        }
        sb.append(body);
        sb.append("</svg>\n");
        return sb.toString();
    }

    @Override
    public void clip(double x, double y, double w, double h) {
        clipId = "clip" + (clips++);
        body.append("<clipPath id=\"").append(clipId).append("\"><rect x=\"").append(f(x)).append("\" y=\"").append(f(y))
                .append("\" width=\"").append(f(w)).append("\" height=\"").append(f(h)).append("\"/></clipPath>\n");
    }

    private String clipAttr() {
        return clipId == null ? "" : " clip-path=\"url(#" + clipId + ")\"";
    }

    @Override
    public void fillRect(double x, double y, double w, double h, int rgb, double alpha) {
        body.append("<rect x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" width=\"").append(f(w))
                .append("\" height=\"").append(f(h)).append("\" fill=\"").append(hex(rgb)).append('"');
        if (alpha < 1) {
            body.append(" fill-opacity=\"").append(f(alpha)).append('"');
        }
        body.append("/>\n");
    }

    @Override
    public void strokeRect(double x, double y, double w, double h, int rgb, double lw) {
        body.append("<rect x=\"").append(f(x + lw / 2)).append("\" y=\"").append(f(y + lw / 2)).append("\" width=\"")
                .append(f(w - lw)).append("\" height=\"").append(f(h - lw)).append("\" fill=\"none\" stroke=\"")
                .append(hex(rgb)).append("\" stroke-width=\"").append(f(lw)).append("\"/>\n");
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, int rgb, double lw) {
        body.append("<line x1=\"").append(f(x1)).append("\" y1=\"").append(f(y1)).append("\" x2=\"").append(f(x2))
                .append("\" y2=\"").append(f(y2)).append("\" stroke=\"").append(hex(rgb)).append("\" stroke-width=\"")
                .append(f(lw)).append("\"/>\n");
    }

    @Override
    public void polyline(double[] xs, double[] ys, int n, int rgb, double lw) {
        body.append("<polyline fill=\"none\" stroke=\"").append(hex(rgb)).append("\" stroke-width=\"").append(f(lw))
                .append("\" stroke-linejoin=\"round\" stroke-linecap=\"round\"").append(clipAttr()).append(" points=\"");
        for (int i = 0; i < n; i++) {
            body.append(i == 0 ? "" : " ").append(f(xs[i])).append(',').append(f(ys[i]));
        }
        body.append("\"/>\n");
    }

    @Override
    public void discs(double[] xs, double[] ys, int n, double radius, int rgb) {
        body.append("<g fill=\"").append(hex(rgb)).append('"').append(clipAttr()).append(">\n");
        for (int i = 0; i < n; i++) {
            body.append("<circle cx=\"").append(f(xs[i])).append("\" cy=\"").append(f(ys[i])).append("\" r=\"")
                    .append(f(radius)).append("\"/>\n");
        }
        body.append("</g>\n");
    }

    private static double fontSize(TextSize size) {
        return switch (size) {
            case TICK -> 12;
            case LABEL -> 13;
            case TITLE -> 16;
        };
    }

    @Override
    public double textWidth(String s, TextSize size) {
        // An estimate for a sans-serif font (average advance a little over half the size), for layout only.
        return s.codePointCount(0, s.length()) * fontSize(size) * 0.6;
    }

    @Override
    public double textHeight(TextSize size) {
        return fontSize(size) * 0.72;
    }

    @Override
    public void text(String s, double x, double y, TextSize size, Anchor anchor, boolean vertical, int rgb) {
        String a = switch (anchor) {
            case START -> "start";
            case MIDDLE -> "middle";
            case END -> "end";
        };
        // Baseline at middle + half the cap height puts the capitals' middle on the requested line.
        double half = textHeight(size) / 2;
        body.append("<text");
        if (vertical) {
            body.append(" x=\"").append(f(-y)).append("\" y=\"").append(f(x + half)).append("\" transform=\"rotate(-90)\"");
        } else {
            body.append(" x=\"").append(f(x)).append("\" y=\"").append(f(y + half)).append('"');
        }
        body.append(" font-size=\"").append(f(fontSize(size))).append("\" text-anchor=\"").append(a).append("\" fill=\"")
                .append(hex(rgb)).append('"');
        if (size == TextSize.TITLE) {
            body.append(" font-weight=\"bold\"");
        }
        body.append('>').append(escape(s)).append("</text>\n");
    }

    static String hex(int rgb) {
        return String.format(Locale.ROOT, "#%06x", rgb & 0xFFFFFF);
    }

    private static String f(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** Escapes XML's special characters and drops characters XML 1.0 cannot hold. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        s.codePoints().forEach(c -> {
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> {
                    boolean legal = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                            || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
                    if (legal) {
                        sb.appendCodePoint(c);
                    }
                }
            }
        });
        return sb.toString();
    }
}
