package dev.lanes.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** PNG structure and pixels, SVG well-formedness and content, axis ticks, atomic writes. */
class ChartTest {
    @TempDir
    Path dir;

    record Chunk(String type, byte[] data) {}

    /** Splits a PNG into chunks, checking the signature and every CRC. */
    static List<Chunk> chunks(byte[] png) {
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));
        ByteBuffer b = ByteBuffer.wrap(png, 8, png.length - 8);
        List<Chunk> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int len = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            byte[] data = new byte[len];
            b.get(data);
            int crc = b.getInt();
            CRC32 c = new CRC32();
            c.update(type);
            c.update(data);
            assertEquals((int) c.getValue(), crc, "CRC of chunk " + new String(type, StandardCharsets.US_ASCII));
            out.add(new Chunk(new String(type, StandardCharsets.US_ASCII), data));
        }
        return out;
    }

    /** Decodes one of our PNGs (RGB, filter 0) into 0xRRGGBB pixels, checking the layout on the way. */
    static int[] decode(byte[] png, int[] size) throws DataFormatException {
        List<Chunk> cs = chunks(png);
        assertEquals("IHDR", cs.get(0).type());
        assertEquals("IEND", cs.get(cs.size() - 1).type());
        assertEquals(0, cs.get(cs.size() - 1).data().length);
        ByteBuffer ihdr = ByteBuffer.wrap(cs.get(0).data());
        int w = ihdr.getInt(), h = ihdr.getInt();
        assertArrayEquals(new byte[] {8, 2, 0, 0, 0}, Arrays.copyOfRange(cs.get(0).data(), 8, 13), "8-bit RGB, no interlace");
        size[0] = w;
        size[1] = h;
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
        for (Chunk c : cs) {
            if (c.type().equals("IDAT")) {
                z.writeBytes(c.data());
            }
        }
        Inflater inf = new Inflater();
        inf.setInput(z.toByteArray());
        byte[] raw = new byte[h * (1 + w * 3) + 1];
        int n = 0;
        while (!inf.finished() && n < raw.length) {
            n += inf.inflate(raw, n, raw.length - n);
            if (n == 0 && inf.needsInput()) {
                break;
            }
        }
        assertTrue(inf.finished(), "the zlib stream ends");
        inf.end();
        assertEquals(h * (1 + w * 3), n, "decompressed size = height * (1 + width * 3)");
        int[] px = new int[w * h];
        for (int y = 0; y < h; y++) {
            int row = y * (1 + w * 3);
            assertEquals(0, raw[row], "filter byte of row " + y);
            for (int x = 0; x < w; x++) {
                int at = row + 1 + 3 * x;
                px[y * w + x] = ((raw[at] & 0xFF) << 16) | ((raw[at + 1] & 0xFF) << 8) | (raw[at + 2] & 0xFF);
            }
        }
        return px;
    }

    static Document parseSvg(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    static double[] range(int n, double from, double to) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = from + (to - from) * i / (n - 1);
        }
        return v;
    }

    @Test
    void pngIsValidAndDrawsTheData() throws Exception {
        // A flat red line at y = 1 between y = 0 and y = 2 points: it crosses the plot's middle row.
        Chart chart = new Chart("flat").size(400, 300)
                .add(Series.line("red", new double[] {0, 10}, new double[] {1, 1}).withColor(0xFF0000),
                        Series.points("blue", new double[] {5}, new double[] {0}).withColor(0x0000FF),
                        Series.points("marker", new double[] {5}, new double[] {2}).withColor(0x0000FF));
        int[] size = new int[2];
        int[] px = decode(chart.toPng(), size);
        assertArrayEquals(new int[] {400, 300}, size);
        assertEquals(0xFFFFFF, px[0], "background");
        int w = size[0];
        // Some column in the middle of the image has a pure red pixel (the 2-pixel line's core).
        boolean red = false;
        for (int y = 0; y < size[1]; y++) {
            red |= px[y * w + w / 2] == 0xFF0000;
        }
        assertTrue(red, "the red line crosses the middle column");
        long blue = Arrays.stream(px).filter(p -> p == 0x0000FF).count();
        assertTrue(blue >= 3 * 10, "three blue discs (two data points and a legend marker), " + blue + " pure-blue pixels");
        long dark = Arrays.stream(px).filter(p -> p == 0x222222).count();
        assertTrue(dark > 200, "text was drawn: " + dark + " ink pixels");
    }

    @Test
    void svgIsWellFormedAndHoldsTheSeries() throws Exception {
        double[] x = range(50, 0, 1);
        double[] y = new double[50];
        for (int i = 0; i < 50; i++) {
            y[i] = 20 * Math.sin(2 * Math.PI * x[i]);
        }
        double[] yBroken = y.clone();
        yBroken[20] = Double.NaN;
        String title = "fit of 20·sin(2πx) <a & b>";
        String svg = new Chart(title).xLabel("x").yLabel("y")
                .add(Series.points("data", x, y), Series.line("model", x, yBroken)).toSvg();
        Document d = parseSvg(svg);
        Element root = d.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        assertEquals("800", root.getAttribute("width"));
        assertEquals("500", root.getAttribute("height"));
        assertEquals(title, d.getElementsByTagName("title").item(0).getTextContent());
        NodeList texts = d.getElementsByTagName("text");
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < texts.getLength(); i++) {
            strings.add(texts.item(i).getTextContent());
        }
        assertTrue(strings.containsAll(List.of(title, "x", "y", "data", "model", "0.0", "0.4", "1.0", "-20", "0", "20")), strings.toString());
        // 50 data points + 1 legend marker; the NaN splits the model line in two, + 1 legend swatch.
        assertEquals(51, d.getElementsByTagName("circle").getLength());
        assertEquals(3, d.getElementsByTagName("polyline").getLength());
    }

    @Test
    void logScaleLeavesOutNonPositiveValues() throws Exception {
        String svg = new Chart("loss").logY(true)
                .add(Series.line("loss", new double[] {1, 2, 3, 4}, new double[] {2.3, 0.5, 0, 0.05})).toSvg();
        Document d = parseSvg(svg);
        // 0 breaks the line on a log axis: a line through 2.3 and 0.5, a marker at the isolated 0.05.
        assertEquals(2, d.getElementsByTagName("polyline").getLength(), "one data line and the legend's");
        assertEquals(1, d.getElementsByTagName("circle").getLength());
        List<String> strings = new ArrayList<>();
        NodeList texts = d.getElementsByTagName("text");
        for (int i = 0; i < texts.getLength(); i++) {
            strings.add(texts.item(i).getTextContent());
        }
        assertTrue(strings.containsAll(List.of("0.05", "0.1", "0.2", "0.5", "1", "2")), strings.toString());
    }

    @Test
    void ticks() {
        Chart.Axis a = Chart.linearAxis(0, 10, 5, 0, false);
        assertArrayEquals(new double[] {0, 2, 4, 6, 8, 10}, a.ticks());
        assertArrayEquals(new String[] {"0", "2", "4", "6", "8", "10"}, a.labels());
        Chart.Axis b = Chart.linearAxis(0.0012, 0.0047, 5, 0, false);
        assertEquals(List.of("0.0015", "0.0020", "0.0025", "0.0030", "0.0035", "0.0040", "0.0045"), Arrays.asList(b.labels()));
        Chart.Axis epochs = Chart.linearAxis(1, 3, 7, 0.02, true);
        assertArrayEquals(new double[] {1, 2, 3}, epochs.ticks(), "whole epochs only");
        Chart.Axis big = Chart.linearAxis(0, 3e6, 3, 0, false);
        assertEquals(List.of("0", "1e6", "2e6", "3e6"), Arrays.asList(big.labels()));
        Chart.Axis flat = Chart.linearAxis(5, 5, 5, 0.05, false);
        assertTrue(flat.min() < 5 && flat.max() > 5);
        assertEquals("2.5e-5", Chart.sci(2.5e-5, 5e-6));
        Chart.Axis decades = Chart.logAxis(1e-6, 1e2);
        assertEquals(List.of("1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10", "100"), Arrays.asList(decades.labels()));
        Chart.Axis narrow = Chart.logAxis(0.101, 0.104);
        assertTrue(narrow.ticks().length >= 2, Arrays.toString(narrow.labels()));
    }

    @Test
    void filesAreWrittenAtomicallyAndReplaced() throws IOException {
        Path png = dir.resolve("charts/sub/loss.png");
        Series s = Series.line("loss", new double[] {3, 2, 1.5});
        Charts.writePng(png, "Loss", s);
        byte[] first = Files.readAllBytes(png);
        chunks(first);
        Charts.writePng(png, "Loss, again", s);
        assertTrue(!Arrays.equals(first, Files.readAllBytes(png)), "replaced");
        Path svg = dir.resolve("charts/sub/loss.svg");
        Charts.writeSvg(svg, "Loss", s);
        assertTrue(Files.readString(svg).startsWith("<?xml"));
        try (Stream<Path> files = Files.list(dir.resolve("charts/sub"))) {
            assertEquals(List.of("loss.png", "loss.svg"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files left behind");
        }
    }

    @Test
    void badCharts() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> new Chart("empty").toPng());
        assertTrue(none.getMessage().contains("no series"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Chart("t").size(100, 100));
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                () -> Series.line("a", new double[] {1, 2}, new double[] {1}));
        assertTrue(len.getMessage().contains("2 x values but 1 y values"), len.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Series.line("a", new double[] {1}).withColor(0x1000000));
    }

    @Test
    void degenerateDataStillDraws() throws Exception {
        int[] size = new int[2];
        decode(new Chart("").add(Series.line("one point", new double[] {7})).toPng(), size);
        decode(new Chart("all NaN").add(Series.line("nan", new double[] {Double.NaN, Double.NaN})).toPng(), size);
        decode(new Chart("empty").add(Series.points("none", new double[0], new double[0])).toPng(), size);
        // A long per-step curve.
        double[] loss = new double[20_000];
        for (int i = 0; i < loss.length; i++) {
            loss[i] = 2.3 / Math.sqrt(1 + i) + 0.01 * Math.sin(i);
        }
        decode(new Chart("steps").logY(true).add(Series.line("loss", loss)).toPng(), size);
        parseSvg(new Chart("").add(Series.line("one point", new double[] {7})).toSvg());
    }

    @Test
    void fontCoversPrintableAscii() {
        for (char c = ' '; c <= '~'; c++) {
            assertTrue(BitmapFont.has(c), "glyph for '" + c + "'");
        }
        assertTrue(BitmapFont.has('π'));
        assertArrayEquals(BitmapFont.glyph('?'), BitmapFont.glyph('\u4e00'), "unknown characters draw as ?");
    }
}
