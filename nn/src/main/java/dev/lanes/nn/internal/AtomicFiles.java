package dev.lanes.nn.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a whole file or nothing, for everything Lanes saves (safetensors, charts, CSV): into a new
 * temporary file beside the target, forced to disk, then renamed over the target in one atomic step. On any
 * failure the temporary file is deleted and an existing target is left as it was. Not part of the API.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the file's contents into the channel it is given. */
    @FunctionalInterface
    public interface Body {
        void writeTo(FileChannel out) throws IOException;
    }

    /** Writes {@code bytes} as the whole of {@code path}. */
    public static void write(Path path, byte[] bytes) throws IOException {
        write(path, out -> {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        });
    }

    /** Writes {@code bytes} as the whole of {@code path}, creating its folder first if needed (charts, logs). */
    public static void writeCreatingFolder(Path path, byte[] bytes) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        write(path, bytes);
    }

    /**
     * Writes the file {@code body} produces as the whole of {@code path}. The parent folder must exist.
     *
     * @throws IllegalArgumentException if {@code path} names no file
     */
    public static void write(Path path, Body body) throws IOException {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || target.getFileName() == null) {
            throw new IllegalArgumentException(path + " names no file");
        }
        String base = target.getFileName().toString();
        FileChannel channel = null;
        Path tmp = null;
        for (int attempt = 0; channel == null; attempt++) {
            // CREATE_NEW (not createTempFile) so the file gets the usual permissions, not owner-only.
            tmp = dir.resolve("." + (base.length() > 100 ? base.substring(0, 100) : base) + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException taken) {
                if (attempt == 20) {
                    throw taken;
                }
            }
        }
        try {
            try (FileChannel out = channel) {
                body.writeTo(out);
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        syncDirectory(dir);
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename itself durable. Best effort: not every platform can open a directory for this.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // the file's contents are already on disk; only the rename's durability is not guaranteed
        }
    }
}
