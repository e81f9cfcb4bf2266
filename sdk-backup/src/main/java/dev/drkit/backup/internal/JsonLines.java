package dev.drkit.backup.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;

/**
 * Appends one line of JSON to a file, created 0600 if missing, in one write followed by fsync, so lines from one
 * process never interleave and a crash leaves at most one torn last line. Thread-safe within one JVM.
 */
public final class JsonLines {

    private static final FileAttribute<?> OWNER_ONLY =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private JsonLines() {
    }

    /** Appends {@code json} (one line, no newline in it) and a newline. */
    public static synchronized void append(Path file, String json) throws IOException {
        if (json.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a JSON line must not hold a newline");
        }
        byte[] line = (json + "\n").getBytes(StandardCharsets.UTF_8);
        boolean posix = Files.getFileStore(existingParent(file)).supportsFileAttributeView("posix");
        try (FileChannel channel = posix
            ? FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE), OWNER_ONLY)
            : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        }
    }

    private static Path existingParent(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? file.toAbsolutePath() : parent;
    }
}
