package dev.drkit.postgres.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Small text helpers: tails of outputs and log files, indentation for exception messages. */
public final class Text {

    private static final int MAX_TAIL_BYTES = 64 * 1024;

    private Text() {
    }

    /** The last {@code lines} non-empty lines of {@code text}, joined by newlines. */
    public static String tail(String text, int lines) {
        List<String> all = Arrays.stream(text.split("\\R")).filter(l -> !l.isBlank()).toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /**
     * The last {@code lines} lines of {@code file} written after byte {@code fromOffset} (or of the whole file
     * when the offset is past its end, for example after it was truncated). Empty if the file cannot be read.
     */
    public static String tailOfFile(Path file, long fromOffset, int lines) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            long from = fromOffset <= length ? fromOffset : 0;
            from = Math.max(from, length - MAX_TAIL_BYTES);
            byte[] bytes = new byte[(int) (length - from)];
            raf.seek(from);
            raf.readFully(bytes);
            return tail(new String(bytes, StandardCharsets.UTF_8), lines);
        } catch (IOException e) {
            return "";
        }
    }

    /** The size of {@code file}, or 0 if it does not exist. */
    public static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** {@code text} with every line indented by two spaces, for multi-line exception messages. */
    public static String indent(String text) {
        return text.isEmpty() ? "  (empty)" : "  " + text.replace("\n", "\n  ");
    }
}
