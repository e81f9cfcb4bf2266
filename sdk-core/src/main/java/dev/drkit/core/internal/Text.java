package dev.drkit.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;

/**
 * Makes untrusted or user-supplied text safe to put into a terminal, a log, a label or an exception message:
 * one-line forms for names and details, multi-line forms for tails of program outputs and server logs.
 * Internal: no compatibility guarantees.
 */
public final class Text {

    private static final int MAX_TAIL_BYTES = 64 * 1024;

    private Text() {
    }

    /**
     * {@code text} with every control character (newlines, escape sequences' ESC, DEL, ...) replaced by
     * {@code '?'} and cut to {@code maxLength} characters, ending in {@code "..."} when cut.
     */
    public static String oneLine(String text, int maxLength) {
        Checks.positive(maxLength, "maxLength");
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxLength));
        for (int i = 0; i < text.length() && out.length() < maxLength; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? '?' : c);
        }
        if (text.length() > maxLength && maxLength > 3) {
            out.setLength(maxLength - 3);
            if (Character.isHighSurrogate(out.charAt(out.length() - 1))) {
                // never leave half of a surrogate pair behind
                out.setLength(out.length() - 1);
            }
            out.append("...");
        }
        return out.toString();
    }

    /**
     * {@code text} with its line breaks ({@code \r\n}, {@code \r}, ...) made {@code '\n'} and every other control
     * character (ESC, tab, DEL, ...) replaced by {@code '?'}: safe for a multi-line exception message or log
     * entry, since a server log or a child's output may hold terminal escape sequences.
     */
    public static String multiLine(String text) {
        String lines = text.replaceAll("\\R", "\n");
        StringBuilder out = new StringBuilder(lines.length());
        for (int i = 0; i < lines.length(); i++) {
            char c = lines.charAt(i);
            out.append(c != '\n' && Character.isISOControl(c) ? '?' : c);
        }
        return out.toString();
    }

    /** The last {@code lines} non-blank lines of {@code text}, joined by newlines, as {@link #multiLine(String)}. */
    public static String tail(String text, int lines) {
        Checks.positive(lines, "lines");
        List<String> all = Arrays.stream(text.split("\\R")).filter(l -> !l.isBlank()).toList();
        return multiLine(String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())));
    }

    /**
     * The last {@code lines} lines of {@code file} written after byte {@code fromOffset} (or of the whole file
     * when the offset is past its end, for example after it was truncated), as {@link #tail(String, int)}. At
     * most the last 64 KiB are read. Empty if the file cannot be read.
     */
    public static String tailOfFile(Path file, long fromOffset, int lines) {
        // Never through a link: a server's log may sit where another user could put one.
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)) {
            long length = channel.size();
            long from = fromOffset <= length ? fromOffset : 0;
            from = Math.max(from, length - MAX_TAIL_BYTES);
            ByteBuffer bytes = ByteBuffer.allocate((int) (length - from));
            channel.position(from);
            while (bytes.hasRemaining() && channel.read(bytes) >= 0) {
                // until full or at the end
            }
            return tail(new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8), lines);
        } catch (IOException e) {
            return "";
        }
    }

    /** The size of {@code file} (a link in its place is not followed), or 0 if it does not exist or cannot be read. */
    public static long sizeOf(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * {@code text} as {@link #multiLine(String)}, with every line indented by two spaces, for multi-line
     * exception messages; {@code "  (empty)"} when it is empty.
     */
    public static String indent(String text) {
        return text.isEmpty() ? "  (empty)" : "  " + multiLine(text).replace("\n", "\n  ");
    }
}
