package dev.drkit.core.drill;

import dev.drkit.core.DataIntegrityException;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.internal.Text;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A file of past drills, one {@link DrillReport#toJson() JSON report} per line, so that drills can be compared
 * over time ({@code jq} reads it as it is).
 *
 * <p>{@link #append} creates the file (mode {@code 0600}) and its parent directories when needed, writes the
 * line with one {@code write} in append mode and forces it to disk before returning: two processes appending
 * at once each add whole lines. {@link #read} never fails on what it finds in the file: lines that are not
 * reports (a torn write after a crash, an edit gone wrong, garbage) are reported as {@link CorruptLine}s with
 * their line number and the reason, and the rest are read.
 *
 * <pre>{@code
 * DrillHistory history = DrillHistory.at(Path.of("/var/lib/drkit/drills.jsonl"));
 * history.append(report);
 * DrillHistory.Contents past = history.read();
 * past.reports().forEach(r -> System.out.println(r.started() + " " + r.verdict() + " " + r.rto()));
 * past.corruptLines().forEach(c -> System.err.println("line " + c.lineNumber() + ": " + c.reason()));
 * }</pre>
 *
 * <p>Instances are thread-safe.
 *
 * @since 0.1
 */
public final class DrillHistory {

    /**
     * The longest line read as a report: {@value} bytes. Longer lines are reported as corrupt and skipped.
     *
     * @since 0.1
     */
    public static final int MAX_LINE_BYTES = 1 << 20;

    /**
     * The most corrupt lines described in {@link Contents#corruptLines()}; all are counted.
     *
     * @since 0.1
     */
    public static final int MAX_CORRUPT_LINES_KEPT = 100;

    private static final Logger log = LoggerFactory.getLogger(DrillHistory.class);

    private final Path file;

    private DrillHistory(Path file) {
        this.file = file;
    }

    /**
     * The history kept in {@code file}, which need not exist yet.
     *
     * @since 0.1
     */
    public static DrillHistory at(Path file) {
        return new DrillHistory(Objects.requireNonNull(file, "file"));
    }

    /**
     * The file.
     *
     * @since 0.1
     */
    public Path file() {
        return file;
    }

    /**
     * Appends {@code report} as one line and forces it to disk. If the file does not end in a newline (a write
     * torn by a crash), a newline is written first, so the torn line stays the only corrupt one.
     *
     * @throws EnvironmentException if the directory or file cannot be created or written
     * @since 0.1
     */
    public synchronized void append(DrillReport report) {
        Objects.requireNonNull(report, "report");
        byte[] json = report.toJson().getBytes(StandardCharsets.UTF_8);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            boolean created = !Files.exists(file);
            boolean needsNewline = !created && !endsWithNewline(file);
            ByteBuffer line = ByteBuffer.allocate(json.length + 2);
            if (needsNewline) {
                line.put((byte) '\n');
            }
            line.put(json).put((byte) '\n').flip();
            try (FileChannel channel = openForAppend(file)) {
                // One write call: with O_APPEND the kernel puts the whole line at the end, even with other writers.
                while (line.hasRemaining()) {
                    channel.write(line);
                }
                channel.force(true);
            }
            if (created && parent != null) {
                forceDirectory(parent);
            }
        } catch (IOException e) {
            throw new EnvironmentException("Drill history " + file + ": cannot append a report: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + Text.oneLine(e.getMessage(), 200)), Map.of("file", file.toString()), e);
        }
        log.debug("Drill history {}: appended '{}' ({})", file, report.name(), report.verdict());
    }

    /**
     * Reads every report; a missing file is an empty history.
     *
     * @throws EnvironmentException if the file exists but cannot be read
     * @since 0.1
     */
    public Contents read() {
        Contents contents;
        try (InputStream in = Files.newInputStream(file)) {
            contents = parse(in);
        } catch (NoSuchFileException e) {
            return new Contents(List.of(), List.of(), 0);
        } catch (IOException e) {
            throw new EnvironmentException("Drill history " + file + ": cannot read it: " + e.getClass().getSimpleName(),
                Map.of("file", file.toString()), e);
        }
        if (contents.corruptLineCount() > 0) {
            log.warn("Drill history {}: {} corrupt lines skipped, the first at line {}: {}", file,
                contents.corruptLineCount(), contents.corruptLines().get(0).lineNumber(), contents.corruptLines().get(0).reason());
        }
        return contents;
    }

    /**
     * Reads reports, one per line, from untrusted bytes. Never fails on the bytes themselves: what is not a
     * report becomes a {@link CorruptLine}. Empty lines are skipped; a {@code \r} before a newline is ignored.
     *
     * @throws IOException only if {@code in} itself fails
     * @since 0.1
     */
    public static Contents parse(InputStream in) throws IOException {
        Objects.requireNonNull(in, "in");
        List<DrillReport> reports = new ArrayList<>();
        List<CorruptLine> corrupt = new ArrayList<>();
        long corruptCount = 0;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean tooLong = false;
        long lineNumber = 1;
        byte[] buffer = new byte[8192];
        int n;
        boolean pending = false;
        while ((n = in.read(buffer)) != -1) {
            int from = 0;
            for (int i = 0; i < n; i++) {
                if (buffer[i] != '\n') {
                    continue;
                }
                if (!tooLong) {
                    line.write(buffer, from, i - from);
                }
                String problem = take(line, tooLong, reports);
                if (problem != null) {
                    corruptCount++;
                    if (corrupt.size() < MAX_CORRUPT_LINES_KEPT) {
                        corrupt.add(new CorruptLine(lineNumber, problem));
                    }
                }
                line.reset();
                tooLong = false;
                pending = false;
                lineNumber++;
                from = i + 1;
            }
            if (from < n) {
                pending = true;
                if (!tooLong) {
                    line.write(buffer, from, n - from);
                    if (line.size() > MAX_LINE_BYTES) {
                        // Stop collecting: a huge line must not take a huge buffer.
                        tooLong = true;
                        line.reset();
                    }
                }
            }
        }
        if (pending) {
            String problem = take(line, tooLong, reports);
            if (problem != null) {
                corruptCount++;
                if (corrupt.size() < MAX_CORRUPT_LINES_KEPT) {
                    corrupt.add(new CorruptLine(lineNumber, problem));
                }
            }
        }
        return new Contents(reports, corrupt, corruptCount);
    }

    /** Adds the line's report to {@code reports}, or returns why it is not one; null for a report or an empty line. */
    private static String take(ByteArrayOutputStream line, boolean tooLong, List<DrillReport> reports) {
        if (tooLong || line.size() > MAX_LINE_BYTES) {
            return "longer than " + MAX_LINE_BYTES + " bytes";
        }
        byte[] bytes = line.toByteArray();
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        if (length == 0) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, 0, length))
                .toString();
        } catch (CharacterCodingException e) {
            return "not UTF-8 text";
        }
        if (text.isBlank()) {
            return null;
        }
        try {
            reports.add(DrillReport.fromJson(text));
            return null;
        } catch (DataIntegrityException e) {
            return e.getMessage();
        }
    }

    private static boolean endsWithNewline(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                return true;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            channel.read(last, size - 1);
            return last.get(0) == '\n';
        }
    }

    private static FileChannel openForAppend(Path file) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        FileAttribute<?> ownerOnly = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
        try {
            return FileChannel.open(file, options, ownerOnly);
        } catch (UnsupportedOperationException noPosix) {
            return FileChannel.open(file, options);
        }
    }

    /** Makes a new file's directory entry durable too; best effort, as not every platform can open a directory. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            log.debug("Drill history: cannot force directory {} to disk: {}", directory, e.toString());
        }
    }

    @Override
    public String toString() {
        return "DrillHistory[" + file + "]";
    }

    /**
     * What {@link #read()} or {@link #parse(InputStream)} found. Immutable and thread-safe.
     *
     * @since 0.1
     */
    public static final class Contents {

        private final List<DrillReport> reports;
        private final List<CorruptLine> corruptLines;
        private final long corruptLineCount;

        Contents(List<DrillReport> reports, List<CorruptLine> corruptLines, long corruptLineCount) {
            this.reports = List.copyOf(reports);
            this.corruptLines = List.copyOf(corruptLines);
            this.corruptLineCount = corruptLineCount;
        }

        /**
         * The reports, in file order (oldest first, as appended).
         *
         * @since 0.1
         */
        public List<DrillReport> reports() {
            return reports;
        }

        /**
         * The first {@value DrillHistory#MAX_CORRUPT_LINES_KEPT} lines that were not reports, in file order.
         *
         * @since 0.1
         */
        public List<CorruptLine> corruptLines() {
            return corruptLines;
        }

        /**
         * How many lines were not reports, all of them.
         *
         * @since 0.1
         */
        public long corruptLineCount() {
            return corruptLineCount;
        }

        /**
         * Whether every non-empty line was a report.
         *
         * @since 0.1
         */
        public boolean isClean() {
            return corruptLineCount == 0;
        }

        @Override
        public String toString() {
            return "DrillHistory.Contents[reports=" + reports.size() + ", corrupt=" + corruptLineCount + "]";
        }
    }

    /**
     * A line of a history file that is not a report: where, and why, without its content (which may be huge
     * or hostile). Immutable and thread-safe.
     *
     * @since 0.1
     */
    public static final class CorruptLine {

        private final long lineNumber;
        private final String reason;

        CorruptLine(long lineNumber, String reason) {
            this.lineNumber = lineNumber;
            this.reason = reason;
        }

        /**
         * The line's number, from 1.
         *
         * @since 0.1
         */
        public long lineNumber() {
            return lineNumber;
        }

        /**
         * Why it is not a report, such as {@code "Drill report is invalid: started must be a string"}.
         *
         * @since 0.1
         */
        public String reason() {
            return reason;
        }

        @Override
        public String toString() {
            return "line " + lineNumber + ": " + reason;
        }
    }
}
