package dev.lanes.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CSV reader on scikit-learn's iris and digits (committed) and on small inputs written here. */
class CsvTest {
    @TempDir
    Path dir;

    static Path resource(String name) throws URISyntaxException {
        return Path.of(CsvTest.class.getResource("/data/" + name).toURI());
    }

    static Csv.Table parse(String text, Csv.Options options) throws IOException {
        return Csv.read(new StringReader(text), "test.csv", options);
    }

    static int[] counts(float[] labels, int classes) {
        int[] c = new int[classes];
        for (float l : labels) {
            c[(int) l]++;
        }
        return c;
    }

    @Test
    void iris() throws Exception {
        Csv.Table t = Csv.read(resource("iris.csv"), Csv.Options.DEFAULT.skipLines(1).labelColumn(-1));
        assertArrayEquals(new int[] {150, 4}, t.features().shape());
        assertArrayEquals(new int[] {150}, t.labels().shape());
        assertArrayEquals(new int[] {50, 50, 50}, counts(t.labels().toArray(), 3));
        float[] x = t.features().toArray();
        assertArrayEquals(new float[] {5.1f, 3.5f, 1.4f, 0.2f}, Arrays.copyOfRange(x, 0, 4));
        assertArrayEquals(new float[] {5.9f, 3.0f, 5.1f, 1.8f}, Arrays.copyOfRange(x, 596, 600));
        assertEquals(2f, t.labels().toArray()[149]);
        double[] sums = new double[4];
        for (int i = 0; i < x.length; i++) {
            sums[i % 4] += x[i];
        }
        assertArrayEquals(new double[] {876.5, 458.6, 563.7, 179.9}, sums, 1e-4);
        assertEquals(List.of(), t.featureNames());
        assertEquals(150, t.dataset().size());
    }

    @Test
    void irisFirstLineIsNotAHeader() throws Exception {
        // Without skipLines the preamble's class names are not numbers: the error says where.
        IOException e = assertThrows(IOException.class, () -> Csv.read(resource("iris.csv"), Csv.Options.DEFAULT.labelColumn(-1)));
        assertTrue(e.getMessage().contains("iris.csv line 1 column 3: \"setosa\" is not a number"), e.getMessage());
    }

    @Test
    void digitsFromGzip() throws Exception {
        Csv.Table t = Csv.read(resource("digits.csv.gz"), Csv.Options.DEFAULT.labelColumn(-1));
        assertArrayEquals(new int[] {1797, 64}, t.features().shape());
        assertArrayEquals(new int[] {178, 182, 177, 183, 181, 182, 181, 179, 174, 180}, counts(t.labels().toArray(), 10));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Arrays.copyOf(t.labels().toArray(), 10));
        double sum = 0;
        float max = 0;
        for (float v : t.features().toArray()) {
            sum += v;
            max = Math.max(max, v);
        }
        assertEquals(561718, sum, 0);
        assertEquals(16f, max);
        assertArrayEquals(new float[] {0, 0, 5, 13, 9, 1, 0, 0}, Arrays.copyOf(t.features().toArray(), 8));
    }

    @Test
    void headerQuotesClassLabelsAndBlankLines() throws IOException {
        String text = "\uFEFFlength; \"species; name\" ;width\r\n"
                + "\r\n"
                + "1.5; virginica ;2\r\n"
                + "  \n"
                + "\"2.5\";\"setosa\";-1e-3\n"
                + "3;\"vir\"\"ginica\";inf\n"
                + "4;virginica;NaN\n";
        Csv.Table t = parse(text, Csv.Options.DEFAULT.delimiter(';').header(true).labelColumn("species; name").classLabels(true));
        assertEquals(List.of("length", "width"), t.featureNames());
        assertEquals(List.of("virginica", "setosa", "vir\"ginica"), t.classNames());
        assertArrayEquals(new float[] {0, 1, 2, 0}, t.labels().toArray());
        float[] x = t.features().toArray();
        assertArrayEquals(new float[] {1.5f, 2, 2.5f, -1e-3f, 3, Float.POSITIVE_INFINITY}, Arrays.copyOf(x, 6));
        assertTrue(Float.isNaN(x[7]));
    }

    @Test
    void featuresOnlyAndNumbersRoundedLikeNumpy() throws IOException {
        Csv.Table t = parse("0.1,1\n0.30000000000000004,-0\n", Csv.Options.DEFAULT);
        assertNull(t.labels());
        assertArrayEquals(new int[] {2, 2}, t.features().shape());
        // Through double, as numpy.loadtxt(...).astype(float32) does.
        assertArrayEquals(new float[] {(float) 0.1, 1, (float) 0.30000000000000004, -0f}, t.features().toArray());
        assertThrows(IllegalStateException.class, t::dataset);
        Csv.Table tabs = parse("1\t2\t3\n4\t5\t6\n", Csv.Options.DEFAULT.delimiter('\t').labelColumn(0));
        assertArrayEquals(new float[] {1, 4}, tabs.labels().toArray());
        assertArrayEquals(new float[] {2, 3, 5, 6}, tabs.features().toArray());
    }

    @Test
    void errorsNameFileLineAndColumn() {
        IOException notNumber = assertThrows(IOException.class, () -> parse("1,2\n3,x4\n", Csv.Options.DEFAULT));
        assertEquals("Csv.read: test.csv line 2 column 2: \"x4\" is not a number", notNumber.getMessage());

        IOException empty = assertThrows(IOException.class, () -> parse("1,2\n3,\n", Csv.Options.DEFAULT));
        assertTrue(empty.getMessage().contains("line 2 column 2: the field is empty"), empty.getMessage());

        IOException columns = assertThrows(IOException.class, () -> parse("1,2\n\n3,4,5\n", Csv.Options.DEFAULT));
        assertTrue(columns.getMessage().contains("line 3 has 3 columns, line 1 has 2"), columns.getMessage());

        IOException quote = assertThrows(IOException.class, () -> parse("1,\"2\n", Csv.Options.DEFAULT));
        assertTrue(quote.getMessage().contains("line 1 column 2: the quote opened at character 3 is not closed"), quote.getMessage());

        IOException after = assertThrows(IOException.class, () -> parse("\"1\"x,2\n", Csv.Options.DEFAULT));
        assertTrue(after.getMessage().contains("line 1 column 1: unexpected 'x' after the closing quote"), after.getMessage());

        IOException header = assertThrows(IOException.class, () -> parse("a,b\n1,2\n", Csv.Options.DEFAULT));
        assertTrue(header.getMessage().contains("set Options.header(true)"), header.getMessage());

        IOException label = assertThrows(IOException.class, () -> parse("1,setosa\n", Csv.Options.DEFAULT.labelColumn(1)));
        assertTrue(label.getMessage().contains("classLabels(true)"), label.getMessage());

        IOException hex = assertThrows(IOException.class, () -> parse("0x10\n", Csv.Options.DEFAULT));
        assertTrue(hex.getMessage().contains("\"0x10\" is not a number"), hex.getMessage());
        assertThrows(IOException.class, () -> parse("1f\n", Csv.Options.DEFAULT)); // Java's suffix, not CSV

        IOException missingName = assertThrows(IOException.class,
                () -> parse("a,b\n1,2\n", Csv.Options.DEFAULT.header(true).labelColumn("c")));
        assertTrue(missingName.getMessage().contains("no column named \"c\""), missingName.getMessage());
        assertThrows(IllegalArgumentException.class, () -> parse("1,2\n", Csv.Options.DEFAULT.labelColumn("a")));

        IOException outOfRange = assertThrows(IOException.class, () -> parse("1,2\n", Csv.Options.DEFAULT.labelColumn(2)));
        assertTrue(outOfRange.getMessage().contains("no label column 2"), outOfRange.getMessage());

        IOException nothing = assertThrows(IOException.class, () -> parse("", Csv.Options.DEFAULT));
        assertTrue(nothing.getMessage().contains("test.csv is empty"), nothing.getMessage());
        IOException onlyHeader = assertThrows(IOException.class, () -> parse("a,b\n\n", Csv.Options.DEFAULT.header(true)));
        assertTrue(onlyHeader.getMessage().contains("has no data rows"), onlyHeader.getMessage());
        IOException skip = assertThrows(IOException.class, () -> parse("1\n", Csv.Options.DEFAULT.skipLines(3)));
        assertTrue(skip.getMessage().contains("ends after 1 lines"), skip.getMessage());

        assertThrows(IllegalArgumentException.class, () -> Csv.Options.DEFAULT.delimiter('"'));
        assertThrows(IllegalArgumentException.class, () -> Csv.Options.DEFAULT.skipLines(-1));
    }

    @Test
    void fileErrorsNameThePath() throws IOException {
        Path f = Files.writeString(dir.resolve("bad.csv"), "1,2\n3,?\n");
        IOException e = assertThrows(IOException.class, () -> Csv.read(f, Csv.Options.DEFAULT));
        assertTrue(e.getMessage().startsWith("Csv.read: " + f + " line 2 column 2"), e.getMessage());
        Path gz = Files.write(dir.resolve("bad.csv.gz"), new byte[] {0x1f, (byte) 0x8b, 9, 9});
        IOException g = assertThrows(IOException.class, () -> Csv.read(gz, Csv.Options.DEFAULT));
        assertTrue(g.getMessage().contains(gz.toString()), g.getMessage());
        Path latin1 = Files.write(dir.resolve("latin1.csv"), new byte[] {'1', '\n', '2', (byte) 0xE9, '\n'});
        IOException u = assertThrows(IOException.class, () -> Csv.read(latin1, Csv.Options.DEFAULT));
        assertTrue(u.getMessage().contains("is not valid UTF-8 at or after line"), u.getMessage());
    }
}
