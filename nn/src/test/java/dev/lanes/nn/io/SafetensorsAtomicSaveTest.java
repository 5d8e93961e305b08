package dev.lanes.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.lanes.nn.Tensor;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed save leaves the previous file as it was and no temporary file behind. */
class SafetensorsAtomicSaveTest {
    private static final byte[] OLD = "the previous file".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path existingTarget() throws IOException {
        Path target = dir.resolve("model.safetensors");
        Files.write(target, OLD);
        return target;
    }

    /** An F32 item that writes {@code floats} values of its 8 and then fails with {@code failure}. */
    private static SafetensorsWriter.Item failingAfter(int floats, Exception failure) {
        return new SafetensorsWriter.Item() {
            @Override
            public Dtype dtype() {
                return Dtype.F32;
            }

            @Override
            public int[] shape() {
                return new int[] {8};
            }

            @Override
            public void write(SafetensorsWriter.Sink sink) throws IOException {
                for (int i = 0; i < floats; i++) {
                    sink.putFloat(i);
                }
                sink.flush(); // make sure part of the data really reached the temporary file
                if (failure instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) failure;
            }
        };
    }

    @Test
    void aTensorFailingMidwayLeavesTheOldFile() throws IOException {
        Path target = existingTarget();
        SafetensorsWriter w = new SafetensorsWriter().putF32("a", Tensor.ones(100))
                .put("b", failingAfter(3, new IOException("disk went away")));
        IOException e = assertThrows(IOException.class, () -> w.write(target));
        assertEquals("disk went away", e.getMessage());
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors"), listing());

        SafetensorsWriter w2 = new SafetensorsWriter().put("b", failingAfter(5, new IllegalStateException("bug")));
        assertThrows(IllegalStateException.class, () -> w2.write(target));
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors"), listing());
    }

    @Test
    void anItemWritingTheWrongByteCountIsCaught() throws IOException {
        Path target = existingTarget();
        SafetensorsWriter.Item shortItem = new SafetensorsWriter.Item() {
            @Override
            public Dtype dtype() {
                return Dtype.F32;
            }

            @Override
            public int[] shape() {
                return new int[] {2};
            }

            @Override
            public void write(SafetensorsWriter.Sink sink) throws IOException {
                sink.putFloat(1f);
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new SafetensorsWriter().put("short", shortItem).write(target));
        SafetensorsWriterTest.assertMessage(e, "'short' wrote 4 bytes", "says 8");
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors"), listing());
    }

    @Test
    void anInterruptedSaveLeavesTheOldFile() throws IOException {
        Path target = existingTarget();
        Thread.currentThread().interrupt(); // an interruptible FileChannel closes itself and throws
        try {
            assertThrows(ClosedByInterruptException.class, () -> Safetensors.save(target, Map.of("a", Tensor.ones(3))));
        } finally {
            Thread.interrupted();
        }
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors"), listing());
    }

    @Test
    void aRenameThatFailsLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.write(target.resolve("inside"), OLD); // a non-empty directory cannot be replaced by a rename
        assertThrows(IOException.class, () -> Safetensors.save(target, Map.of("a", Tensor.ones(3))));
        assertEquals(List.of("occupied"), listing());
        assertArrayEquals(OLD, Files.readAllBytes(target.resolve("inside")));
    }

    @Test
    void aMissingDirectoryCreatesNothing() {
        Path target = dir.resolve("no").resolve("such").resolve("m.safetensors");
        assertThrows(NoSuchFileException.class, () -> Safetensors.save(target, Map.of("a", Tensor.ones(3))));
        assertFalse(Files.exists(dir.resolve("no")));
    }

    @Test
    void aReadOnlyDirectoryKeepsTheOldFile() throws IOException {
        Path target = existingTarget();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(dir), "permissions are not enforced for this user (root)");
            assertThrows(IOException.class, () -> Safetensors.save(target, Map.of("a", Tensor.ones(3))));
            assertArrayEquals(OLD, Files.readAllBytes(target));
            assertEquals(List.of("model.safetensors"), listing());
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void aSuccessfulSaveReplacesTheFileAndCleansUp() throws IOException {
        Path target = existingTarget();
        Safetensors.save(target, Map.of("a", Tensor.ones(3)));
        assertEquals(List.of("model.safetensors"), listing());
        assertArrayEquals(new float[] {1, 1, 1}, Safetensors.load(target).tensor("a").toArray());
        assertTrue(Files.isReadable(target));
    }
}
