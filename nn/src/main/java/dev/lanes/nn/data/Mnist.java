package dev.lanes.nn.data;

import dev.lanes.nn.Tensor;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * MNIST and Fashion-MNIST from their IDX files, as {@code torchvision.datasets.MNIST} with
 * {@code transforms.ToTensor()} (and optionally {@code transforms.Normalize((0.1307,), (0.3081,))}) gives
 * them: images as floats {@code pixel / 255} of shape (N, 1, 28, 28) or, flattened, (N, 784); labels as
 * float class indices of shape (N).
 *
 * <pre>{@code
 * Mnist mnist = Mnist.load(Datasets.cacheDir("mnist"), Mnist.Options.DEFAULT.normalize());
 * DataLoader train = DataLoader.builder(mnist.train()).batchSize(64).shuffle(1).build();
 * }</pre>
 *
 * <p>An IDX file is a big-endian header, magic {@code 0x00000801} (labels, 1 dimension) or
 * {@code 0x00000803} (images, 3 dimensions: count, rows, columns), then one dimension size per
 * dimension, then the unsigned bytes. Files may be plain or gzip-compressed (recognised by their first two
 * bytes, whatever their name). The reader checks the magic number, the dimensions and the exact length,
 * and reports a truncated or oversized file with the byte counts expected and found.
 *
 * <p>{@code scripts/data/fetch.sh mnist} (or {@code fashion-mnist}) puts the files in
 * {@link Datasets#cacheDir}.
 *
 * @param train the 60,000 training samples
 * @param test the 10,000 test samples
 */
public record Mnist(TensorDataset train, TensorDataset test) {
    /** The mean pixel value of MNIST's training images (after scaling to [0, 1]), as in PyTorch's examples. */
    public static final float MEAN = 0.1307f;
    /** The standard deviation of MNIST's training pixels, as in PyTorch's examples. */
    public static final float STD = 0.3081f;
    /** The number of classes, for MNIST and Fashion-MNIST alike. */
    public static final int CLASSES = 10;
    /** Fashion-MNIST's class names, by label. */
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private static final int LABELS_MAGIC = 0x00000801;
    private static final int IMAGES_MAGIC = 0x00000803;

    public Mnist {
        Objects.requireNonNull(train, "Mnist: train");
        Objects.requireNonNull(test, "Mnist: test");
    }

    /**
     * How images are shaped and scaled.
     *
     * @param flat (N, rows * cols) instead of (N, 1, rows, cols)
     * @param mean subtracted after scaling to [0, 1]
     * @param std divided by after subtracting the mean; positive
     */
    public record Options(boolean flat, float mean, float std) {
        /** (N, 1, 28, 28), values in [0, 1]. */
        public static final Options DEFAULT = new Options(false, 0f, 1f);

        public Options {
            if (!(std > 0) || !Float.isFinite(std) || !Float.isFinite(mean)) {
                throw new IllegalArgumentException("Mnist.Options: need a finite mean and a positive, finite std, got mean "
                        + mean + ", std " + std);
            }
        }

        /** These options with images flattened to (N, rows * cols). */
        public Options flatten() {
            return new Options(true, mean, std);
        }

        /** These options normalised with MNIST's {@link #MEAN} and {@link #STD}. */
        public Options normalize() {
            return normalize(MEAN, STD);
        }

        /** These options normalised as {@code (x - mean) / std} (Fashion-MNIST: 0.2860, 0.3530). */
        public Options normalize(float mean, float std) {
            return new Options(flat, mean, std);
        }
    }

    /** {@link #load(Path, Options)} with {@link Options#DEFAULT}. */
    public static Mnist load(Path dir) throws IOException {
        return load(dir, Options.DEFAULT);
    }

    /**
     * Reads the four files of an MNIST-format data set from {@code dir}: {@code train-images-idx3-ubyte},
     * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte},
     * each optionally ending in {@code .gz}, and each also accepted with a dot before {@code idx}
     * ({@code train-images.idx3-ubyte}, as some mirrors name them).
     *
     * @throws NoSuchFileException if a file is missing (the message lists the names tried)
     * @throws IOException if a file is malformed, or images and labels differ in count
     */
    public static Mnist load(Path dir, Options options) throws IOException {
        Objects.requireNonNull(options, "Mnist.load: options");
        TensorDataset train = dataset(find(dir, "train-images", "idx3-ubyte"), find(dir, "train-labels", "idx1-ubyte"), options);
        TensorDataset test = dataset(find(dir, "t10k-images", "idx3-ubyte"), find(dir, "t10k-labels", "idx1-ubyte"), options);
        return new Mnist(train, test);
    }

    private static TensorDataset dataset(Path images, Path labels, Options options) throws IOException {
        Tensor x = readImages(images, options);
        Tensor y = readLabels(labels);
        if (x.size(0) != y.size(0)) {
            throw new IOException("Mnist.load: " + images + " holds " + x.size(0) + " images but " + labels + " holds "
                    + y.size(0) + " labels");
        }
        return new TensorDataset(x, y);
    }

    private static Path find(Path dir, String stem, String kind) throws NoSuchFileException {
        List<String> tried = new ArrayList<>();
        for (String base : new String[] {stem + "-" + kind, stem + "." + kind}) {
            for (String name : new String[] {base, base + ".gz"}) {
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) {
                    return p;
                }
                tried.add(name);
            }
        }
        throw new NoSuchFileException(dir.toString(), null, "Mnist.load: none of " + String.join(", ", tried)
                + " is in this folder (scripts/data/fetch.sh mnist or fashion-mnist downloads them)");
    }

    /** {@link #readImages(Path, Options)} with {@link Options#DEFAULT}: (N, 1, rows, cols) in [0, 1]. */
    public static Tensor readImages(Path file) throws IOException {
        return readImages(file, Options.DEFAULT);
    }

    /**
     * The images of an IDX image file (magic {@code 0x00000803}), each pixel {@code (byte / 255 - mean) / std}
     * in float arithmetic, as torchvision computes it.
     *
     * @return shape (N, 1, rows, cols), or (N, rows * cols) when {@code options.flat()}
     */
    public static Tensor readImages(Path file, Options options) throws IOException {
        Objects.requireNonNull(options, "Mnist.readImages: options");
        Idx idx = readIdx(file, IMAGES_MAGIC, "readImages");
        // A table per byte value: the same float as the per-pixel formula, computed 256 times instead of 47M.
        float[] table = new float[256];
        for (int b = 0; b < 256; b++) {
            table[b] = (b / 255f - options.mean()) / options.std();
        }
        byte[] raw = idx.data;
        float[] v = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            v[i] = table[raw[i] & 0xFF];
        }
        int n = idx.dims[0], rows = idx.dims[1], cols = idx.dims[2];
        return options.flat() ? Tensor.wrap(v, n, rows * cols) : Tensor.wrap(v, n, 1, rows, cols);
    }

    /** The labels of an IDX label file (magic {@code 0x00000801}) as float class indices, shape (N). */
    public static Tensor readLabels(Path file) throws IOException {
        Idx idx = readIdx(file, LABELS_MAGIC, "readLabels");
        float[] v = new float[idx.data.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = idx.data[i] & 0xFF;
        }
        return Tensor.wrap(v, v.length);
    }

    private record Idx(int[] dims, byte[] data) {}

    private static Idx readIdx(Path file, int expectedMagic, String routine) throws IOException {
        String where = "Mnist." + routine + ": " + file;
        long fileSize = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return readIdx(raw, fileSize, expectedMagic, where);
        } catch (ZipException e) {
            throw new IOException(where + " is not a valid gzip file: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new IOException(where + " is truncated: " + e.getMessage(), e);
        }
    }

    private static Idx readIdx(InputStream raw, long fileSize, int expectedMagic, String where) throws IOException {
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        if (!gzip) {
            return readIdx(raw, false, fileSize, expectedMagic, where);
        }
        try (InputStream in = new GZIPInputStream(raw, 1 << 16)) { // closing it frees the inflater's native memory
            return readIdx(in, true, fileSize, expectedMagic, where);
        }
    }

    private static Idx readIdx(InputStream in, boolean gzip, long fileSize, int expectedMagic, String where) throws IOException {
        String unit = gzip ? " bytes decompressed" : " bytes";
        DataInputStream data = new DataInputStream(in);
        int expectedDims = expectedMagic & 0xFF;
        long headerBytes = 4 + 4L * expectedDims;
        int magic;
        int[] dims = new int[expectedDims];
        try {
            magic = data.readInt();
            if (magic != expectedMagic) {
                throw new IOException(where + " has magic number 0x" + String.format("%08x", magic) + ", expected 0x"
                        + String.format("%08x", expectedMagic) + " (" + (expectedMagic == IMAGES_MAGIC
                                ? "unsigned-byte images, 3 dimensions" : "unsigned-byte labels, 1 dimension")
                        + "); is this the right file?");
            }
            for (int d = 0; d < expectedDims; d++) {
                dims[d] = data.readInt();
            }
        } catch (EOFException e) {
            throw new IOException(where + " is truncated: its header needs " + headerBytes + unit + ", the file has "
                    + (gzip ? "fewer" : String.valueOf(fileSize)), e);
        }
        long body = 1;
        for (int d = 0; d < expectedDims; d++) {
            if (dims[d] < 0 || (d > 0 && dims[d] == 0)) {
                throw new IOException(where + " has dimension " + d + " of size " + Integer.toUnsignedString(dims[d])
                        + ", which is not a valid size");
            }
            body *= dims[d];
            if (body > Integer.MAX_VALUE - 8) {
                throw new IOException(where + " declares more than 2^31 values (dimensions "
                        + dimsString(dims) + "), more than one array can hold");
            }
        }
        long expected = headerBytes + body;
        if (!gzip && fileSize != expected) {
            throw new IOException(where + (fileSize < expected ? " is truncated" : " is longer than its header says")
                    + ": expected " + expected + " bytes (header " + dimsString(dims) + "), found " + fileSize);
        }
        byte[] values;
        try {
            values = data.readNBytes((int) body);
        } catch (EOFException | ZipException e) {
            throw new IOException(where + " is truncated or corrupt: expected " + expected + unit + " (header "
                    + dimsString(dims) + "); " + e.getMessage(), e);
        }
        if (values.length < body) {
            throw new IOException(where + " is truncated: expected " + expected + unit + " (header " + dimsString(dims)
                    + "), found " + (headerBytes + values.length));
        }
        if (gzip) {
            long extra = 0;
            try {
                extra = data.skip(Long.MAX_VALUE);
            } catch (EOFException | ZipException e) {
                throw new IOException(where + " is corrupt after its " + expected + " bytes of data: " + e.getMessage(), e);
            }
            if (extra > 0) {
                throw new IOException(where + " is longer than its header says: expected " + expected + unit
                        + " (header " + dimsString(dims) + "), found " + (expected + extra));
            }
        }
        return new Idx(dims, values);
    }

    private static String dimsString(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < dims.length; d++) {
            sb.append(d == 0 ? "" : " x ").append(Integer.toUnsignedString(dims[d]));
        }
        return sb.toString();
    }
}
