package dev.lanes.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IDX reader on small files written here, and on the real MNIST/Fashion-MNIST files when cached. */
class MnistTest {
    @TempDir
    Path dir;

    /** An IDX file: magic, big-endian dimensions, then the bytes. */
    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    /** Three 2x4 images whose pixels are 0, 1, ..., 23 scaled by 11 (so 0..253), and labels 7, 0, 9. */
    static byte[] images() throws IOException {
        byte[] px = new byte[24];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 11);
        }
        return idx(0x803, new int[] {3, 2, 4}, px);
    }

    static byte[] labels() throws IOException {
        return idx(0x801, new int[] {3}, new byte[] {7, 0, 9});
    }

    @Test
    void readsImagesAsTorchvisionToTensorDoes() throws IOException {
        Path f = Files.write(dir.resolve("img"), images());
        Tensor x = Mnist.readImages(f);
        assertArrayEquals(new int[] {3, 1, 2, 4}, x.shape());
        float[] v = x.toArray();
        for (int i = 0; i < 24; i++) {
            assertEquals((i * 11) / 255f, v[i], 0f, "pixel " + i);
        }
        Tensor flat = Mnist.readImages(f, Mnist.Options.DEFAULT.flatten());
        assertArrayEquals(new int[] {3, 8}, flat.shape());
        assertArrayEquals(v, flat.toArray());

        Tensor norm = Mnist.readImages(f, Mnist.Options.DEFAULT.normalize());
        float[] nv = norm.toArray();
        for (int i = 0; i < 24; i++) {
            assertEquals(((i * 11) / 255f - 0.1307f) / 0.3081f, nv[i], 0f, "normalised pixel " + i);
        }
        assertEquals(-0.1307f / 0.3081f, nv[0], 0f);
    }

    @Test
    void readsHighBytesAsUnsigned() throws IOException {
        Path f = Files.write(dir.resolve("lab"), idx(0x801, new int[] {2}, new byte[] {(byte) 255, (byte) 128}));
        assertArrayEquals(new float[] {255, 128}, Mnist.readLabels(f).toArray());
    }

    @Test
    void readsGzipByContentNotByName() throws IOException {
        Path plain = Files.write(dir.resolve("img"), images());
        Path gz = Files.write(dir.resolve("img.gz"), gzip(images()));
        Path gzNoSuffix = Files.write(dir.resolve("img-compressed"), gzip(images()));
        float[] expected = Mnist.readImages(plain).toArray();
        assertArrayEquals(expected, Mnist.readImages(gz).toArray());
        assertArrayEquals(expected, Mnist.readImages(gzNoSuffix).toArray());
        assertArrayEquals(new float[] {7, 0, 9}, Mnist.readLabels(Files.write(dir.resolve("l.gz"), gzip(labels()))).toArray());
    }

    @Test
    void truncatedFileNamesFileAndByteCounts() throws IOException {
        byte[] full = images();
        Path f = Files.write(dir.resolve("short-images"), Arrays.copyOf(full, full.length - 5));
        IOException e = assertThrows(IOException.class, () -> Mnist.readImages(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + full.length + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("found " + (full.length - 5)), e.getMessage());

        Path header = Files.write(dir.resolve("short-header"), Arrays.copyOf(full, 10));
        IOException h = assertThrows(IOException.class, () -> Mnist.readImages(header));
        assertTrue(h.getMessage().contains("truncated") && h.getMessage().contains("16 bytes"), h.getMessage());

        Path longer = Files.write(dir.resolve("long"), Arrays.copyOf(full, full.length + 3));
        IOException l = assertThrows(IOException.class, () -> Mnist.readImages(longer));
        assertTrue(l.getMessage().contains("longer than its header says") && l.getMessage().contains("found " + (full.length + 3)),
                l.getMessage());
    }

    @Test
    void truncatedOrLongGzipIsReported() throws IOException {
        byte[] gz = gzip(images());
        Path cut = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        IOException e = assertThrows(IOException.class, () -> Mnist.readImages(cut));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        // Complete gzip stream whose contents lack 4 bytes.
        byte[] full = images();
        Path shortContents = Files.write(dir.resolve("short.gz"), gzip(Arrays.copyOf(full, full.length - 4)));
        IOException s = assertThrows(IOException.class, () -> Mnist.readImages(shortContents));
        assertTrue(s.getMessage().contains("expected " + full.length + " bytes decompressed")
                && s.getMessage().contains("found " + (full.length - 4)), s.getMessage());

        Path longContents = Files.write(dir.resolve("long.gz"), gzip(Arrays.copyOf(full, full.length + 2)));
        IOException l = assertThrows(IOException.class, () -> Mnist.readImages(longContents));
        assertTrue(l.getMessage().contains("longer than its header says"), l.getMessage());
    }

    @Test
    void badMagicAndDimensionsAreRejected() throws IOException {
        Path lab = Files.write(dir.resolve("labels"), labels());
        IOException e = assertThrows(IOException.class, () -> Mnist.readImages(lab));
        assertTrue(e.getMessage().contains("magic number 0x00000801, expected 0x00000803"), e.getMessage());
        Path img = Files.write(dir.resolve("images"), images());
        IOException e2 = assertThrows(IOException.class, () -> Mnist.readLabels(img));
        assertTrue(e2.getMessage().contains("magic number 0x00000803, expected 0x00000801"), e2.getMessage());

        Path text = Files.writeString(dir.resolve("text"), "hello, this is not an IDX file");
        assertTrue(assertThrows(IOException.class, () -> Mnist.readLabels(text)).getMessage().contains("magic number"));

        Path negative = Files.write(dir.resolve("neg"), idx(0x803, new int[] {-1, 2, 2}, new byte[0]));
        IOException n = assertThrows(IOException.class, () -> Mnist.readImages(negative));
        assertTrue(n.getMessage().contains("dimension 0 of size 4294967295"), n.getMessage());
        Path zeroRows = Files.write(dir.resolve("zero"), idx(0x803, new int[] {1, 0, 2}, new byte[0]));
        assertThrows(IOException.class, () -> Mnist.readImages(zeroRows));
        Path huge = Files.write(dir.resolve("huge"), idx(0x803, new int[] {100000, 28000, 28}, new byte[0]));
        IOException hg = assertThrows(IOException.class, () -> Mnist.readImages(huge));
        assertTrue(hg.getMessage().contains("more than 2^31"), hg.getMessage());

        Path notGzip = Files.write(dir.resolve("bad.gz"), new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
        IOException g = assertThrows(IOException.class, () -> Mnist.readLabels(notGzip));
        assertTrue(g.getMessage().contains(notGzip.toString()), g.getMessage());
    }

    @Test
    void loadFindsTheStandardNamesPlainGzOrDotted() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(images()));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), labels());
        Files.write(dir.resolve("t10k-images.idx3-ubyte"), idx(0x803, new int[] {1, 2, 4}, new byte[8]));
        Files.write(dir.resolve("t10k-labels.idx1-ubyte.gz"), gzip(idx(0x801, new int[] {1}, new byte[] {4})));
        Mnist m = Mnist.load(dir, Mnist.Options.DEFAULT.flatten());
        assertEquals(3, m.train().size());
        assertEquals(1, m.test().size());
        assertArrayEquals(new int[] {3, 8}, m.train().inputs().shape());
        assertArrayEquals(new float[] {7, 0, 9}, m.train().targets().toArray());
        assertArrayEquals(new float[] {4}, m.test().targets().toArray());
    }

    @Test
    void loadReportsMissingFilesAndCountMismatch() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), images());
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Mnist.load(dir));
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte.gz") && e.getMessage().contains("fetch.sh"), e.getMessage());

        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(0x801, new int[] {2}, new byte[] {1, 2}));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), images());
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), labels());
        IOException m = assertThrows(IOException.class, () -> Mnist.load(dir));
        assertTrue(m.getMessage().contains("3 images but") && m.getMessage().contains("2 labels"), m.getMessage());
    }

    @Test
    void optionsRejectBadNormalisation() {
        assertThrows(IllegalArgumentException.class, () -> Mnist.Options.DEFAULT.normalize(0.5f, 0f));
        assertThrows(IllegalArgumentException.class, () -> Mnist.Options.DEFAULT.normalize(Float.NaN, 1f));
    }

    @Test
    void realMnistWhenCached() throws IOException {
        Path mnist = Datasets.cacheDir("mnist");
        Assumptions.assumeTrue(Files.isRegularFile(mnist.resolve("train-labels-idx1-ubyte")),
                "MNIST is not in " + mnist + "; scripts/data/fetch.sh mnist puts it there");
        Mnist m = Mnist.load(mnist);
        assertEquals(60000, m.train().size());
        assertEquals(10000, m.test().size());
        assertArrayEquals(new int[] {60000, 1, 28, 28}, m.train().inputs().shape());
        assertArrayEquals(new float[] {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, Arrays.copyOf(m.train().targets().toArray(), 10));
        assertArrayEquals(new float[] {7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, Arrays.copyOf(m.test().targets().toArray(), 10));
        float[] x = m.train().inputs().array();
        double sum = 0, first = 0;
        for (int i = 0; i < x.length; i++) {
            sum += x[i];
            if (i < 784) {
                first += x[i] * 255.0;
            }
        }
        assertEquals(27525, first, 1e-3); // the first image's pixel sum, as bytes
        assertEquals(0.13066, sum / x.length, 1e-5); // MNIST's well-known mean, which MEAN rounds
    }

    @Test
    void realFashionMnistWhenCached() throws IOException {
        Path fashion = Datasets.cacheDir("fashion-mnist");
        Assumptions.assumeTrue(Files.isRegularFile(fashion.resolve("train-labels-idx1-ubyte.gz")),
                "Fashion-MNIST is not in " + fashion + "; scripts/data/fetch.sh fashion-mnist puts it there");
        Mnist m = Mnist.load(fashion, Mnist.Options.DEFAULT.flatten());
        assertEquals(60000, m.train().size());
        assertEquals(10000, m.test().size());
        assertArrayEquals(new int[] {10000, 784}, m.test().inputs().shape());
        assertArrayEquals(new float[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, Arrays.copyOf(m.train().targets().toArray(), 10));
        assertArrayEquals(new float[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, Arrays.copyOf(m.test().targets().toArray(), 10));
        assertEquals("Ankle boot", Mnist.FASHION_CLASSES.get(9));
    }
}
