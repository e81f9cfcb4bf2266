package dev.drkit.backup.postgres.wal;

import dev.drkit.backup.postgres.internal.BackupTimes;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The parts of a plain-format base backup ({@code pg_basebackup -Fp}) the WAL verifier needs: where its WAL starts
 * and on which timeline ({@code backup_label}), where it ends ({@code backup_manifest}'s {@code WAL-Ranges}), the
 * database system identifier ({@code global/pg_control}), and a check of every file against the manifest as
 * {@code pg_verifybackup} makes it (sizes, checksums, missing and extra files, the manifest's own SHA-256).
 *
 * @since 0.1
 */
public final class BaseBackup {

    /**
     * What pg_verifybackup ignores, both ways (neither required nor checked if listed, nor extra if not), with
     * everything under each: {@code backup_manifest} itself, {@code pg_wal}, and the files a restore may add or change
     * ({@code pg_basebackup -R}, a backup of a standby, which lists {@code standby.signal}).
     */
    private static final List<String> IGNORED = List.of("backup_manifest", "pg_wal", "postgresql.auto.conf",
        "recovery.signal", "standby.signal");
    private static final long MAX_MANIFEST_BYTES = 512L << 20;
    private static final int MAX_LABEL_BYTES = 64 * 1024;

    private final @Nullable Path directory;
    private final long startLsn;
    private final long checkpointLsn;
    private final int startTimeline;
    private final @Nullable Instant startTime;
    private final long endLsn;
    private final int endTimeline;
    private final long systemIdentifier;
    private final List<String> problems;
    private final @Nullable Manifest manifest;
    /** For a backup read from its tar stream: what the file check found as the stream passed. */
    private final @Nullable List<String> streamedFileProblems;

    private BaseBackup(@Nullable Path directory, long startLsn, long checkpointLsn, int startTimeline,
                       @Nullable Instant startTime, long endLsn, int endTimeline, long systemIdentifier,
                       List<String> problems, @Nullable Manifest manifest,
                       @Nullable List<String> streamedFileProblems) {
        this.directory = directory;
        this.startLsn = startLsn;
        this.checkpointLsn = checkpointLsn;
        this.startTimeline = startTimeline;
        this.startTime = startTime;
        this.endLsn = endLsn;
        this.endTimeline = endTimeline;
        this.systemIdentifier = systemIdentifier;
        this.problems = List.copyOf(problems);
        this.manifest = manifest;
        this.streamedFileProblems = streamedFileProblems == null ? null : List.copyOf(streamedFileProblems);
    }

    /** A base backup that cannot be used at all: no label and no manifest, or no {@code pg_control}. */
    public static final class UnreadableBackupException extends Exception {
        private static final long serialVersionUID = 1L;

        UnreadableBackupException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Reads and checks a plain-format base backup. Damage the verifier can work around (a file that does not match
     * the manifest, a missing {@code backup_label} when the manifest has the WAL range) is returned in
     * {@link #problems()}.
     *
     * @param checkFiles whether to check every file's size and checksum against the manifest
     * @throws UnreadableBackupException if neither {@code backup_label} nor a manifest says where the backup's WAL
     *                                   starts, or {@code global/pg_control} cannot be read
     */
    public static BaseBackup read(Path directory, boolean checkFiles) throws IOException, UnreadableBackupException {
        if (!Files.isDirectory(directory)) {
            throw new UnreadableBackupException("base backup " + directory + " is not a directory", null);
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> label = null;
        Path labelFile = directory.resolve("backup_label");
        try {
            label = parseLabel(readBounded(labelFile, MAX_LABEL_BYTES));
        } catch (NoSuchFileException e) {
            problems.add("backup_label is missing: without it PostgreSQL starts from the last checkpoint in "
                + "pg_control and the restored cluster may be inconsistent");
        } catch (IllegalArgumentException e) {
            problems.add("backup_label is unreadable: " + e.getMessage());
        }
        Manifest manifest = null;
        Path manifestFile = directory.resolve("backup_manifest");
        try {
            byte[] bytes = readBounded(manifestFile, MAX_MANIFEST_BYTES);
            manifest = parseManifest(bytes, problems);
        } catch (NoSuchFileException e) {
            problems.add("backup_manifest is missing: the backup's files cannot be checked");
        } catch (IllegalArgumentException e) {
            problems.add("backup_manifest is unreadable: " + e.getMessage());
        }

        Header header = header(directory.toString(), label, manifest, problems);
        long sysid;
        try {
            byte[] control = readBounded(directory.resolve("global/pg_control"), 8192);
            sysid = systemIdentifier(control, directory.toString());
        } catch (NoSuchFileException e) {
            throw new UnreadableBackupException("base backup " + directory + " has no global/pg_control", e);
        }
        if (manifest != null && checkFiles) {
            checkFiles(directory, manifest, problems);
        }
        return new BaseBackup(directory, header.start, header.checkpoint, header.timeline, header.startTime,
            header.end, header.endTimeline, sysid, problems, manifest, null);
    }

    /**
     * Reads and checks a base backup from the tar stream {@code pg_basebackup -D - -Ft} writes (with
     * {@code backup_manifest} in it), such as a stored drkit base backup as it is decrypted, without writing its files
     * anywhere: {@code backup_label}, {@code backup_manifest} and {@code global/pg_control} are kept in memory, and
     * every other file's size and CRC-32C are taken as it passes and compared with the manifest at the end. Files
     * whose manifest checksum is not CRC-32C (pg_basebackup's default) are checked by size. Reads {@code in} to its
     * end, so that a stream checked at its end (a drkit restore) is judged; does not close it.
     *
     * @param description what the stream is, for messages, such as {@code backup 20261123T140500Z-ab12}
     * @param checkFiles  whether to check every file against the manifest
     * @throws UnreadableBackupException if the stream is not a tar, or holds neither a readable label nor a manifest
     *                                   with the WAL range, or no {@code global/pg_control}
     */
    public static BaseBackup readTar(InputStream in, String description, boolean checkFiles)
        throws IOException, UnreadableBackupException {
        List<String> problems = new ArrayList<>();
        byte[] labelBytes = null;
        byte[] manifestBytes = null;
        byte[] control = null;
        Map<String, long[]> seen = new LinkedHashMap<>();
        org.apache.commons.compress.archivers.tar.TarArchiveInputStream tar =
            new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in, "UTF-8");
        byte[] buffer = new byte[1 << 16];
        while (true) {
            org.apache.commons.compress.archivers.tar.TarArchiveEntry entry;
            try {
                entry = tar.getNextEntry();
            } catch (IllegalArgumentException e) {
                throw new UnreadableBackupException(description + " is not a readable tar stream: " + e.getMessage(),
                    e);
            }
            if (entry == null) {
                break;
            }
            if (!entry.isFile() || entry.isLink() || entry.isSymbolicLink()) {
                continue;
            }
            String name = entry.getName();
            while (name.startsWith("./")) {
                name = name.substring(2);
            }
            byte[] head = new byte[0];
            if (name.equals("backup_label")) {
                head = labelBytes = tar.readNBytes(MAX_LABEL_BYTES + 1);
            } else if (name.equals("global/pg_control")) {
                head = control = tar.readNBytes(8192);
            } else if (name.equals("backup_manifest")) {
                if (entry.getSize() > MAX_MANIFEST_BYTES) {
                    problems.add("backup_manifest is unreadable: it is " + entry.getSize() + " bytes, more than "
                        + MAX_MANIFEST_BYTES);
                } else {
                    manifestBytes = tar.readAllBytes();
                }
                continue;
            }
            if (checkFiles) {
                CRC32C crc = new CRC32C();
                crc.update(head, 0, head.length);
                long size = head.length;
                for (int n; (n = tar.read(buffer)) > 0; ) {
                    crc.update(buffer, 0, n);
                    size += n;
                }
                seen.put(name, new long[] {size, crc.getValue()});
            }
        }
        in.transferTo(java.io.OutputStream.nullOutputStream());
        Map<String, String> label = null;
        if (labelBytes == null) {
            problems.add("backup_label is missing: without it PostgreSQL starts from the last checkpoint in "
                + "pg_control and the restored cluster may be inconsistent");
        } else if (labelBytes.length > MAX_LABEL_BYTES) {
            problems.add("backup_label is unreadable: it is more than " + MAX_LABEL_BYTES + " bytes");
        } else {
            try {
                label = parseLabel(labelBytes);
            } catch (IllegalArgumentException e) {
                problems.add("backup_label is unreadable: " + e.getMessage());
            }
        }
        Manifest manifest = null;
        if (manifestBytes == null) {
            if (problems.stream().noneMatch(p -> p.startsWith("backup_manifest"))) {
                problems.add("backup_manifest is missing: the backup's files cannot be checked");
            }
        } else {
            try {
                manifest = parseManifest(manifestBytes, problems);
            } catch (IllegalArgumentException e) {
                problems.add("backup_manifest is unreadable: " + e.getMessage());
            }
        }
        Header header = header(description, label, manifest, problems);
        if (control == null) {
            throw new UnreadableBackupException(description + " has no global/pg_control", null);
        }
        long sysid = systemIdentifier(control, description);
        List<String> fileProblems = new ArrayList<>();
        if (manifest != null && checkFiles) {
            checkStreamedFiles(manifest, seen, fileProblems);
        }
        problems.addAll(fileProblems);
        return new BaseBackup(null, header.start, header.checkpoint, header.timeline, header.startTime, header.end,
            header.endTimeline, sysid, problems, manifest, fileProblems);
    }

    /** Where the backup's WAL starts and ends, from its label and manifest. */
    private record Header(long start, long checkpoint, int timeline, @Nullable Instant startTime, long end,
                          int endTimeline) {
    }

    private static Header header(String description, @Nullable Map<String, String> label, @Nullable Manifest manifest,
                                 List<String> problems) throws UnreadableBackupException {
        long start = -1;
        long checkpoint = -1;
        int timeline = 0;
        Instant startTime = null;
        if (label != null) {
            try {
                start = Lsn.parse(firstWord(label.get("START WAL LOCATION")));
                checkpoint = Lsn.parse(firstWord(label.get("CHECKPOINT LOCATION")));
                timeline = Integer.parseUnsignedInt(firstWord(label.get("START TIMELINE")));
            } catch (IllegalArgumentException e) {
                problems.add("backup_label is unreadable: " + e.getMessage());
                start = -1;
            }
            startTime = parseTime(label.get("START TIME"));
        }
        long end = -1;
        int endTimeline = 0;
        if (manifest != null && manifest.walStart >= 0) {
            if (start < 0) {
                start = manifest.walStart;
                timeline = manifest.walStartTimeline;
            } else if (manifest.walStart != start) {
                problems.add("backup_label starts at " + Lsn.format(start) + " but backup_manifest's WAL range starts"
                    + " at " + Lsn.format(manifest.walStart));
            }
            end = manifest.walEnd;
            endTimeline = manifest.walEndTimeline;
        }
        if (start < 0) {
            throw new UnreadableBackupException("base backup " + description + " has neither a readable backup_label"
                + " nor a backup_manifest with WAL-Ranges: where its WAL starts is unknown", null);
        }
        return new Header(start, checkpoint, timeline, startTime, end, endTimeline);
    }

    private static long systemIdentifier(byte[] control, String description) throws UnreadableBackupException {
        if (control.length < 8) {
            throw new UnreadableBackupException("global/pg_control in " + description + " is too short", null);
        }
        return ByteBuffer.wrap(control, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** The file check of {@link #checkFiles(Path, Manifest, List)}, against sizes and CRC-32Cs taken from a stream. */
    private static void checkStreamedFiles(Manifest manifest, Map<String, long[]> seen, List<String> problems) {
        Set<String> expected = new TreeSet<>();
        for (ManifestFile file : manifest.files) {
            expected.add(file.path());
            if (ignored(file.path())) {
                continue;
            }
            long[] found = seen.get(file.path());
            if (found == null) {
                problems.add(file.path() + " is missing from the base backup");
                continue;
            }
            if (found[0] != file.size()) {
                problems.add(file.path() + " is " + found[0] + " bytes, the manifest says " + file.size());
                continue;
            }
            if (file.algorithm().equalsIgnoreCase("CRC32C") && file.checksum() != null) {
                String actual = HexFormat.of().formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt((int) found[1]).array());
                if (!actual.equalsIgnoreCase(file.checksum())) {
                    problems.add(file.path() + " was modified: its CRC32C checksum is " + actual
                        + ", the manifest says " + file.checksum());
                }
            }
        }
        for (String name : seen.keySet()) {
            if (!expected.contains(name) && !ignored(name)) {
                problems.add(name + " is in the base backup but not in its manifest");
            }
        }
    }

    /** The backup's directory; empty for a backup read from its tar stream. */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    /** {@code START WAL LOCATION}: where recovery from this backup starts reading WAL. */
    public long startLsn() {
        return startLsn;
    }

    /** {@code CHECKPOINT LOCATION}, or -1 if unknown. */
    public long checkpointLsn() {
        return checkpointLsn;
    }

    /** {@code START TIMELINE}. */
    public int startTimeline() {
        return startTimeline;
    }

    /**
     * {@code START TIME}, if the label has one that can be read without guessing its time zone: empty when the
     * label gives an abbreviation that stands for several offsets (see {@code log_timezone}).
     */
    public Optional<Instant> startTime() {
        return Optional.ofNullable(startTime);
    }

    /** The manifest's {@code End-LSN}: replay must reach it for the restored cluster to be consistent; -1 if unknown. */
    public long endLsn() {
        return endLsn;
    }

    /** The timeline of {@link #endLsn()}, 0 if unknown. */
    public int endTimeline() {
        return endTimeline;
    }

    /** The database system identifier from {@code global/pg_control}. */
    public long systemIdentifier() {
        return systemIdentifier;
    }

    /**
     * Checks every file against the manifest (present, size, checksum) and looks for files the manifest does not
     * list, as {@code pg_verifybackup} does, ignoring what it ignores ({@code pg_wal/}, {@code standby.signal},
     * {@code recovery.signal}, {@code postgresql.auto.conf}, {@code backup_manifest}) whether listed or present;
     * returns what is wrong, one sentence each. Empty without a manifest
     * (its absence is already in {@link #problems()}).
     */
    public List<String> checkFiles() throws IOException {
        if (streamedFileProblems != null) {
            return streamedFileProblems;
        }
        List<String> found = new ArrayList<>();
        if (manifest != null && directory != null) {
            checkFiles(directory, manifest, found);
        }
        return found;
    }

    /** What is wrong with the backup's label and manifest (and its files, if read with checkFiles), one each. */
    public List<String> problems() {
        return problems;
    }

    private static byte[] readBounded(Path file, long max) throws IOException {
        long size = Files.size(file);
        if (size > max) {
            throw new IllegalArgumentException(file.getFileName() + " is " + size + " bytes, more than " + max);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes((int) max);
        }
    }

    static Map<String, String> parseLabel(byte[] bytes) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 2).strip());
            }
        }
        for (String required : List.of("START WAL LOCATION", "CHECKPOINT LOCATION", "START TIMELINE")) {
            if (!fields.containsKey(required)) {
                throw new IllegalArgumentException("it has no " + required);
            }
        }
        return fields;
    }

    private static String firstWord(@Nullable String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a field is empty");
        }
        return value.strip().split("\\s+")[0];
    }

    static @Nullable Instant parseTime(@Nullable String value) {
        if (value == null) {
            return null;
        }
        // one reader for label times: an ambiguous time zone abbreviation leaves the time unknown
        return BackupTimes.time(value).orElse(null);
    }

    /** What the manifest says. */
    static final class Manifest {
        final List<ManifestFile> files = new ArrayList<>();
        long walStart = -1;
        int walStartTimeline;
        long walEnd = -1;
        int walEndTimeline;
    }

    record ManifestFile(String path, long size, String algorithm, @Nullable String checksum) {
    }

    @SuppressWarnings("unchecked")
    static @Nullable Manifest parseManifest(byte[] bytes, List<String> problems) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        Object root = MiniJson.parse(text);
        if (!(root instanceof Map)) {
            throw new IllegalArgumentException("it is not a JSON object");
        }
        Map<String, Object> map = (Map<String, Object>) root;
        Object version = map.get("PostgreSQL-Backup-Manifest-Version");
        if (!(version instanceof BigDecimal) || ((BigDecimal) version).intValue() != 1) {
            throw new IllegalArgumentException("unsupported PostgreSQL-Backup-Manifest-Version " + version);
        }
        Object checksum = map.get("Manifest-Checksum");
        int at = text.lastIndexOf("\"Manifest-Checksum\"");
        if (!(checksum instanceof String) || at < 0) {
            problems.add("backup_manifest has no Manifest-Checksum");
        } else {
            byte[] covered = text.substring(0, at).getBytes(StandardCharsets.UTF_8);
            String actual = HexFormat.of().formatHex(sha256(covered));
            if (!actual.equalsIgnoreCase((String) checksum)) {
                problems.add("backup_manifest was modified: its SHA-256 is " + actual + ", it says " + checksum);
            }
        }
        Manifest manifest = new Manifest();
        Object files = map.get("Files");
        if (!(files instanceof List)) {
            throw new IllegalArgumentException("it has no Files list");
        }
        for (Object f : (List<Object>) files) {
            if (!(f instanceof Map)) {
                throw new IllegalArgumentException("a Files entry is not an object");
            }
            Map<String, Object> file = (Map<String, Object>) f;
            Object path = file.containsKey("Path") ? file.get("Path") : file.get("Encoded-Path");
            Object size = file.get("Size");
            if (!(path instanceof String) || !(size instanceof BigDecimal)) {
                throw new IllegalArgumentException("a Files entry has no Path or Size");
            }
            String p = (String) path;
            if (!file.containsKey("Path")) {
                try {
                    p = new String(HexFormat.of().parseHex(p), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("a Files entry has an Encoded-Path that is not hexadecimal");
                }
            }
            Object algorithm = file.getOrDefault("Checksum-Algorithm", "NONE");
            Object sum = file.get("Checksum");
            manifest.files.add(new ManifestFile(p, ((BigDecimal) size).longValue(), String.valueOf(algorithm),
                sum instanceof String ? (String) sum : null));
        }
        Object ranges = map.get("WAL-Ranges");
        if (ranges instanceof List && !((List<Object>) ranges).isEmpty()) {
            List<Object> list = (List<Object>) ranges;
            Map<String, Object> first = asMap(list.get(0));
            Map<String, Object> last = asMap(list.get(list.size() - 1));
            manifest.walStart = Lsn.parse(String.valueOf(first.get("Start-LSN")));
            manifest.walStartTimeline = timeline(first.get("Timeline"));
            manifest.walEnd = Lsn.parse(String.valueOf(last.get("End-LSN")));
            manifest.walEndTimeline = timeline(last.get("Timeline"));
        }
        return manifest;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("a WAL-Ranges entry is not an object");
        }
        return (Map<String, Object>) value;
    }

    private static int timeline(@Nullable Object value) {
        if (!(value instanceof BigDecimal)) {
            throw new IllegalArgumentException("a WAL-Ranges entry has no Timeline");
        }
        return ((BigDecimal) value).intValue();
    }

    private static void checkFiles(Path directory, Manifest manifest, List<String> problems) throws IOException {
        Set<String> expected = new TreeSet<>();
        for (ManifestFile file : manifest.files) {
            expected.add(file.path());
            if (ignored(file.path())) {
                continue;
            }
            Path path = directory.resolve(file.path()).normalize();
            if (!path.startsWith(directory.normalize())) {
                problems.add("backup_manifest names a file outside the backup: " + file.path());
                continue;
            }
            if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                problems.add(file.path() + " is missing from the base backup");
                continue;
            }
            long size = Files.size(path);
            if (size != file.size()) {
                problems.add(file.path() + " is " + size + " bytes, the manifest says " + file.size());
                continue;
            }
            String actual = checksum(path, file.algorithm());
            if (actual != null && file.checksum() != null && !actual.equalsIgnoreCase(file.checksum())) {
                problems.add(file.path() + " was modified: its " + file.algorithm() + " checksum is " + actual
                    + ", the manifest says " + file.checksum());
            }
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(p -> {
                String relative = directory.relativize(p).toString().replace('\\', '/');
                if (!expected.contains(relative) && !ignored(relative)) {
                    problems.add(relative + " is in the base backup but not in its manifest");
                }
            });
        }
    }

    /** Whether pg_verifybackup ignores {@code path}: one of {@link #IGNORED}, or under one. */
    private static boolean ignored(String path) {
        for (String name : IGNORED) {
            if (path.equals(name) || path.startsWith(name + "/")) {
                return true;
            }
        }
        return false;
    }

    private static @Nullable String checksum(Path file, String algorithm) throws IOException {
        String upper = algorithm.toUpperCase(Locale.ROOT);
        if (upper.equals("NONE")) {
            return null;
        }
        byte[] buffer = new byte[1 << 16];
        if (upper.equals("CRC32C")) {
            CRC32C crc = new CRC32C();
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    crc.update(buffer, 0, n);
                }
            }
            int value = (int) crc.getValue();
            // the manifest shows the CRC's bytes in the server's memory order (little-endian here)
            return HexFormat.of().formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value)
                .array());
        }
        String jca;
        switch (upper) {
            case "SHA224":
                jca = "SHA-224";
                break;
            case "SHA256":
                jca = "SHA-256";
                break;
            case "SHA384":
                jca = "SHA-384";
                break;
            case "SHA512":
                jca = "SHA-512";
                break;
            default:
                return null;
        }
        try {
            MessageDigest digest = MessageDigest.getInstance(jca);
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

}
