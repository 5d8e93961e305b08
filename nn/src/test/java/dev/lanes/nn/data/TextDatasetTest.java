package dev.lanes.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Byte-level windows on a committed opening of Pride and Prejudice, and on the whole corpus when cached. */
class TextDatasetTest {
    @TempDir
    Path dir;

    /** The first 112 lines (4068 bytes) of Pride and Prejudice; see src/test/resources/data/README.md. */
    static byte[] opening() throws IOException {
        try (InputStream in = TextDatasetTest.class.getResourceAsStream("/data/pride-and-prejudice-opening.txt")) {
            assertTrue(in != null, "test resource data/pride-and-prejudice-opening.txt is missing");
            return in.readAllBytes();
        }
    }

    /** The bytes as the float class indices the data set should give. */
    static float[] indices(byte[] text, int from, int length) {
        float[] v = new float[length];
        for (int j = 0; j < length; j++) {
            v[j] = text[from + j] & 0xFF;
        }
        return v;
    }

    @Test
    void theOpeningIsTheOneTheReadmeDescribes() throws IOException {
        byte[] text = opening();
        assertEquals(4068, text.length);
        String s = TextDataset.decode(text);
        assertTrue(s.startsWith("PRIDE AND PREJUDICE\n\nBy Jane Austen\n"), s.substring(0, 40));
        assertTrue(s.contains("It is a truth universally acknowledged, that a single man in possession\n"
                + "of a good fortune, must be in want of a wife."));
        assertTrue(s.endsWith("I will visit them\nall.\"\n"));
    }

    @Test
    void windowsTileTheTextAndTargetsAreShiftedByOne() throws IOException {
        byte[] text = opening();
        int seqLen = 64;
        TextDataset ds = TextDataset.of(text, seqLen);
        assertEquals(seqLen, ds.seqLen());
        assertEquals(seqLen, ds.stride());
        assertEquals(text.length, ds.byteCount());
        // A window reads seqLen + 1 bytes: (4068 - 65) / 64 + 1 = 63 windows; 4068 - 63 * 64 = 36 bytes are left over.
        assertEquals((text.length - seqLen - 1) / seqLen + 1, ds.size());
        assertEquals(63, ds.size());
        for (int i = 0; i < ds.size(); i++) {
            Sample s = ds.get(i);
            assertEquals(i * seqLen, ds.offset(i));
            assertArrayEquals(new int[] {seqLen}, s.input().shape());
            assertArrayEquals(new int[] {seqLen}, s.target().shape());
            assertArrayEquals(indices(text, i * seqLen, seqLen), s.input().toArray());
            assertArrayEquals(indices(text, i * seqLen + 1, seqLen), s.target().toArray());
        }
        // The opening as characters: "PRIDE" -> "RIDE " shifted by one.
        Sample first = ds.get(0);
        assertEquals("PRIDE", TextDataset.decode(first.input().slice(0, 0, 5)));
        assertEquals("RIDE ", TextDataset.decode(first.target().slice(0, 0, 5)));
        // With stride seqLen, a window's last target byte is the next window's first input byte.
        assertEquals(ds.get(0).target().toArray()[seqLen - 1], ds.get(1).input().toArray()[0]);
    }

    @Test
    void aTextOfExactlyOneWindowHasOneSampleAndStrideSetsTheOverlap() {
        byte[] text = "abcdefgh".getBytes(StandardCharsets.US_ASCII);
        TextDataset one = TextDataset.of(text, 7);
        assertEquals(1, one.size());
        assertEquals("abcdefg", TextDataset.decode(one.get(0).input()));
        assertEquals("bcdefgh", TextDataset.decode(one.get(0).target()));

        TextDataset overlapping = TextDataset.of(text, 3, 1); // starts 0..4: "abc" .. "efg", targets to "fgh"
        assertEquals(5, overlapping.size());
        assertEquals("efg", TextDataset.decode(overlapping.get(4).input()));
        assertEquals("fgh", TextDataset.decode(overlapping.get(4).target()));

        TextDataset skipping = TextDataset.of(text, 2, 5); // starts 0 and 5; "ab"->"bc", "fg"->"gh"
        assertEquals(2, skipping.size());
        assertEquals("fg", TextDataset.decode(skipping.get(1).input()));
        assertEquals("gh", TextDataset.decode(skipping.get(1).target()));

        // seqLen + 1 bytes are needed: 8 bytes hold no window of 8.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TextDataset.of(text, 8));
        assertTrue(e.getMessage().contains("TextDataset.of") && e.getMessage().contains("8 bytes hold no window")
                && e.getMessage().contains("seqLen 8"), e.getMessage());
    }

    @Test
    void bytesAbove127AreClassesUpTo255AndTheInputIsCopied() {
        byte[] text = {(byte) 0xFF, 0, (byte) 0x80, 0x7F, (byte) 0xC3};
        TextDataset ds = TextDataset.of(text, 4);
        assertArrayEquals(new float[] {255, 0, 128, 127}, ds.get(0).input().toArray());
        assertArrayEquals(new float[] {0, 128, 127, 195}, ds.get(0).target().toArray());
        text[0] = 1; // the data set holds its own copy
        assertEquals(255f, ds.get(0).input().toArray()[0]);
        assertEquals(255, ds.bytes()[0] & 0xFF);
    }

    @Test
    void batchesCopyTheRowsOfTheIndicesInOrder() throws IOException {
        byte[] text = opening();
        TextDataset ds = TextDataset.of(text, 16, 8);
        int[] picks = {5, 0, 5, ds.size() - 1};
        Batch b = ds.batch(picks);
        assertArrayEquals(new int[] {4, 16}, b.inputs().shape());
        assertArrayEquals(new int[] {4, 16}, b.targets().shape());
        float[] in = b.inputs().toArray(), tg = b.targets().toArray();
        for (int r = 0; r < picks.length; r++) {
            Sample s = ds.get(picks[r]);
            assertArrayEquals(s.input().toArray(), Arrays.copyOfRange(in, r * 16, r * 16 + 16));
            assertArrayEquals(s.target().toArray(), Arrays.copyOfRange(tg, r * 16, r * 16 + 16));
        }
        // The same as the generic stacking of get() results.
        Dataset generic = new Dataset() {
            @Override
            public int size() {
                return ds.size();
            }

            @Override
            public Sample get(int index) {
                return ds.get(index);
            }
        };
        Batch g = generic.batch(picks);
        assertArrayEquals(g.inputs().toArray(), in);
        assertArrayEquals(g.targets().toArray(), tg);
    }

    @Test
    void theSplitCutsByPositionWithoutSharingAByte() throws IOException {
        byte[] text = opening();
        int seqLen = 32;
        TextDataset.Split split = TextDataset.split(text, seqLen, seqLen, 0.1);
        TextDataset train = split.train(), val = split.validation();
        int valBytes = (int) Math.floor(text.length * 0.1); // 406
        assertEquals(406, valBytes);
        assertEquals(text.length - valBytes, train.byteCount());
        assertEquals(valBytes, val.byteCount());
        assertEquals((text.length - valBytes - seqLen - 1) / seqLen + 1, train.size());
        assertEquals((valBytes - seqLen - 1) / seqLen + 1, val.size());

        // Every byte a training sample reads (input and target) lies before the cut, every validation byte after it.
        int cut = text.length - valBytes;
        int lastTrain = train.size() - 1;
        assertTrue(train.offset(lastTrain) + seqLen < cut, "the last training target byte is before the cut");
        assertEquals(cut, val.offset(0));
        assertTrue(val.offset(val.size() - 1) + seqLen < text.length);
        for (int i = 0; i < val.size(); i++) {
            assertArrayEquals(indices(text, cut + i * seqLen, seqLen), val.get(i).input().toArray());
            assertArrayEquals(indices(text, cut + i * seqLen + 1, seqLen), val.get(i).target().toArray());
        }
        assertArrayEquals(Arrays.copyOfRange(text, cut, text.length), val.bytes());

        // Reading the file gives the same split.
        Path file = dir.resolve("opening.txt");
        Files.write(file, text);
        TextDataset whole = TextDataset.read(file, seqLen);
        assertEquals(TextDataset.of(text, seqLen).size(), whole.size());
        assertArrayEquals(text, whole.bytes());
        TextDataset.Split fromFile = TextDataset.split(file, seqLen, seqLen, 0.1);
        assertEquals(train.size(), fromFile.train().size());
        assertArrayEquals(val.batch(new int[] {0, 1}).targets().toArray(), fromFile.validation().batch(new int[] {0, 1}).targets().toArray());
    }

    @Test
    void aDataLoaderVisitsEveryWindowOncePerEpoch() throws IOException {
        byte[] text = opening();
        TextDataset ds = TextDataset.of(text, 50);
        DataLoader loader = DataLoader.builder(ds).batchSize(16).shuffle(7).build();
        assertEquals((ds.size() + 15) / 16, loader.size());
        Set<String> seen = new HashSet<>();
        int samples = 0;
        for (Batch b : loader) {
            assertArrayEquals(new int[] {b.size(), 50}, b.inputs().shape());
            float[] in = b.inputs().toArray(), tg = b.targets().toArray();
            for (int r = 0; r < b.size(); r++) {
                float[] row = Arrays.copyOfRange(in, r * 50, r * 50 + 50);
                float[] next = Arrays.copyOfRange(tg, r * 50, r * 50 + 50);
                assertArrayEquals(Arrays.copyOfRange(row, 1, 50), Arrays.copyOfRange(next, 0, 49), "target = input shifted by one");
                seen.add(Arrays.toString(row));
                samples++;
            }
        }
        assertEquals(ds.size(), samples);
        assertEquals(ds.size(), seen.size(), "no window twice");

        // Subsets and random splits work on it like on any data set.
        List<Subset> parts = Datasets.randomSplit(ds, new int[] {ds.size() - 10, 10}, new Generator(3));
        Batch b = parts.get(1).batch(new int[] {0});
        assertArrayEquals(ds.get(parts.get(1).indices()[0]).input().toArray(), b.inputs().toArray());
    }

    @Test
    void encodeAndDecodeRoundTripUtf8AndReplaceInvalidBytes() {
        String s = "£20,000 — Miss Bennet";
        Tensor t = TextDataset.encode(s);
        assertEquals(s.getBytes(StandardCharsets.UTF_8).length, t.numel());
        assertEquals(0xC2, (int) t.toArray()[0]);
        assertEquals(s, TextDataset.decode(t));
        assertEquals(s, TextDataset.decode(t.reshape(1, -1)));
        // A lone continuation byte and a truncated two-byte sequence become U+FFFD.
        assertEquals("a\uFFFDb\uFFFD", TextDataset.decode(new byte[] {'a', (byte) 0x80, 'b', (byte) 0xC3}));
        assertEquals("", TextDataset.decode(new byte[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextDataset.decode(Tensor.of(new float[] {97f, 256f})));
        assertTrue(e.getMessage().contains("TextDataset.decode") && e.getMessage().contains("indices[1]")
                && e.getMessage().contains("256.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TextDataset.decode(Tensor.of(new float[] {97.5f})));
        assertThrows(IllegalArgumentException.class, () -> TextDataset.decode(Tensor.of(new float[] {-1f})));
        assertThrows(IllegalArgumentException.class, () -> TextDataset.decode(Tensor.of(new float[] {Float.NaN})));
    }

    @Test
    void badArgumentsAreRefusedWithTheirValues() throws IOException {
        byte[] text = opening();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TextDataset.of(text, 0));
        assertTrue(e.getMessage().contains("seqLen") && e.getMessage().contains("got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TextDataset.of(text, 8, -2));
        assertTrue(e.getMessage().contains("stride") && e.getMessage().contains("got -2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TextDataset.of(text, Integer.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> TextDataset.of(new byte[0], 1));
        assertThrows(NullPointerException.class, () -> TextDataset.of(null, 1));

        for (double f : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            e = assertThrows(IllegalArgumentException.class, () -> TextDataset.split(text, 8, 8, f));
            assertTrue(e.getMessage().contains("validationFraction") && e.getMessage().contains(String.valueOf(f)), e.getMessage());
        }
        // 1 % of 4068 bytes is 40 bytes: too few for a window of 64 + 1.
        e = assertThrows(IllegalArgumentException.class, () -> TextDataset.split(text, 64, 64, 0.01));
        assertTrue(e.getMessage().contains("validation part") && e.getMessage().contains("40 bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TextDataset.split(text, 64, 64, 0.99));
        assertTrue(e.getMessage().contains("training part"), e.getMessage());

        TextDataset ds = TextDataset.of(text, 64);
        assertThrows(IndexOutOfBoundsException.class, () -> ds.get(ds.size()));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.get(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.batch(new int[] {0, ds.size()}));
        e = assertThrows(IllegalArgumentException.class, () -> ds.batch(new int[0]));
        assertTrue(e.getMessage().contains("TextDataset.batch"), e.getMessage());

        Path missing = dir.resolve("no-such-file.txt");
        NoSuchFileException nf = assertThrows(NoSuchFileException.class, () -> TextDataset.read(missing, 8, 8));
        assertTrue(nf.getMessage().contains("no-such-file.txt"), nf.getMessage());
        assertThrows(NoSuchFileException.class, () -> TextDataset.split(missing, 8, 8, 0.1));
        // Arguments are checked before the file is read.
        assertThrows(IllegalArgumentException.class, () -> TextDataset.read(missing, 0, 8));
        Path tiny = dir.resolve("tiny.txt");
        Files.writeString(tiny, "abc");
        e = assertThrows(IllegalArgumentException.class, () -> TextDataset.read(tiny, 8, 8));
        assertTrue(e.getMessage().contains("tiny.txt") && e.getMessage().contains("3 bytes"), e.getMessage());
    }

    /** The six novels from scripts/data/fetch.sh janeausten, when they are in the cache. */
    @Test
    void theCachedCorpusHoldsTheSixNovels() throws IOException {
        Path cache = Datasets.cacheDir("janeausten");
        Path all = cache.resolve("austen.txt");
        Assumptions.assumeTrue(Files.isRegularFile(all),
                "Jane Austen corpus not in " + cache + "; run scripts/data/fetch.sh janeausten to include this test");
        String[] novels = {"sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion"};
        long[] bytes = {673_688, 684_768, 883_280, 883_028, 433_411, 466_854};
        String[] titles = {"SENSE AND SENSIBILITY", "PRIDE AND PREJUDICE", "MANSFIELD PARK", "EMMA", "NORTHANGER ABBEY", "Persuasion"};
        long total = 0;
        for (int k = 0; k < novels.length; k++) {
            Path f = cache.resolve(novels[k] + ".txt");
            assertEquals(bytes[k], Files.size(f), f.toString());
            String head = TextDataset.decode(Arrays.copyOf(Files.readAllBytes(f), 200));
            assertTrue(head.contains(titles[k]), f + " starts " + head);
            total += bytes[k];
        }
        assertEquals(4_025_029, total);
        assertEquals(total, Files.size(all));
        assertArrayEquals(opening(), Arrays.copyOf(Files.readAllBytes(cache.resolve("prideprejudice.txt")), 4068),
                "the committed opening is the start of the cached novel");

        TextDataset.Split split = TextDataset.split(all, 256, 256, 0.1);
        assertEquals(total - (long) Math.floor(total * 0.1), split.train().byteCount());
        assertEquals((split.train().byteCount() - 257) / 256 + 1, split.train().size());
        // The validation text is the end of the last novel, Persuasion.
        assertTrue(TextDataset.decode(split.validation().bytes()).endsWith("Finis\n"));
        Batch b = split.validation().batch(new int[] {split.validation().size() - 1});
        assertArrayEquals(new int[] {1, 256}, b.inputs().shape());
    }
}
