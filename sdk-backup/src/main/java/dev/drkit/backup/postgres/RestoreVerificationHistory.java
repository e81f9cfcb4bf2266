package dev.drkit.backup.postgres;

import dev.drkit.backup.internal.JsonLines;
import dev.drkit.core.EnvironmentException;
import org.jspecify.annotations.Nullable;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A file of past restore verifications, one {@link RestoreVerificationReport#toJson() report} per line (created
 * 0600; each line written at once and forced to disk), and a summary per calendar month (UTC): runs, passes,
 * failures and the newest backup verified that month.
 *
 * <p>Lines that are not reports (a line torn by a crash) are skipped and counted by {@link #read()}. Thread-safe.
 *
 * @since 0.1
 */
public final class RestoreVerificationHistory {

    private final Path file;

    private RestoreVerificationHistory(Path file) {
        this.file = file;
    }

    /** The history kept in {@code file}, which need not exist yet. */
    public static RestoreVerificationHistory at(Path file) {
        return new RestoreVerificationHistory(Objects.requireNonNull(file, "file"));
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /**
     * Appends {@code report}.
     *
     * @throws EnvironmentException if the file cannot be written
     */
    public void append(RestoreVerificationReport report) {
        Objects.requireNonNull(report, "report");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            JsonLines.append(file, report.toJson());
        } catch (IOException e) {
            throw new EnvironmentException("Restore verification history " + file + ": cannot append ("
                + e.getClass().getSimpleName() + ")", Map.of("file", file.toString()), e);
        }
    }

    /** What the file holds. */
    public record Contents(List<RestoreVerificationReport> reports, int unreadableLines) {
    }

    /**
     * Every report, oldest first; a missing file is an empty history.
     *
     * @throws EnvironmentException if the file exists but cannot be read
     */
    public Contents read() {
        List<RestoreVerificationReport> reports = new ArrayList<>();
        int bad = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    reports.add(RestoreVerificationReport.fromJson(line));
                } catch (IllegalArgumentException e) {
                    bad++;
                }
            }
        } catch (NoSuchFileException e) {
            return new Contents(List.of(), 0);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new EnvironmentException("Restore verification history " + file + ": cannot read ("
                + e.getClass().getSimpleName() + ")", Map.of("file", file.toString()), e);
        }
        return new Contents(List.copyOf(reports), bad);
    }

    /**
     * One calendar month (UTC, by when verification started).
     *
     * @param month                 the month
     * @param runs                  verifications run
     * @param passed                of them passed
     * @param failed                of them failed
     * @param newestVerifiedBackup  the passed backup that finished last, if any passed
     * @param newestVerifiedAt      when that backup finished
     * @since 0.1
     */
    public record MonthlySummary(YearMonth month, int runs, int passed, int failed,
                                 Optional<String> newestVerifiedBackup, Optional<Instant> newestVerifiedAt) {
        /** One line for people. */
        public String toText() {
            return month + ": " + runs + " runs, " + passed + " passed, " + failed + " failed"
                + newestVerifiedBackup.map(id -> "; newest verified backup " + id
                + newestVerifiedAt.map(t -> " (" + t + ")").orElse("")).orElse("; no backup verified");
        }
    }

    /** A summary per month of {@code reports}, oldest month first. */
    public static List<MonthlySummary> monthly(List<RestoreVerificationReport> reports) {
        Map<YearMonth, List<RestoreVerificationReport>> byMonth = new TreeMap<>();
        for (RestoreVerificationReport r : reports) {
            byMonth.computeIfAbsent(YearMonth.from(r.started().atZone(ZoneOffset.UTC)), m -> new ArrayList<>()).add(r);
        }
        List<MonthlySummary> out = new ArrayList<>();
        byMonth.forEach((month, runs) -> {
            int passed = 0;
            @Nullable RestoreVerificationReport newest = null;
            for (RestoreVerificationReport r : runs) {
                if (r.passed()) {
                    passed++;
                    Instant at = r.backupFinishedAt().orElse(Instant.EPOCH);
                    if (newest == null || at.isAfter(newest.backupFinishedAt().orElse(Instant.EPOCH))) {
                        newest = r;
                    }
                }
            }
            out.add(new MonthlySummary(month, runs.size(), passed, runs.size() - passed,
                Optional.ofNullable(newest).map(RestoreVerificationReport::backupId),
                Optional.ofNullable(newest).flatMap(RestoreVerificationReport::backupFinishedAt)));
        });
        return out;
    }

    /** {@link #monthly(List)} of this file's reports. */
    public List<MonthlySummary> monthly() {
        return monthly(read().reports());
    }
}
