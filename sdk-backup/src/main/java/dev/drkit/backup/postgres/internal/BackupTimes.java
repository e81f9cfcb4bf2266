package dev.drkit.backup.postgres.internal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * When a base backup started and ended: {@code backup_label}'s {@code START TIME}, and the {@code STOP TIME} of the
 * backup history file ({@code <segment>.<offset>.backup}) that the primary archived when the backup ended.
 * Stateless.
 */
public final class BackupTimes {

    private static final int MAX_FILE = 64 * 1024;

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

    /** A label time such as {@code 2026-11-23 14:05:00 UTC}, if it can be read. */
    public static Optional<Instant> time(@Nullable String value) {
        if (value == null) {
            return Optional.empty();
        }
        String[] parts = value.strip().split(" ");
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            LocalDateTime local = LocalDateTime.parse(parts[0] + "T" + parts[1]);
            return Optional.of(local.atZone(ZoneId.of(parts[2], ZoneId.SHORT_IDS)).toInstant());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
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

    private static String read(Path file) throws IOException {
        byte[] bytes;
        try (var in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
