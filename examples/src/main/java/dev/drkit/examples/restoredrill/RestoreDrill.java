package dev.drkit.examples.restoredrill;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupManifest;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.ManifestEntry;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.SourceKind;
import dev.drkit.backup.VerificationResult;
import dev.drkit.backup.store.BackupStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A restore drill, small enough to put in a team's own CI as a JUnit test: take a backup from a store (a given
 * one, or the newest), verify it fully with the key, restore it into a private temporary directory, compare what
 * was restored with the manifest (every file's size and SHA-256, every directory and link, nothing extra), check
 * the caller's expectations and checks, and return a {@link Report}. Nothing outside the temporary directory is
 * written, and the directory is removed afterwards unless {@link Builder#keepRestored(boolean)}.
 *
 * <pre>{@code
 * try (BackupStore store = FileSystemStore.open(Path.of("/var/backups/orders"));
 *      Secret passphrase = Secrets.fromFile(Path.of("/etc/orders/backup-passphrase"))) {
 *     RestoreDrill.builder(store, DecryptionKey.passphrase(passphrase))
 *         .expectFile("config/app.yml", knownSha256)                      // caller's own expectation
 *         .check("has invoices", dir -> assertThat(dir.resolve("invoices")).isNotEmptyDirectory())
 *         .build()
 *         .run()
 *         .orThrow();                                                     // fails the test with the report
 * }
 * }</pre>
 *
 * The drill stops at the first step that fails; the later ones are reported as skipped. Instances are immutable
 * and thread-safe; each {@link #run()} restores afresh.
 */
public final class RestoreDrill {

    private static final Logger log = LoggerFactory.getLogger(RestoreDrill.class);
    private static final int MAX_MISMATCHES_SHOWN = 5;

    /** A check of the restored data: throws (an {@link AssertionError}, any exception) when it is not right. */
    @FunctionalInterface
    public interface Check {
        /**
         * @param restored the restored directory (directory backups) or file (file and stream backups)
         */
        void check(Path restored) throws Exception;
    }

    /** How a step ended. */
    public enum Status {
        PASSED, FAILED, SKIPPED
    }

    /**
     * One step of the drill.
     *
     * @param name   what it did: {@code find backup}, {@code full verification}, {@code restore},
     *               {@code content}, {@code expectations}, or a check's name
     * @param status passed, failed, or skipped after an earlier failure
     * @param took   how long it took (zero when skipped)
     * @param detail what it found; for a failure, why
     */
    public record Step(String name, Status status, Duration took, String detail) {
    }

    /**
     * What a drill found. {@link #orThrow()} makes it a test's verdict.
     *
     * @param store    the store's location
     * @param backupId the backup drilled; empty if none was found
     * @param steps    every step, in order
     * @param restored where the data was restored to, if it was kept
     */
    public record Report(String store, Optional<String> backupId, List<Step> steps, Optional<Path> restored) {
        public Report {
            steps = List.copyOf(steps);
        }

        /** Whether every step passed. */
        public boolean passed() {
            return steps.stream().allMatch(s -> s.status() == Status.PASSED);
        }

        /** The first step that failed. */
        public Optional<Step> failedStep() {
            return steps.stream().filter(s -> s.status() == Status.FAILED).findFirst();
        }

        /** How long the restore took: what a real recovery of this backup would take, at least. */
        public Optional<Duration> restoreTime() {
            return steps.stream().filter(s -> s.name().equals("restore") && s.status() == Status.PASSED)
                .map(Step::took).findFirst();
        }

        /** One line for the verdict, then one line per step. */
        public String summary() {
            StringBuilder text = new StringBuilder(headline());
            for (Step step : steps) {
                text.append(String.format(Locale.ROOT, "%n  %-18s %-7s %6d ms  %s", step.name(),
                    step.status().name().toLowerCase(Locale.ROOT), step.took().toMillis(), step.detail()));
            }
            return text.toString();
        }

        private String headline() {
            String what = "Restore drill of backup " + backupId.orElse("(none)") + " from " + store;
            return failedStep().map(s -> what + " FAILED at " + s.name() + ": " + s.detail())
                .orElse(what + " passed");
        }

        /**
         * This report if the drill passed.
         *
         * @throws AssertionError with the {@link #summary()} as its message, if a step failed (JUnit reports it
         *                        as a test failure)
         */
        public Report orThrow() {
            if (!passed()) {
                throw new AssertionError(summary());
            }
            return this;
        }

        @Override
        public String toString() {
            return summary();
        }
    }

    private final BackupStore store;
    private final DecryptionKey key;
    private final Optional<String> backupId;
    private final Map<String, String> expectedSha256;
    private final Map<String, Check> checks;
    private final Path scratch;
    private final boolean keepRestored;

    private RestoreDrill(Builder b) {
        this.store = b.store;
        this.key = b.key;
        this.backupId = Optional.ofNullable(b.backupId);
        this.expectedSha256 = Map.copyOf(b.expectedSha256);
        this.checks = new LinkedHashMap<>(b.checks);
        this.scratch = b.scratch;
        this.keepRestored = b.keepRestored;
    }

    /**
     * A builder for drills of the backups in {@code store}, opened with {@code key} (the caller keeps the key's
     * secret and closes it).
     */
    public static Builder builder(BackupStore store, DecryptionKey key) {
        return new Builder(store, key);
    }

    /** Runs the drill. Never throws for what it finds: failures are in the report. */
    public Report run() {
        // An engine without encryption: it only reads, verifies and restores.
        BackupEngine engine = BackupEngine.builder(store).name("restore-drill").build();
        List<Step> steps = new ArrayList<>();
        List<String> pending = new ArrayList<>(List.of("find backup", "full verification", "restore", "content"));
        if (!expectedSha256.isEmpty()) {
            pending.add("expectations");
        }
        pending.addAll(checks.keySet());

        String id = null;
        Path directory = null;
        Path restored = null;
        try {
            // find backup
            long start = System.nanoTime();
            BackupManifest manifest;
            try {
                if (backupId.isPresent()) {
                    manifest = engine.manifest(backupId.get());
                } else {
                    List<BackupInfo> all = engine.list();
                    if (all.isEmpty()) {
                        return fail(steps, pending, "find backup", start, "the store holds no complete backup", null,
                            null);
                    }
                    // a listing holds summaries; the whole manifest, with every entry, is read by id
                    manifest = engine.manifest(all.get(all.size() - 1).id());
                }
            } catch (RuntimeException e) {
                return fail(steps, pending, "find backup", start, e.getMessage(), null, null);
            }
            id = manifest.id();
            pass(steps, pending, "find backup", start, (backupId.isPresent() ? "" : "newest, ") + "taken "
                + manifest.startedAt() + ", " + manifest.sourceKind().name().toLowerCase(Locale.ROOT) + " "
                + manifest.sourceName() + ", " + manifest.plaintextBytes() + " bytes");

            // full verification: decrypts everything and checks every checksum, writing nothing
            start = System.nanoTime();
            VerificationResult verification;
            try {
                verification = engine.verify(id, key);
            } catch (RuntimeException e) {
                return fail(steps, pending, "full verification", start, e.getMessage(), id, null);
            }
            if (!verification.passed()) {
                return fail(steps, pending, "full verification", start, "check '"
                    + verification.failedCheck().orElse("?") + "' failed: "
                    + verification.failure().map(Throwable::getMessage).orElse("no reason given"), id, null);
            }
            pass(steps, pending, "full verification", start, verification.entries() + " entries, "
                + verification.ciphertextBytes() + " bytes stored");

            // restore into a directory only this user can read (createTempDirectory makes it 0700)
            start = System.nanoTime();
            try {
                directory = Files.createTempDirectory(scratch, "restore-drill-");
                restored = directory.resolve("restored");
                RestoreResult result = engine.restore(id, key, restored);
                pass(steps, pending, "restore", start, result.plaintextBytes() + " bytes, " + result.entries()
                    + " entries into " + (keepRestored ? restored : "a temporary directory"));
            } catch (IOException | RuntimeException e) {
                return fail(steps, pending, "restore", start, e.getMessage(), id, directory);
            }

            // content against the manifest
            start = System.nanoTime();
            List<String> mismatches;
            try {
                mismatches = manifest.sourceKind() == SourceKind.DIRECTORY
                    ? compareDirectory(manifest, restored) : compareFile(manifest, restored);
            } catch (IOException | UncheckedIOException e) {
                return fail(steps, pending, "content", start, "reading what was restored failed: " + e.getMessage(),
                    id, directory);
            }
            if (!mismatches.isEmpty()) {
                return fail(steps, pending, "content", start, describe(mismatches), id, directory);
            }
            pass(steps, pending, "content", start, manifest.sourceKind() == SourceKind.DIRECTORY
                ? manifest.entries().size() + " entries match the manifest"
                : "SHA-256 matches the manifest");

            // the caller's expectations
            if (!expectedSha256.isEmpty()) {
                start = System.nanoTime();
                List<String> wrong = new ArrayList<>();
                for (Map.Entry<String, String> expected : new TreeMap<>(expectedSha256).entrySet()) {
                    Path file = manifest.sourceKind() == SourceKind.DIRECTORY
                        ? restored.resolve(expected.getKey()) : restored;
                    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                        wrong.add(expected.getKey() + ": missing");
                        continue;
                    }
                    try {
                        String actual = sha256(file);
                        if (!actual.equals(expected.getValue())) {
                            wrong.add(expected.getKey() + ": SHA-256 " + actual + ", expected " + expected.getValue());
                        }
                    } catch (IOException e) {
                        wrong.add(expected.getKey() + ": unreadable (" + e.getMessage() + ")");
                    }
                }
                if (!wrong.isEmpty()) {
                    return fail(steps, pending, "expectations", start, describe(wrong), id, directory);
                }
                pass(steps, pending, "expectations", start, expectedSha256.size() + " files as expected");
            }

            // the caller's checks
            for (Map.Entry<String, Check> check : checks.entrySet()) {
                start = System.nanoTime();
                try {
                    check.getValue().check(restored);
                } catch (Exception | AssertionError e) {
                    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
                    return fail(steps, pending, check.getKey(), start, why, id, directory);
                }
                pass(steps, pending, check.getKey(), start, "passed");
            }
            return finish(steps, id, directory);
        } finally {
            if (directory != null && !keepRestored) {
                deleteQuietly(directory);
            }
        }
    }

    private void pass(List<Step> steps, List<String> pending, String name, long start, String detail) {
        pending.remove(name);
        steps.add(new Step(name, Status.PASSED, Duration.ofNanos(System.nanoTime() - start), detail));
    }

    private Report fail(List<Step> steps, List<String> pending, String name, long start, String detail, String id,
                        Path directory) {
        pending.remove(name);
        steps.add(new Step(name, Status.FAILED, Duration.ofNanos(System.nanoTime() - start),
            detail == null ? "no reason given" : detail));
        for (String skipped : pending) {
            steps.add(new Step(skipped, Status.SKIPPED, Duration.ZERO, "not run after the failure"));
        }
        return finish(steps, id, directory);
    }

    private Report finish(List<Step> steps, String id, Path directory) {
        Report report = new Report(store.location(), Optional.ofNullable(id), steps,
            keepRestored && directory != null ? Optional.of(directory.resolve("restored")) : Optional.empty());
        if (report.passed()) {
            log.info("{}", report.headline());
        } else {
            log.warn("{}", report.headline());
        }
        return report;
    }

    /** For a file or stream backup: the restored file's size and SHA-256 are the plaintext's. */
    private static List<String> compareFile(BackupManifest manifest, Path restored) throws IOException {
        List<String> mismatches = new ArrayList<>();
        long size = Files.size(restored);
        if (size != manifest.plaintextBytes()) {
            mismatches.add("size " + size + ", manifest " + manifest.plaintextBytes());
        }
        String sha = sha256(restored);
        if (!sha.equals(manifest.plaintextSha256())) {
            mismatches.add("SHA-256 " + sha + ", manifest " + manifest.plaintextSha256());
        }
        return mismatches;
    }

    /** For a directory backup: every entry is there as recorded, and nothing else is. */
    private static List<String> compareDirectory(BackupManifest manifest, Path restored) throws IOException {
        List<String> mismatches = new ArrayList<>();
        TreeSet<String> found = new TreeSet<>();
        Files.walkFileTree(restored, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(restored)) {
                    found.add(relative(restored, dir));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                found.add(relative(restored, file));
                return FileVisitResult.CONTINUE;
            }
        });
        for (ManifestEntry entry : manifest.entries()) {
            if (entry.path().isEmpty() || entry.path().equals(".")) {
                continue;
            }
            Path path = restored.resolve(entry.path());
            found.remove(entry.path());
            switch (entry.type()) {
                case FILE -> {
                    if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                        mismatches.add(entry.path() + ": missing");
                    } else if (Files.size(path) != entry.size()) {
                        mismatches.add(entry.path() + ": size " + Files.size(path) + ", manifest " + entry.size());
                    } else if (!sha256(path).equals(entry.sha256().orElse(""))) {
                        mismatches.add(entry.path() + ": SHA-256 differs from the manifest's");
                    }
                }
                case DIRECTORY -> {
                    if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                        mismatches.add(entry.path() + ": directory missing");
                    }
                }
                case SYMLINK -> {
                    if (!Files.isSymbolicLink(path)) {
                        mismatches.add(entry.path() + ": link missing");
                    } else if (!Files.readSymbolicLink(path).toString().equals(entry.linkTarget().orElse(""))) {
                        mismatches.add(entry.path() + ": link points elsewhere");
                    }
                }
            }
        }
        for (String extra : found) {
            mismatches.add(extra + ": not in the manifest");
        }
        return mismatches;
    }

    private static String relative(Path root, Path path) {
        return root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
    }

    private static String describe(List<String> problems) {
        List<String> shown = problems.subList(0, Math.min(problems.size(), MAX_MISMATCHES_SHOWN));
        return String.join("; ", shown) + (problems.size() > shown.size()
            ? "; and " + (problems.size() - shown.size()) + " more" : "");
    }

    /** SHA-256 of a file, lowercase hex, as {@code sha256sum} prints it. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void deleteQuietly(Path directory) {
        try {
            Files.walkFileTree(directory, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("Restore drill: could not remove {}: {}", directory, e.getMessage());
        }
    }

    /** Builds a {@link RestoreDrill}. Not thread-safe. */
    public static final class Builder {
        private final BackupStore store;
        private final DecryptionKey key;
        private String backupId;
        private final Map<String, String> expectedSha256 = new LinkedHashMap<>();
        private final Map<String, Check> checks = new LinkedHashMap<>();
        private Path scratch = Path.of(System.getProperty("java.io.tmpdir"));
        private boolean keepRestored;

        private Builder(BackupStore store, DecryptionKey key) {
            this.store = Objects.requireNonNull(store, "store");
            this.key = Objects.requireNonNull(key, "key");
        }

        /** Drill this backup; the newest in the store unless set. */
        public Builder backupId(String id) {
            this.backupId = Objects.requireNonNull(id, "id");
            return this;
        }

        /**
         * Expect the restored file {@code path} (relative, with {@code /}; for file and stream backups, any name:
         * the restored file itself) to have this SHA-256, lowercase hex as {@code sha256sum} prints it: the
         * caller's own knowledge of the data, independent of the manifest.
         */
        public Builder expectFile(String path, String sha256) {
            Objects.requireNonNull(path, "path");
            if (!Objects.requireNonNull(sha256, "sha256").matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits, but was " + sha256);
            }
            expectedSha256.put(path, sha256);
            return this;
        }

        /** Run {@code check} on the restored data, after the built-in steps; {@code name} names it in the report. */
        public Builder check(String name, Check check) {
            if (Objects.requireNonNull(name, "name").isBlank() || checks.containsKey(name)) {
                throw new IllegalArgumentException("a check needs a name of its own, but was '" + name + "'");
            }
            checks.put(name, Objects.requireNonNull(check, "check"));
            return this;
        }

        /** Where the temporary directory is made; the system's temporary directory unless set. */
        public Builder scratchDirectory(Path directory) {
            this.scratch = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** Keep the restored data after the drill (its path is in the report), to look at it; default false. */
        public Builder keepRestored(boolean keep) {
            this.keepRestored = keep;
            return this;
        }

        public RestoreDrill build() {
            return new RestoreDrill(this);
        }
    }
}
