package dev.drkit.backup.postgres.internal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a base backup started and ended: {@code backup_label}'s {@code START TIME}, and the {@code STOP TIME} of the
 * backup history file ({@code <segment>.<offset>.backup}) that the primary archived when the backup ended.
 * Stateless.
 */
public final class BackupTimes {

    private static final int MAX_FILE = 64 * 1024;
    private static final Pattern NUMERIC = Pattern.compile("([+-])(\\d{2})(?::?(\\d{2}))?");

    /**
     * Abbreviations tzdata uses for a single offset. Left out on purpose, because tzdata uses them for more than one:
     * CST, CDT, IST, PST.
     */
    static final Map<String, ZoneOffset> ABBREVIATIONS = Map.ofEntries(
        Map.entry("UTC", ZoneOffset.UTC), Map.entry("UT", ZoneOffset.UTC), Map.entry("GMT", ZoneOffset.UTC),
        Map.entry("Z", ZoneOffset.UTC), Map.entry("WET", ZoneOffset.UTC), Map.entry("WEST", hours(1)),
        Map.entry("BST", hours(1)), Map.entry("CET", hours(1)), Map.entry("CEST", hours(2)),
        Map.entry("MET", hours(1)), Map.entry("MEST", hours(2)), Map.entry("EET", hours(2)),
        Map.entry("EEST", hours(3)), Map.entry("MSK", hours(3)), Map.entry("WAT", hours(1)),
        Map.entry("CAT", hours(2)), Map.entry("SAST", hours(2)), Map.entry("EAT", hours(3)),
        Map.entry("PKT", hours(5)), Map.entry("WIB", hours(7)), Map.entry("WITA", hours(8)),
        Map.entry("WIT", hours(9)), Map.entry("HKT", hours(8)), Map.entry("AWST", hours(8)),
        Map.entry("JST", hours(9)), Map.entry("KST", hours(9)), Map.entry("ACST", ZoneOffset.ofHoursMinutes(9, 30)),
        Map.entry("ACDT", ZoneOffset.ofHoursMinutes(10, 30)), Map.entry("AEST", hours(10)),
        Map.entry("AEDT", hours(11)), Map.entry("NZST", hours(12)), Map.entry("NZDT", hours(13)),
        Map.entry("NST", ZoneOffset.ofHoursMinutes(-3, -30)), Map.entry("NDT", ZoneOffset.ofHoursMinutes(-2, -30)),
        Map.entry("AST", hours(-4)), Map.entry("ADT", hours(-3)), Map.entry("EST", hours(-5)),
        Map.entry("EDT", hours(-4)), Map.entry("MST", hours(-7)), Map.entry("MDT", hours(-6)),
        Map.entry("PDT", hours(-7)), Map.entry("AKST", hours(-9)), Map.entry("AKDT", hours(-8)),
        Map.entry("HST", hours(-10)));

    private BackupTimes() {
    }

    /** The {@code KEY: value} lines of a {@code backup_label} or backup history file. */
    public static Map<String, String> parse(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 2).trim());
            }
        }
        return fields;
    }

    /**
     * A label time such as {@code 2026-11-23 14:05:00 UTC}, if it can be read without guessing. PostgreSQL writes
     * it with the abbreviation of {@code log_timezone} ({@code %Z}), and many abbreviations name several offsets
     * (CST is US Central, China and Cuba; IST is India, Israel and Ireland; PST is US Pacific and the Philippines).
     * Read are: a numeric offset ({@code +04}, {@code -0330}, as tzdata writes zones without an abbreviation), and
     * the abbreviations in {@link #ABBREVIATIONS}, each of which tzdata uses for one offset only. Anything else is
     * empty: the time is unknown, not a guess.
     */
    public static Optional<Instant> time(@Nullable String value) {
        if (value == null) {
            return Optional.empty();
        }
        String[] parts = value.strip().split(" ");
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            Optional<ZoneOffset> offset = offset(parts[2]);
            if (offset.isEmpty()) {
                return Optional.empty();
            }
            LocalDateTime local = LocalDateTime.parse(parts[0] + "T" + parts[1]);
            return Optional.of(local.toInstant(offset.get()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The offset a {@code %Z} abbreviation or numeric offset stands for, if it stands for exactly one. */
    static Optional<ZoneOffset> offset(String zone) {
        ZoneOffset known = ABBREVIATIONS.get(zone);
        if (known != null) {
            return Optional.of(known);
        }
        Matcher m = NUMERIC.matcher(zone);
        if (!m.matches()) {
            return Optional.empty();
        }
        int hours = Integer.parseInt(m.group(2));
        int minutes = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        if (hours > 18 || minutes > 59) {
            return Optional.empty();
        }
        int sign = m.group(1).equals("-") ? -1 : 1;
        return Optional.of(ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes));
    }

    /** The label of the backup in {@code dataDirectory}, if it has one. */
    public static Optional<Map<String, String>> label(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve("backup_label");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(parse(read(file)));
    }

    /**
     * The {@code STOP TIME} in the backup history file in {@code archive} whose {@code START WAL LOCATION} equals
     * {@code startWalLocation} (the label's), if the archive has one.
     */
    public static Optional<Instant> stopTime(Path archive, String startWalLocation) throws IOException {
        if (!Files.isDirectory(archive)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(archive, "*.backup")) {
            for (Path file : files) {
                if (!Files.isRegularFile(file) || Files.size(file) > MAX_FILE) {
                    continue;
                }
                Map<String, String> fields = parse(read(file));
                if (startWalLocation.equals(fields.get("START WAL LOCATION"))) {
                    return time(fields.get("STOP TIME"));
                }
            }
        }
        return Optional.empty();
    }

    private static ZoneOffset hours(int hours) {
        return ZoneOffset.ofHours(hours);
    }

    private static String read(Path file) throws IOException {
        byte[] bytes;
        try (var in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
