package dev.drkit.backup;

import dev.drkit.backup.internal.BackupIds;
import dev.drkit.backup.internal.Digests;
import dev.drkit.backup.internal.JsonLines;
import dev.drkit.backup.internal.PartedDecryptingStream;
import dev.drkit.backup.internal.PartedEncryptingStream;
import dev.drkit.backup.internal.RecordingStreams;
import dev.drkit.backup.internal.SafePaths;
import dev.drkit.backup.internal.SyncingFileOutputStream;
import dev.drkit.backup.internal.TarArchiver;
import dev.drkit.backup.internal.WriteBehindOutputStream;
import dev.drkit.backup.internal.store.Leftovers;
import dev.drkit.backup.internal.store.LocalFiles;
import dev.drkit.backup.retention.Backup;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.NoSuchBackupException;
import dev.drkit.backup.store.PendingBackup;
import dev.drkit.backup.store.StoreLockedException;
import dev.drkit.backup.store.StoreUnavailableException;
import dev.drkit.core.internal.Names;
import dev.drkit.core.internal.Procfs;
import dev.drkit.core.internal.Text;
import dev.drkit.core.secret.Secret;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Makes, lists, verifies and restores encrypted backups in a {@link BackupStore}.
 *
 * <pre>{@code
 * BackupEngine engine = BackupEngine.builder(store)
 *     .encryption(Encryption.passphrase(passphrase))
 *     .label("app", "vault")
 *     .eventLog(Path.of("/var/log/drkit/events.jsonl"))
 *     .verificationHistory(Path.of("/var/log/drkit/verifications.jsonl"))
 *     .meterRegistry(registry)
 *     .build();
 *
 * BackupInfo info = engine.backup(BackupSource.directory(Path.of("/etc/vault")));
 * engine.verify(info.id()).orThrow();                                        // quick: no key needed
 * engine.verify(info.id(), DecryptionKey.passphrase(passphrase)).orThrow();  // full
 * engine.restore(info.id(), DecryptionKey.passphrase(passphrase), Path.of("/tmp/vault-check"));
 * }</pre>
 *
 * <p><b>Backup</b> reads the source once, compresses, encrypts and hashes it in one streaming pass (memory stays
 * bounded whatever the size), writes {@value BackupManifest#DATA_OBJECT_NAME}, then
 * {@value BackupManifest#OBJECT_NAME}, then commits: the backup is listed only once complete, and a backup that
 * fails at any point (the source throws, the store fails) leaves nothing listed. With
 * {@link Builder#partBytes(int)} the compressed stream is cut into parts ({@code data.00000.pgp}, ...), each its own
 * OpenPGP message, encrypted by several threads at once; the manifest lists them (format
 * {@value BackupManifest#FORMAT_VERSION_PARTS}). A directory whose entries would take more than 8 MiB of the
 * manifest (about 40,000 entries) has them written to
 * {@value BackupManifest#ENTRIES_OBJECT_NAME} instead (format {@value BackupManifest#FORMAT_VERSION_ENTRIES}), kept
 * in a temporary file while the data is written ({@link Builder#temporaryDirectory(Path)}). Engines read every
 * layout whatever they write.
 *
 * <p><b>Restore</b> verifies while it streams and writes beside the target (a hidden temporary name in the same
 * directory); only after every check has passed (manifest HMAC, OpenPGP integrity, zstd checksum, plaintext
 * SHA-256, and for directories every entry and the set of entries) is the result swapped in, and what it replaces
 * is kept as {@code <target>.pre-restore-<time>}. Recorded permission bits and modification times are restored;
 * owners are not.
 *
 * <p><b>Verify</b> is quick (no key) or full (with the key, writing nothing); results are returned, not thrown,
 * and appended to the verification history.
 *
 * <p>Metrics (when a registry is set), all tagged {@code engine=<name>}: {@code drkit.backup.operation} (timer;
 * {@code operation=backup|restore|verify.quick|verify.full|rotate|delete}, {@code outcome=success|failure}; a
 * rotation, not a dry run, fails when a manifest cannot be read or a deletion failed, and each deletion it makes
 * is one {@code delete}), {@code drkit.backup.bytes} (counter, bytes; {@code operation},
 * {@code side=plaintext|ciphertext}; for {@code delete}, the stored bytes freed),
 * {@code drkit.backup.newest.age} (time gauge: age of the newest backup this engine made) and
 * {@code drkit.backup.verified.newest.age} (time gauge: age of the newest backup that passed verification).
 * Both gauges are NaN until there is such a backup; the engine must stay strongly referenced for them.
 *
 * <p>Instances are thread-safe: their configuration is fixed at build time, and listeners may be added later
 * ({@link #onEvent}). Concurrent backups to one store are serialized by the store's writer lock. The builder is not
 * thread-safe.
 *
 * @since 0.1
 */
public final class BackupEngine {

    /** The engine name used when none is set: {@value}. */
    public static final String DEFAULT_NAME = "default";
    /** A good part size for {@link Builder#partBytes(int)}: {@value} bytes (4 MiB). */
    public static final int DEFAULT_PART_BYTES = 4 * 1024 * 1024;
    /** The smallest part size: {@value} bytes. */
    public static final int MIN_PART_BYTES = 1024;
    /** The largest part size: {@value} bytes (64 MiB). */
    public static final int MAX_PART_BYTES = 64 * 1024 * 1024;
    /** The memory the default number of threads keeps parts in flight within: {@value} bytes (32 MiB). */
    public static final int PART_MEMORY_BUDGET = 32 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(BackupEngine.class);
    /** Held while a restore swaps its result in: see {@link #swap}. */
    private static final Object SWAPS = new Object();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final BackupStore store;
    private final @Nullable Encryption encryption;
    private final Compression compression;
    private final SortedMap<String, String> labels;
    private final Clock clock;
    private final @Nullable MeterRegistry meters;
    private final @Nullable Path eventLog;
    private final @Nullable Path verificationHistory;
    private final int partBytes;
    private final int threads;
    private final boolean explicitThreads;
    private final int compressionThreads;
    private final long manifestLimit;
    private final int entryLimit;
    private final Path temporaryDirectory;
    private final List<Consumer<BackupEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicReference<@Nullable Instant> newestBackup = new AtomicReference<>();
    private final AtomicReference<@Nullable Instant> newestVerified = new AtomicReference<>();

    private BackupEngine(Builder builder) {
        this.name = builder.name;
        this.store = builder.store;
        this.encryption = builder.encryption;
        this.compression = builder.compression;
        this.labels = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(builder.labels));
        this.clock = builder.clock;
        this.meters = builder.meters;
        this.eventLog = builder.eventLog;
        this.verificationHistory = builder.verificationHistory;
        this.partBytes = builder.partBytes;
        this.threads = builder.threads > 0 ? builder.threads : defaultThreads(builder.partBytes);
        this.compressionThreads = builder.compressionThreads;
        this.manifestLimit = builder.manifestLimit;
        this.entryLimit = builder.entryLimit;
        this.temporaryDirectory = builder.temporaryDirectory != null ? builder.temporaryDirectory
            : Path.of(System.getProperty("java.io.tmpdir"));
        this.explicitThreads = builder.threads > 0;
        this.listeners.addAll(builder.listeners);
        if (verificationHistory != null) {
            newestVerified.set(newestVerifiedIn(verificationHistory));
        }
        if (meters != null) {
            TimeGauge.builder("drkit.backup.newest.age", this, TimeUnit.SECONDS,
                    engine -> engine.ageSeconds(engine.newestBackup.get()))
                .description("Age of the newest backup this engine made")
                .tag("engine", name)
                .register(meters);
            TimeGauge.builder("drkit.backup.verified.newest.age", this, TimeUnit.SECONDS,
                    engine -> engine.ageSeconds(engine.newestVerified.get()))
                .description("Age of the newest backup that passed verification")
                .tag("engine", name)
                .register(meters);
        }
    }

    /** A builder for an engine over {@code store}. */
    public static Builder builder(BackupStore store) {
        return new Builder(store);
    }

    /** The engine's name, used in metrics, events and logs. */
    public String name() {
        return name;
    }

    /** The store. */
    public BackupStore store() {
        return store;
    }

    /** How this engine compresses backups. */
    public Compression compression() {
        return compression;
    }

    /** Adds a listener called after every backup, restore and verification; a listener that throws is logged. */
    public BackupEngine onEvent(Consumer<BackupEvent> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    // ------------------------------------------------------------------ backup

    /**
     * Backs up {@code source}.
     *
     * @return what was stored
     * @throws IllegalStateException   if the engine has no {@link Builder#encryption(Encryption)}
     * @throws BackupIoException       if the source cannot be read or the store cannot be written
     * @throws SourceChangedException  if a file changed while it was read
     * @throws ManifestTooLargeException if a directory has more than {@link BackupManifest#MAX_ENTRIES} entries;
     *                                   nothing is kept
     * @throws RuntimeException        whatever a stream source's supplier or stream threw, unchanged
     */
    public BackupInfo backup(BackupSource source) {
        Objects.requireNonNull(source, "source");
        if (encryption == null) {
            throw new IllegalStateException("BackupEngine '" + name + "' has no encryption set; "
                + "set BackupEngine.Builder.encryption(...) to make backups");
        }
        long start = System.nanoTime();
        Instant startedAt = clock.instant();
        String id = BackupIds.next(startedAt);
        try {
            BackupManifest manifest = write(id, startedAt, source, encryption);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            newestBackup.accumulateAndGet(manifest.finishedAt(), BackupEngine::later);
            count("backup", "plaintext", manifest.plaintextBytes());
            count("backup", "ciphertext", manifest.ciphertextBytes());
            record("backup", true, took);
            Map<String, String> details = new LinkedHashMap<>();
            details.put("source", source.kind().name().toLowerCase(java.util.Locale.ROOT) + ":" + source.name());
            details.put("plaintextBytes", Long.toString(manifest.plaintextBytes()));
            details.put("ciphertextBytes", Long.toString(manifest.ciphertextBytes()));
            emit(BackupEvent.Type.BACKUP, true, id, took, details);
            log.info("BackupEngine '{}': backup {} of {} complete: {} bytes, {} stored, in {} ms", name, id, source,
                manifest.plaintextBytes(), manifest.ciphertextBytes(), took.toMillis());
            return manifest.info();
        } catch (RuntimeException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            record("backup", false, took);
            emit(BackupEvent.Type.BACKUP, false, id, took, Map.of("source",
                source.kind().name().toLowerCase(java.util.Locale.ROOT) + ":" + source.name(), "error", message(e)));
            throw e;
        }
    }

    private BackupManifest write(String id, Instant startedAt, BackupSource source, Encryption encryption) {
        BackupManifest.Fields fields = new BackupManifest.Fields();
        fields.id = id;
        fields.startedAt = startedAt;
        fields.sourceKind = source.kind();
        fields.sourceName = source.name();
        fields.labels = labels;
        fields.compression = compression;
        if (encryption instanceof PassphraseEncryption) {
            fields.encryptionMode = BackupManifest.MODE_PASSPHRASE;
            fields.s2kBytes = ((PassphraseEncryption) encryption).s2kBytes();
        } else {
            RecipientEncryption recipients = (RecipientEncryption) encryption;
            fields.encryptionMode = BackupManifest.MODE_RECIPIENTS;
            fields.recipients = recipients.fingerprints();
            recipients.passphrase().ifPresent(p -> fields.s2kBytes = p.s2kBytes());
        }
        PosixFileAttributes rootAttributes = checkSource(id, source);
        if (rootAttributes != null) {
            fields.sourceMode = TarArchiver.mode(rootAttributes.permissions());
            fields.sourceMtime = rootAttributes.lastModifiedTime().toInstant();
        }
        if (partBytes > 0) {
            return writeParts(id, source, rootAttributes, encryption, fields);
        }
        boolean storePhase = true;
        RecordingStreams.Output sink = null;
        try (PendingBackup pending = store.begin(id);
             EntrySpool entries = entrySpool(id, source, false)) {
            sink = RecordingStreams.output(pending.create(BackupManifest.DATA_OBJECT_NAME));
            EncryptingStream out = BackupPipeline.encryptingStream(sink, pipelineSettings(encryption));
            try (Secret manifestKey = out.manifestKey()) {
                try {
                    storePhase = false;
                    copySource(source, rootAttributes, out, entries);
                    fields.labels = source.labelsAfterRead(labels);
                    storePhase = true;
                    out.close();
                } finally {
                    closeQuietly(out);
                }
                PipelineSummary summary = out.summary();
                fields.finishedAt = later(clock.instant(), startedAt);
                fields.plaintextBytes = summary.plaintextBytes();
                fields.plaintextSha256 = summary.plaintextSha256();
                fields.ciphertextBytes = summary.ciphertextBytes();
                fields.ciphertextSha256 = summary.ciphertextSha256();
                placeEntries(fields, entries, pending);
                BackupManifest manifest;
                try (OutputStream manifestOut = pending.create(BackupManifest.OBJECT_NAME)) {
                    manifest = ManifestFormat.sealTo(fields, manifestKey, manifestLimit, manifestOut);
                }
                commit(pending, id);
                return manifest;
            }
        } catch (IOException e) {
            if (storePhase || (sink != null && sink.threw(e))) {
                throw new BackupIoException("Backup " + id + " to store " + store.location() + " failed: the store "
                    + "could not be written (" + describe(e) + "); nothing was kept",
                    context("backup", id, "store", store.location()), e);
            }
            throw new BackupIoException("Backup " + id + " of " + source + " failed: the source could not be read ("
                + describe(e) + "); nothing was kept", context("backup", id, "source", source.name()), e);
        }
    }

    /**
     * Commits the backup. A store can fail after the backup became visible (a directory sync after the rename, a
     * lost response to the S3 commit marker's put): then the failure must not say that nothing was kept.
     */
    private void commit(PendingBackup pending, String id) throws IOException {
        try {
            pending.commit();
        } catch (IOException | StoreUnavailableException e) {
            boolean listed;
            try {
                listed = store.list().contains(id);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
                throw e;
            }
            if (!listed) {
                throw e;
            }
            throw new BackupIoException("Backup " + id + " to store " + store.location() + " is complete and listed,"
                + " but the store failed as it committed it (" + describe(e) + "): it may not survive a crash of the"
                + " store's host; verify it, or take another backup", context("backup", id, "store",
                store.location()), e);
        }
    }

    /** As {@link #write}, with the compressed stream cut into parts encrypted in parallel (manifest format 2). */
    private BackupManifest writeParts(String id, BackupSource source, @Nullable PosixFileAttributes rootAttributes,
                                      Encryption encryption, BackupManifest.Fields fields) {
        boolean storePhase = true;
        PartedEncryptingStream out = null;
        try (PendingBackup pending = store.begin(id);
             EntrySpool entries = entrySpool(id, source, true)) {
            out = PartedEncryptingStream.open(pipelineSettings(encryption), pending::create, partBytes, threads);
            try {
                storePhase = false;
                copySource(source, rootAttributes, out, entries);
                fields.labels = source.labelsAfterRead(labels);
                storePhase = true;
                out.close();
            } finally {
                closeQuietly(out);
            }
            PipelineSummary summary = out.summary();
            fields.finishedAt = later(clock.instant(), fields.startedAt);
            fields.plaintextBytes = summary.plaintextBytes();
            fields.plaintextSha256 = summary.plaintextSha256();
            fields.ciphertextBytes = summary.ciphertextBytes();
            fields.ciphertextSha256 = summary.ciphertextSha256();
            fields.parts = out.parts();
            placeEntries(fields, entries, pending);
            BackupManifest manifest;
            try (Secret manifestKey = out.manifestKey();
                 OutputStream manifestOut = pending.create(BackupManifest.OBJECT_NAME)) {
                manifest = ManifestFormat.sealTo(fields, manifestKey, manifestLimit, manifestOut);
            }
            commit(pending, id);
            return manifest;
        } catch (IOException e) {
            if (storePhase || (out != null && out.storeThrew(e))) {
                throw new BackupIoException("Backup " + id + " to store " + store.location() + " failed: the store "
                    + "could not be written (" + describe(e) + "); nothing was kept",
                    context("backup", id, "store", store.location()), e);
            }
            throw new BackupIoException("Backup " + id + " of " + source + " failed: the source could not be read ("
                + describe(e) + "); nothing was kept", context("backup", id, "source", source.name()), e);
        }
    }

    private @Nullable PosixFileAttributes checkSource(String id, BackupSource source) {
        if (source.kind() == SourceKind.STREAM) {
            return null;
        }
        Path path = source.path().orElseThrow();
        PosixFileAttributes attributes;
        try {
            // The path the user named may be a link; entries inside a directory are never followed.
            attributes = Files.readAttributes(path, PosixFileAttributes.class);
        } catch (IOException e) {
            throw new BackupIoException("Backup source " + path + " cannot be read (" + describe(e) + ")",
                context("backup", id, "source", source.name()), e);
        }
        boolean ok = source.kind() == SourceKind.FILE ? attributes.isRegularFile() : attributes.isDirectory();
        if (!ok) {
            throw new BackupIoException("Backup source " + path + " is not a "
                + (source.kind() == SourceKind.FILE ? "regular file" : "directory"),
                context("backup", id, "source", source.name()), null);
        }
        return attributes;
    }

    /**
     * The most bytes a directory's entries may take in its manifest: about 40,000 entries, held in memory while the
     * data is written (about 10 MiB of heap). A tree with more keeps them in
     * {@value BackupManifest#ENTRIES_OBJECT_NAME} (format {@value BackupManifest#FORMAT_VERSION_ENTRIES}), so that
     * a backup's heap stays within 64 MiB whatever the tree, beside the pipeline's own buffers.
     */
    static final long INLINE_ENTRY_BYTES = 8L << 20;

    /**
     * The spool of a directory backup's entries: in memory while they fit in {@link #INLINE_ENTRY_BYTES} and
     * {@link Builder#manifestLimit}, then in a temporary file, so that the heap does not grow with the tree.
     */
    private EntrySpool entrySpool(String id, BackupSource source, boolean parts) {
        return new EntrySpool(id, "directory " + SafePaths.printable(source.name()),
            Math.min(INLINE_ENTRY_BYTES, manifestLimit - ManifestFormat.overhead(parts)), entryLimit,
            temporaryDirectory);
    }

    /** Copies the source into {@code out}; a directory's entries go to {@code entries} as they are archived. */
    private static void copySource(BackupSource source, @Nullable PosixFileAttributes attributes, OutputStream out,
                                   EntrySpool entries) throws IOException {
        switch (source.kind()) {
            case DIRECTORY:
                TarArchiver.write(source.path().orElseThrow(), out, entries::add);
                break;
            case FILE:
                Path file = source.path().orElseThrow().toRealPath();
                TarArchiver.copyFile(file, Objects.requireNonNull(attributes), out, new byte[64 * 1024]);
                break;
            default:
                try (InputStream in = source.supplier().orElseThrow().open()) {
                    in.transferTo(out);
                }
        }
    }

    /**
     * Puts the entries in the manifest's fields, when the manifest can hold them ({@link Builder#manifestLimit});
     * else writes them as the backup's entries object (manifest format {@value BackupManifest#FORMAT_VERSION_ENTRIES}).
     */
    private void placeEntries(BackupManifest.Fields fields, EntrySpool entries, PendingBackup pending)
        throws IOException {
        List<ManifestEntry> inMemory = entries.inMemory();
        if (inMemory != null) {
            fields.entries = inMemory;
            if (inMemory.isEmpty() || ManifestFormat.inlineFileSize(fields, entries.inlineBytes()) <= manifestLimit) {
                return;
            }
        }
        fields.entriesObject = entries.writeObject(pending);
        fields.entryCount = entries.count();
        fields.entries = null;
    }

    // ------------------------------------------------------------------ list and manifests

    /**
     * The complete backups in the store, oldest first, from their manifests (whose checksums are checked).
     * Fails if any manifest cannot be read; {@link #listAll()} lists the others and names it instead.
     *
     * @throws ManifestException if a manifest is damaged or unreadable as a manifest
     * @throws BackupIoException if the store cannot be read
     */
    public List<BackupInfo> list() {
        BackupListing listing = listAll();
        if (!listing.complete()) {
            throw listing.unreadable().values().iterator().next();
        }
        return listing.backups();
    }

    /**
     * The complete backups in the store, oldest first, from their manifests (whose checksums are checked), and
     * the backups whose manifests cannot be read (damaged, foreign, too large), each with its failure and logged
     * as a warning. One bad manifest does not hide the other backups.
     *
     * @throws BackupIoException if the store cannot be read
     * @since 0.1
     */
    public BackupListing listAll() {
        List<String> ids;
        try {
            ids = store.list();
        } catch (IOException e) {
            throw storeUnreadable("list", null, e);
        }
        List<BackupInfo> infos = new ArrayList<>(ids.size());
        Map<String, BackupException> unreadable = new TreeMap<>();
        for (String id : ids) {
            try {
                infos.add(readManifest(id, false).info());
            } catch (NoSuchBackupException e) {
                // Deleted since the store was listed (a rotation running elsewhere) unless it is still listed: then
                // the backup is damaged and that is the caller's to know.
                if (listed(id)) {
                    unreadable.put(id, e);
                    log.warn("BackupEngine '{}': backup {} in {} cannot be read: {}", name, id, store.location(),
                        e.getMessage());
                } else {
                    log.debug("BackupEngine '{}': backup {} was deleted while the store was listed", name, id);
                }
            } catch (ManifestException e) {
                unreadable.put(id, e);
                log.warn("BackupEngine '{}': backup {} in {} cannot be read: {}", name, id, store.location(),
                    e.getMessage());
            }
        }
        // Ids sort by their start second only: two backups started in the same second sort by their random part.
        infos.sort(Comparator.comparing(BackupInfo::startedAt).thenComparing(BackupInfo::id));
        return new BackupListing(infos, unreadable);
    }

    // ------------------------------------------------------------------ retention

    /**
     * Applies a retention policy to the store, one series per source: the same as
     * {@link #rotate(RetentionPolicy, RotationOptions, boolean) rotate(policy, RotationOptions.defaults(), dryRun)}.
     *
     * @throws ManifestException if a manifest in the store cannot be read (nothing is deleted then)
     * @throws RotationResult.DeletionsFailedException if some backups could not be deleted (the others were)
     * @throws BackupIoException if the store cannot be read
     */
    public RotationResult rotate(RetentionPolicy policy, boolean dryRun) {
        return rotate(policy, RotationOptions.defaults(), dryRun);
    }

    /**
     * Applies a retention policy to the store: plans with {@code policy} at this engine's clock's current time,
     * then, unless {@code dryRun}, deletes each backup the plan marks, oldest first, under the store's writer
     * lock, each logged and recorded as a {@link BackupEvent.Type#DELETE} event with the bytes freed.
     *
     * <p>The backups {@code options} selects (by label; all by default) are split into series
     * ({@link RotationOptions#groupBy()}; by default one per source, see {@link BackupInfo#series()}), and each
     * series is planned on its own, as restic plans each group of snapshots: backups of one source never push out
     * those of another, and the plan never marks the newest backup of a series, nor its newest backup not dated
     * after now. A backup's time is when it started; its labels become tags {@code key=value} for
     * {@code keepTag} (labels that cannot be tags, such as values with spaces or commas, are left out).
     *
     * <p>The rotation logs a warning, and lists it in {@link RotationResult#warnings()}, for backups dated after
     * now (made by a host whose clock was wrong), for a keep-tag rule that matches none of the backups rotated
     * (such as {@code keepTag("pinned")}, which no label {@code key=value} can match), and for labels in
     * {@code options} that select none of the backups in the store.
     *
     * <p>A backup that cannot be deleted (the store refuses: an immutable directory, an S3 object lock) does not
     * stop the rotation: it stays, a failed {@code DELETE} event is recorded, and the others are still deleted;
     * then {@link RotationResult.DeletionsFailedException} is thrown, carrying the result with what was deleted
     * and what failed. Only when the store's writer lock cannot be had are the rest not tried (each would wait
     * for the lock in vain); they are reported as failed too.
     *
     * <p>If any manifest in the store cannot be read, nothing is planned or deleted: such a backup has no known
     * time, series or labels, so it could be the newest backup of any series, and the failure is thrown naming it.
     *
     * @throws ManifestException if a manifest in the store cannot be read (nothing is deleted then); the message
     *                           names every such backup
     * @throws RotationResult.DeletionsFailedException if some backups could not be deleted; the others were, and
     *                           {@link RotationResult.DeletionsFailedException#result()} says which (a
     *                           {@link BackupIoException}, exit code 3)
     * @throws BackupIoException if the store cannot be read
     * @since 0.1
     */
    public RotationResult rotate(RetentionPolicy policy, RotationOptions options, boolean dryRun) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(options, "options");
        long rotationStarted = System.nanoTime();
        BackupListing listing = listAll();
        if (!listing.complete()) {
            if (!dryRun) {
                record("rotate", false, Duration.ofNanos(System.nanoTime() - rotationStarted));
            }
            throw cannotRotate(listing);
        }
        List<Backup> backups = new ArrayList<>();
        for (BackupInfo info : listing.backups()) {
            if (!options.selects(info)) {
                continue;
            }
            Set<String> tags = new TreeSet<>();
            info.labels().forEach((key, value) -> {
                String tag = key + "=" + value;
                if (Backup.isValidTag(tag)) {
                    tags.add(tag);
                }
            });
            backups.add(Backup.of(info.id(), info.startedAt(), tags).inSeries(options.groupBy().seriesOf(info)));
        }
        RetentionPlan plan = policy.plan(backups, clock.instant());
        List<String> warnings = rotationWarnings(plan, options, listing.backups().size());
        for (String warning : warnings) {
            log.warn("BackupEngine '{}': rotating {}: {}", name, store.location(), warning);
        }
        if (dryRun) {
            return new RotationResult(plan, true, List.of(), Map.of(), 0, warnings);
        }
        List<Backup> doomed = new ArrayList<>(plan.toDelete());
        Collections.reverse(doomed);
        List<String> deleted = new ArrayList<>();
        Map<String, String> failed = new LinkedHashMap<>();
        List<Exception> failures = new ArrayList<>();
        String notTried = null;
        long freed = 0;
        for (Backup backup : doomed) {
            if (notTried != null) {
                failed.put(backup.id(), notTried);
                continue;
            }
            long started = System.nanoTime();
            long bytes;
            try {
                bytes = store.delete(backup.id());
            } catch (NoSuchBackupException e) {
                // another rotation of the store (an overlapping cron run) deleted it first, as this plan wanted
                log.info("BackupEngine '{}': backup {} was already deleted from {}", name, backup.id(),
                    store.location());
                continue;
            } catch (IOException | StoreUnavailableException | StoreLockedException e) {
                // One backup the store will not delete (an immutable directory, an S3 object lock) must not block
                // every later rotation: record it, and go on with the others.
                String reason = Text.oneLine(describe(e), 300);
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                record("delete", false, took);
                emit(BackupEvent.Type.DELETE, false, backup.id(), took, Map.of("error", reason));
                failed.put(backup.id(), reason);
                failures.add(e);
                log.warn("BackupEngine '{}': could not delete backup {} from {} ({}); it stays, and the rotation goes"
                    + " on", name, backup.id(), store.location(), reason);
                if (e instanceof StoreLockedException) {
                    // Another writer holds the lock: every other deletion would wait for it as long, in vain.
                    notTried = "not tried: the store's writer lock could not be had for " + backup.id();
                }
                continue;
            }
            freed += bytes;
            deleted.add(backup.id());
            log.info("BackupEngine '{}': deleted backup {} from {} ({} bytes freed; no retention rule keeps it)",
                name, backup.id(), store.location(), bytes);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            record("delete", true, took);
            count("delete", "ciphertext", bytes);
            emit(BackupEvent.Type.DELETE, true, backup.id(), took, Map.of("bytesFreed", Long.toString(bytes)));
        }
        record("rotate", failed.isEmpty(), Duration.ofNanos(System.nanoTime() - rotationStarted));
        RotationResult result = new RotationResult(plan, false, deleted, failed, freed, warnings);
        if (!failed.isEmpty()) {
            throw deletionsFailed(result, doomed.size(), failures);
        }
        return result;
    }

    /** The warnings of a rotation: backups dated after now, keep-tag rules matching nothing, an empty selection. */
    private static List<String> rotationWarnings(RetentionPlan plan, RotationOptions options, int inStore) {
        List<String> warnings = new ArrayList<>();
        List<Backup> future = plan.datedAfterNow();
        if (!future.isEmpty()) {
            warnings.add((future.size() == 1 ? "1 backup is" : future.size() + " backups are") + " dated after now ("
                + plan.now() + "): " + shortList(future.stream().map(b -> b.id() + " at " + b.time()).toList(), ", ")
                + "; the clock of the host that made " + (future.size() == 1 ? "it" : "them") + " was probably"
                + " wrong. Such a backup counts as the newest of its series (and for keep-last), so the newest"
                + " backup not dated in the future is kept as well");
        }
        if (!options.labels().isEmpty() && plan.decisions().isEmpty() && inStore > 0) {
            warnings.add("labels " + Text.oneLine(options.labels().toString(), 500) + " select none of the "
                + inStore + " backups in the store; nothing was rotated");
        }
        if (!plan.decisions().isEmpty()) {
            for (Set<String> rule : plan.policy().keepTags()) {
                boolean matches = plan.decisions().stream().anyMatch(d -> d.backup().tags().containsAll(rule));
                if (!matches) {
                    boolean labelLike = rule.stream().allMatch(tag -> tag.indexOf('=') > 0);
                    warnings.add("keep-tag rule '" + String.join(",", rule) + "' matches none of the "
                        + plan.decisions().size() + " backups rotated, so it keeps nothing; rotate matches a"
                        + " backup's labels as tags KEY=VALUE" + (labelLike
                        ? " (a label whose value has a comma or whitespace is no tag)" : ", such as pinned=yes"));
                }
            }
        }
        return warnings;
    }

    /** Up to five items, then how many more. */
    private static String shortList(List<String> items, String separator) {
        return String.join(separator, items.subList(0, Math.min(5, items.size())))
            + (items.size() > 5 ? " and " + (items.size() - 5) + " more" : "");
    }

    /** The failure of a rotation that could not delete some backups, carrying what it did. */
    private RotationResult.DeletionsFailedException deletionsFailed(RotationResult result, int marked,
                                                                    List<Exception> failures) {
        Map<String, String> failed = result.failed();
        List<String> which = new ArrayList<>();
        failed.forEach((id, reason) -> which.add(id + " (" + reason + ")"));
        Map<String, String> context = new LinkedHashMap<>();
        context.put("operation", "rotate");
        context.put("store", store.location());
        context.put("deleted", Integer.toString(result.deleted().size()));
        context.put("failed", String.join(",", failed.keySet()));
        RotationResult.DeletionsFailedException e = new RotationResult.DeletionsFailedException("Store "
            + store.location() + ": rotation could not delete " + failed.size() + " of " + marked + " backups the"
            + " plan marked, which stay for the next rotation to try: " + shortList(which, "; ")
            + "; " + result.deleted().size() + " deleted, " + result.bytesFreed() + " bytes freed",
            context, failures.get(0), result);
        failures.subList(1, failures.size()).forEach(e::addSuppressed);
        return e;
    }

    /** Why {@link #rotate} refuses a store with unreadable manifests, naming each. */
    private ManifestException cannotRotate(BackupListing listing) {
        Map.Entry<String, BackupException> first = listing.unreadable().entrySet().iterator().next();
        ManifestException.Reason reason = first.getValue() instanceof ManifestException
            ? ((ManifestException) first.getValue()).reason() : ManifestException.Reason.MALFORMED;
        int count = listing.unreadable().size();
        StringBuilder which = new StringBuilder();
        listing.unreadable().forEach((id, failure) -> {
            String message = String.valueOf(failure.getMessage());
            which.append(which.length() == 0 ? "" : "; ").append(message.contains(id) ? message : id + ": " + message);
        });
        String message = "Store " + store.location() + ": not rotating, nothing deleted: "
            + (count == 1 ? "1 backup cannot be read, so its" : count + " backups cannot be read, so their")
            + " time and series are unknown and no series' plan can be trusted (" + which + "). Check with drkit"
            + " verify, then restore the manifest or move the backup out of the store";
        return new ManifestException(reason, first.getKey(), message, first.getValue());
    }

    /**
     * The manifest of backup {@code id}, its checksum checked (not its authenticity, which needs the key), with
     * its entries: for a backup of format {@value BackupManifest#FORMAT_VERSION_ENTRIES} read from
     * {@value BackupManifest#ENTRIES_OBJECT_NAME}, whose size, SHA-256 and every line are checked against it.
     *
     * @throws dev.drkit.backup.store.NoSuchBackupException if there is no such complete backup
     * @throws ManifestException if the manifest is damaged, too large, of another format or another backup's
     * @throws BackupIoException if the store cannot be read
     */
    public BackupManifest manifest(String id) {
        return readManifest(Objects.requireNonNull(id, "id"), true);
    }

    /**
     * The summary of backup {@code id}: its manifest without its entries ({@link BackupManifest#hasEntries()}
     * false), as {@link #list()} gives it, its checksum checked. Reads only the manifest, so it costs little
     * however many entries a directory backup has.
     *
     * @throws dev.drkit.backup.store.NoSuchBackupException if there is no such complete backup
     * @throws ManifestException if the manifest is damaged, too large, of another format or another backup's
     * @throws BackupIoException if the store cannot be read
     */
    public BackupInfo info(String id) {
        return readManifest(Objects.requireNonNull(id, "id"), false).info();
    }

    /** {@link #manifest(String)}, or without {@code keepEntries} its summary (checked alike, entries counted). */
    private BackupManifest readManifest(String id, boolean keepEntries) {
        return readManifest(id, keepEntries, keepEntries);
    }

    /**
     * As {@link #readManifest(String, boolean)}; with {@code readEntriesObject} a format
     * {@value BackupManifest#FORMAT_VERSION_ENTRIES} manifest's entries object is read and checked, and kept only
     * with {@code keepEntries}.
     */
    private BackupManifest readManifest(String id, boolean keepEntries, boolean readEntriesObject) {
        try {
            long size = store.size(id, BackupManifest.OBJECT_NAME);
            if (size > BackupManifest.MAX_BYTES) {
                throw new ManifestException(ManifestException.Reason.TOO_LARGE, id, "Manifest of backup " + id
                    + " is " + size + " bytes, more than the limit of " + BackupManifest.MAX_BYTES, null);
            }
            byte[] bytes;
            try (InputStream in = store.open(id, BackupManifest.OBJECT_NAME)) {
                bytes = readObject(in, size);
            }
            BackupManifest manifest = ManifestFormat.parse(bytes, id, keepEntries || readEntriesObject);
            if (!readEntriesObject || manifest.entriesObject().isEmpty()) {
                return manifest;
            }
            if (!keepEntries) {
                forEachStoredEntry(manifest, entry -> { });
                return manifest;
            }
            return withStoredEntries(manifest);
        } catch (IOException e) {
            throw storeUnreadable("read", id, e);
        }
    }

    /** {@code manifest} (format {@value BackupManifest#FORMAT_VERSION_ENTRIES}) with its entries object read in. */
    private BackupManifest withStoredEntries(BackupManifest manifest) {
        List<ManifestEntry> entries = new ArrayList<>(Math.min(manifest.entryCount(), 1 << 16));
        forEachStoredEntry(manifest, entries::add);
        return manifest.withEntries(entries);
    }

    /**
     * Reads and checks the entries object of {@code manifest} (format {@value BackupManifest#FORMAT_VERSION_ENTRIES}),
     * handing each entry to {@code each}; they are the manifest's only once this returns.
     */
    private void forEachStoredEntry(BackupManifest manifest, Consumer<ManifestEntry> each) {
        String id = manifest.id();
        DataPart entries = manifest.entriesObject().orElseThrow();
        try {
            long size = store.size(id, entries.object());
            if (size != entries.bytes()) {
                throw new ManifestException(ManifestException.Reason.CHECKSUM_MISMATCH, id, "Entries of backup " + id
                    + " (" + entries.object() + ") are damaged: " + size + " bytes where its manifest records "
                    + entries.bytes(), null);
            }
            try (InputStream in = store.open(id, entries.object())) {
                ManifestFormat.readEntriesObject(in, manifest, each);
            }
        } catch (IOException e) {
            throw storeUnreadable("read", id, e);
        }
    }

    /**
     * The entries of {@code manifest} (a directory backup's, read with its HMAC checked), each time streamed from
     * its entries object if it has one, so that none is held. A failure of the visitor stops the handing of entries,
     * but the object is still read to its end and checked: if it is damaged, that is the truer story, and is thrown
     * (the visitor's failure suppressed in it).
     */
    private ArchiveReader.Entries entries(BackupManifest manifest) {
        if (manifest.hasEntries()) {
            return ArchiveReader.Entries.of(manifest.entries());
        }
        return visitor -> {
            Exception[] failure = {null};
            try {
                forEachStoredEntry(manifest, entry -> {
                    if (failure[0] == null) {
                        try {
                            visitor.visit(entry);
                        } catch (IOException | RuntimeException e) {
                            failure[0] = e;
                        }
                    }
                });
            } catch (RuntimeException e) {
                if (failure[0] != null) {
                    e.addSuppressed(failure[0]);
                }
                throw e;
            }
            if (failure[0] instanceof IOException e) {
                throw e;
            }
            if (failure[0] instanceof RuntimeException e) {
                throw e;
            }
        };
    }

    /**
     * Up to {@link BackupManifest#MAX_BYTES} + 1 bytes of {@code in}, read into one array of the {@code size} the
     * store gave when the object is that size (growing a buffer would hold the manifest twice for a moment).
     */
    private static byte[] readObject(InputStream in, long size) throws IOException {
        if (size < 0 || size > BackupManifest.MAX_BYTES) {
            return in.readNBytes(BackupManifest.MAX_BYTES + 1);
        }
        byte[] bytes = new byte[(int) size];
        int n = in.readNBytes(bytes, 0, bytes.length);
        byte[] rest = in.readNBytes(BackupManifest.MAX_BYTES + 1 - n);
        if (n == bytes.length && rest.length == 0) {
            return bytes;
        }
        // the object changed size since: what it holds now
        byte[] all = java.util.Arrays.copyOf(bytes, n + rest.length);
        System.arraycopy(rest, 0, all, n, rest.length);
        return all;
    }

    // ------------------------------------------------------------------ verify

    /**
     * Quick verification, without a key: the manifest's checksum, and the size and SHA-256 of the stored data.
     *
     * @return the result, passed or failed; also appended to the verification history
     * @throws dev.drkit.backup.store.NoSuchBackupException if there is no such complete backup
     * @throws BackupIoException if the store cannot be read
     */
    public VerificationResult verify(String id) {
        return verify(id, null, VerificationMode.QUICK);
    }

    /**
     * Full verification with {@code key}: the manifest's checksum and HMAC, decryption with every integrity check,
     * the plaintext and ciphertext sizes and SHA-256, and every entry of a directory backup. Writes nothing.
     *
     * @return the result, passed or failed (a wrong key fails it too); also appended to the verification history
     * @throws dev.drkit.backup.store.NoSuchBackupException if there is no such complete backup
     * @throws BackupIoException if the store cannot be read
     */
    public VerificationResult verify(String id, DecryptionKey key) {
        return verify(id, Objects.requireNonNull(key, "key"), VerificationMode.FULL);
    }

    private VerificationResult verify(String id, @Nullable DecryptionKey key, VerificationMode mode) {
        Objects.requireNonNull(id, "id");
        long start = System.nanoTime();
        String operation = mode == VerificationMode.QUICK ? "verify.quick" : "verify.full";
        long[] sizes = new long[3];
        Instant[] finished = new Instant[1];
        BackupException failure = null;
        try {
            // Quick verification checks every entry of an entries object but keeps none; full verification streams
            // them beside the archive after the manifest's HMAC (read), keeping none either.
            BackupManifest manifest = key == null ? readManifest(id, false, true) : readManifest(id, true, false);
            finished[0] = manifest.finishedAt();
            if (key == null) {
                quickCheck(manifest, sizes);
            } else {
                ReadOutcome outcome = read(manifest, key, null, operation);
                sizes[0] = outcome.summary.ciphertextBytes();
                sizes[1] = outcome.summary.plaintextBytes();
                sizes[2] = manifest.entryCount();
            }
        } catch (ManifestException | BackupVerificationException | BackupDecryptionException e) {
            failure = e;
        } catch (NoSuchBackupException e) {
            if (!listed(id)) {
                throw e;
            }
            failure = e;    // a complete backup missing one of its objects: damage, as a verification finds it
        } catch (RuntimeException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            record(operation, false, took);
            emit(BackupEvent.Type.VERIFY, false, id, took, Map.of("mode", mode.name().toLowerCase(
                java.util.Locale.ROOT), "error", message(e)));
            throw e;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        VerificationResult result = new VerificationResult(id, mode, clock.instant(), took, sizes[0], sizes[1],
            (int) sizes[2], finished[0], failure);
        if (result.passed() && finished[0] != null) {
            newestVerified.accumulateAndGet(finished[0], BackupEngine::later);
        }
        count(operation, "ciphertext", sizes[0]);
        count(operation, "plaintext", sizes[1]);
        record(operation, result.passed(), took);
        if (verificationHistory != null) {
            try {
                JsonLines.append(verificationHistory, result.toJson());
            } catch (IOException e) {
                log.warn("BackupEngine '{}': could not append to the verification history {}: {}", name,
                    verificationHistory, describe(e));
            }
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        details.put("ciphertextBytes", Long.toString(sizes[0]));
        if (failure != null) {
            details.put("check", result.failedCheck().orElse(""));
            details.put("error", message(failure));
        }
        emit(BackupEvent.Type.VERIFY, result.passed(), id, took, details);
        return result;
    }

    /** Whether the store lists {@code id} as a complete backup. */
    private boolean listed(String id) {
        try {
            return store.list().contains(id);
        } catch (IOException e) {
            throw storeUnreadable("list", null, e);
        }
    }

    private void quickCheck(BackupManifest manifest, long[] sizes) {
        String id = manifest.id();
        if (manifest.isParted()) {
            checkParts(manifest);
        }
        byte[] buffer = new byte[64 * 1024];
        for (DataPart part : manifest.parts()) {
            MessageDigest digest = sha256();
            long count = 0;
            try (InputStream in = store.open(id, part.object())) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    digest.update(buffer, 0, n);
                    count += n;
                }
            } catch (IOException e) {
                throw storeUnreadable("verify", id, e);
            }
            sizes[0] += count;
            comparePart(id, part, count, HexFormat.of().formatHex(digest.digest()));
        }
    }

    /**
     * The store holds exactly the parts the manifest lists: a missing part means data was lost, an unlisted one
     * that the backup was tampered with (or mixed with another's).
     */
    private void checkParts(BackupManifest manifest) {
        List<String> objects;
        try {
            objects = store.objects(manifest.id());
        } catch (IOException e) {
            throw storeUnreadable("verify", manifest.id(), e);
        }
        Set<String> listed = new TreeSet<>();
        manifest.parts().forEach(p -> listed.add(p.object()));
        for (String part : listed) {
            if (!objects.contains(part)) {
                throw new BackupVerificationException(manifest.id(), "parts", Integer.toString(listed.size()),
                    null, "Backup " + manifest.id() + " failed verification: " + part + ", a part its manifest "
                    + "lists, is missing from the store");
            }
        }
        for (String object : objects) {
            if (object.startsWith("data.") && object.endsWith(".pgp") && !listed.contains(object)) {
                throw new BackupVerificationException(manifest.id(), "parts", Integer.toString(listed.size()),
                    null, "Backup " + manifest.id() + " failed verification: the store holds " + object
                    + ", a part its manifest does not list (added, or left from another backup)");
            }
        }
    }

    static void comparePart(String id, DataPart part, long bytes, String sha256) {
        if (bytes != part.bytes()) {
            throw new BackupVerificationException(id, "ciphertext size", Long.toString(part.bytes()),
                Long.toString(bytes), "Backup " + id + " failed verification: " + part.object() + " has " + bytes
                + " bytes, the manifest says " + part.bytes() + " (truncated or replaced)");
        }
        if (!sha256.equals(part.sha256())) {
            throw new BackupVerificationException(id, "ciphertext sha256", part.sha256(), sha256, "Backup " + id
                + " failed verification: the SHA-256 of " + part.object() + " does not match the manifest "
                + "(damaged or replaced)");
        }
    }

    private static void compareCiphertext(BackupManifest manifest, long bytes, String sha256) {
        if (bytes != manifest.ciphertextBytes()) {
            throw new BackupVerificationException(manifest.id(), "ciphertext size",
                Long.toString(manifest.ciphertextBytes()), Long.toString(bytes), "Backup " + manifest.id()
                + " failed verification: " + BackupManifest.DATA_OBJECT_NAME + " has " + bytes
                + " bytes, the manifest says " + manifest.ciphertextBytes() + " (truncated or replaced)");
        }
        if (!sha256.equals(manifest.ciphertextSha256())) {
            throw new BackupVerificationException(manifest.id(), "ciphertext sha256", manifest.ciphertextSha256(),
                sha256, "Backup " + manifest.id() + " failed verification: the SHA-256 of "
                + BackupManifest.DATA_OBJECT_NAME + " does not match the manifest (damaged or replaced)");
        }
    }

    /**
     * After {@code failure} while decrypting a single-message backup: if the stored data no longer matches the
     * manifest's size and SHA-256, says so, with the decryption error as the cause, because "damaged" is the true
     * story (a damaged header can look like a wrong passphrase or a truncated message). Otherwise returns, and
     * the decryption error stands. Reads the whole object again, but only on this failure path.
     */
    private void explainDamage(BackupManifest manifest, BackupDecryptionException failure) {
        String id = manifest.id();
        MessageDigest sha256 = Digests.sha256();
        long bytes = 0;
        try (InputStream in = store.open(id, BackupManifest.DATA_OBJECT_NAME)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                sha256.update(buffer, 0, n);
                bytes += n;
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
            return;     // the store cannot tell us more: the decryption error stands
        }
        String actual = Digests.hex(sha256);
        if (bytes == manifest.ciphertextBytes() && actual.equals(manifest.ciphertextSha256())) {
            return;
        }
        boolean sizeDiffers = bytes != manifest.ciphertextBytes();
        throw new BackupVerificationException(id, sizeDiffers ? "ciphertext size" : "ciphertext sha256",
            sizeDiffers ? Long.toString(manifest.ciphertextBytes()) : manifest.ciphertextSha256(),
            sizeDiffers ? Long.toString(bytes) : actual,
            "Backup " + id + " failed verification: " + BackupManifest.DATA_OBJECT_NAME
                + (sizeDiffers ? " has " + bytes + " bytes, the manifest says " + manifest.ciphertextBytes()
                    + " (truncated or replaced)" : "'s SHA-256 does not match the manifest (damaged or replaced)")
                + "; decrypting it failed with: " + failure.getMessage(), failure);
    }

    /** The result of decrypting and checking a whole backup. */
    private static final class ReadOutcome {
        final PipelineSummary summary;
        final @Nullable ArchiveReader archive;

        ReadOutcome(PipelineSummary summary, @Nullable ArchiveReader archive) {
            this.summary = summary;
            this.archive = archive;
        }
    }

    /**
     * Decrypts backup data, checking the manifest's HMAC first and every checksum as it streams; extracts a
     * directory under {@code directoryTarget}, or copies a file or stream to {@code fileTarget}.
     */
    private ReadOutcome read(BackupManifest manifest, DecryptionKey key, @Nullable Path target, String operation) {
        return read(manifest, key, target, null, operation);
    }

    /** {@link #read(BackupManifest, DecryptionKey, Path, String)}, or into {@code sink} for a file or stream backup. */
    private ReadOutcome read(BackupManifest manifest, DecryptionKey key, @Nullable Path target,
                             @Nullable OutputStream sink, String operation) {
        String id = manifest.id();
        RecordingStreams.Input source = null;
        PartedDecryptingStream parted = null;
        try {
            DecryptingStream opened;
            if (manifest.isParted()) {
                checkParts(manifest);
                parted = PartedDecryptingStream.open(name -> store.open(id, name), manifest.parts(),
                    manifest.ciphertextSha256(), key, manifest.compression(),
                    (part, bytes, sha) -> comparePart(id, part, bytes, sha), readThreads(manifest));
                opened = parted;
            } else {
                source = RecordingStreams.input(store.open(id, BackupManifest.DATA_OBJECT_NAME));
                opened = BackupPipeline.decryptingStream(source, key, manifest.compression());
            }
            try (DecryptingStream in = opened) {
                try (Secret manifestKey = in.manifestKey()) {
                    manifest.checkAuthentic(manifestKey);
                }
                ArchiveReader archive = null;
                if (manifest.sourceKind() == SourceKind.DIRECTORY) {
                    // an entries object's size and SHA-256 are now authentic: it is streamed beside the archive
                    archive = ArchiveReader.read(manifest, in, target, entries(manifest));
                } else if (target != null) {
                    OutputStream out;
                    try {
                        // Writing and syncing the target run behind, on threads of their own, while this thread
                        // decompresses and hashes; a write failure arrives at a later write or at close.
                        out = new WriteBehindOutputStream(SyncingFileOutputStream.openTruncated(target),
                            RESTORE_WRITE_CHUNK, RESTORE_WRITE_DEPTH, "drkit-restore-write");
                    } catch (IOException e) {
                        throw new ArchiveReader.TargetWriteException(e);
                    }
                    try {
                        copyToTarget(in, out);
                    } finally {
                        try {
                            out.close();
                        } catch (IOException e) {
                            throw new ArchiveReader.TargetWriteException(e);
                        }
                    }
                } else if (sink != null) {
                    copyToTarget(in, sink);
                } else {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                if (!in.isVerified()) {
                    // Cannot happen: every path above reads to the end. Guard anyway.
                    in.transferTo(OutputStream.nullOutputStream());
                }
                PipelineSummary summary = in.summary();
                compareCiphertext(manifest, summary.ciphertextBytes(), summary.ciphertextSha256());
                if (summary.plaintextBytes() != manifest.plaintextBytes()
                    || !summary.plaintextSha256().equals(manifest.plaintextSha256())) {
                    throw new BackupVerificationException(id, "plaintext sha256", manifest.plaintextSha256(),
                        summary.plaintextSha256(), "Backup " + id + " failed verification: the decrypted data ("
                        + summary.plaintextBytes() + " bytes) does not match the manifest's size and SHA-256");
                }
                return new ReadOutcome(summary, archive);
            }
        } catch (BackupDecryptionException e) {
            if (parted == null) {
                explainDamage(manifest, e);
            }
            throw e;
        } catch (ArchiveReader.TargetWriteException e) {
            if (sink != null) {
                throw new BackupIoException("Restore of backup " + id + " failed: its output stream could not be"
                    + " written (" + e.getMessage() + ")", context("restore", id, "target", "stream"), e.getCause());
            }
            throw new BackupIoException("Restore of backup " + id + " failed: the target " + target
                + " could not be written (" + e.getMessage() + "); the previous data was left as it was",
                context("restore", id, "target", String.valueOf(target)), e.getCause());
        } catch (IOException e) {
            if ((source == null && parted == null) || (source != null && source.threw(e))
                || (parted != null && parted.sourceThrew(e))) {
                throw storeUnreadable(operation, id, e);
            }
            throw new BackupVerificationException(id, "archive format", null, null, "Backup " + id
                + " failed verification: its tar stream cannot be read (" + describe(e) + ")");
        }
    }

    private static final int RESTORE_WRITE_CHUNK = 1 << 18;
    private static final int RESTORE_WRITE_DEPTH = 4;

    private static void copyToTarget(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            try {
                out.write(buffer, 0, n);
            } catch (IOException e) {
                throw new ArchiveReader.TargetWriteException(e);
            }
        }
    }

    // ------------------------------------------------------------------ restore

    /**
     * Restores backup {@code id} to {@code target} (a file for file and stream backups, a directory for directory
     * backups), anywhere: in place, or elsewhere to test. The data is written beside the target under a hidden
     * temporary name and swapped in only after every check passed; an existing target is kept as
     * {@code <target>.pre-restore-<time>}. The temporary name carries this process's pid and start time, and a
     * restore first removes the temporary copies of the same target whose process is gone (a restore killed
     * midway), never one of a live process.
     *
     * @throws ManifestException             if the manifest is damaged or not authentic under the key's data
     * @throws BackupDecryptionException    if the key is wrong or the data damaged
     * @throws BackupVerificationException  if a checksum or entry does not match the manifest
     * @throws IllegalArgumentException      if {@code target} is a root directory, which has no directory to write
     *                                       beside it in
     * @throws BackupIoException             if the store cannot be read or the target's directory written, or
     *                                       before anything is written, if the target's file system has no room
     *                                       for the data (see docs/backup.md)
     * @throws dev.drkit.backup.store.NoSuchBackupException if there is no such complete backup
     */
    public RestoreResult restore(String id, DecryptionKey key, Path target) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(target, "target");
        long start = System.nanoTime();
        Path absolute = target.toAbsolutePath().normalize();
        try {
            RestoreResult result = restoreTo(id, key, absolute, start);
            record("restore", true, result.duration());
            count("restore", "plaintext", result.plaintextBytes());
            Map<String, String> details = new LinkedHashMap<>();
            details.put("target", absolute.toString());
            details.put("plaintextBytes", Long.toString(result.plaintextBytes()));
            result.previous().ifPresent(p -> details.put("previous", p.toString()));
            emit(BackupEvent.Type.RESTORE, true, id, result.duration(), details);
            log.info("BackupEngine '{}': restored backup {} to {}{}", name, id, absolute,
                result.previous().map(p -> "; the previous data is at " + p).orElse(""));
            return result;
        } catch (RuntimeException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            record("restore", false, took);
            emit(BackupEvent.Type.RESTORE, false, id, took, Map.of("target", absolute.toString(), "error",
                message(e)));
            throw e;
        }
    }

    /**
     * Restores file or stream backup {@code id} into {@code out} as it decrypts: for a consumer that reads the data
     * once and can throw away what it made, such as {@code pg_restore} into a scratch database. The manifest's
     * authenticity is checked before the first byte is written; the checksums of the data only once it has all been
     * written. So <b>if this throws, discard whatever {@code out} received</b>: it may be damaged or not this backup's.
     * {@code out} is flushed, not closed.
     *
     * @return the number of bytes written, the backup's plaintext size
     * @throws IllegalArgumentException     if the backup is of a directory (restore it to a directory)
     * @throws ManifestException            if the manifest is damaged or not authentic under the key's data
     * @throws BackupDecryptionException    if the key is wrong or the data damaged
     * @throws BackupVerificationException  if a checksum does not match the manifest
     * @throws BackupIoException            if the store cannot be read or {@code out} cannot be written
     * @since 0.1
     */
    public long restore(String id, DecryptionKey key, OutputStream out) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(out, "out");
        long start = System.nanoTime();
        try {
            BackupManifest manifest = manifest(id);
            if (manifest.sourceKind() == SourceKind.DIRECTORY) {
                throw new IllegalArgumentException("backup " + id + " is of a directory: restore it to a directory,"
                    + " not into a stream");
            }
            ReadOutcome outcome = read(manifest, key, null, out, "restore");
            try {
                out.flush();
            } catch (IOException e) {
                throw new BackupIoException("Restore of backup " + id + " failed: its output stream could not be"
                    + " flushed (" + describe(e) + ")", context("restore", id, "target", "stream"), e);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            long bytes = outcome.summary.plaintextBytes();
            record("restore", true, took);
            count("restore", "plaintext", bytes);
            emit(BackupEvent.Type.RESTORE, true, id, took, Map.of("target", "stream", "plaintextBytes",
                Long.toString(bytes)));
            log.info("BackupEngine '{}': restored backup {} into a stream ({} bytes)", name, id, bytes);
            return bytes;
        } catch (RuntimeException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            record("restore", false, took);
            emit(BackupEvent.Type.RESTORE, false, id, took, Map.of("target", "stream", "error", message(e)));
            throw e;
        }
    }

    private RestoreResult restoreTo(String id, DecryptionKey key, Path target, long start) {
        // an entries object is never held: the room check, the extraction (after the HMAC) and finish stream it
        BackupManifest manifest = readManifest(id, true, false);
        Path parent = target.getParent();
        if (parent == null || target.getFileName() == null) {
            throw new IllegalArgumentException("target must name a file or directory inside a directory, but was "
                + target);
        }
        boolean directory = manifest.sourceKind() == SourceKind.DIRECTORY;
        RestoreTargetChecks.checkNotAMountPoint(id, parent, target);
        Path staging = parent.resolve(stagingPrefix(target) + Procfs.Owner.self().map(o -> o.tag() + "-").orElse("")
            + randomHex());
        try {
            if (directory) {
                Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createFile(staging, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
            }
        } catch (IOException e) {
            throw new BackupIoException("Restore of backup " + id + " failed: cannot write in " + parent + " ("
                + describe(e) + "); " + target + " was left as it was",
                context("restore", id, "target", target.toString()), e);
        }
        sweepStaleStaging(target, staging);
        boolean swapped = false;
        try {
            // after the sweep: a killed restore's copy takes room that this one may need
            RestoreTargetChecks.checkRoomFor(manifest, manifest.hasEntries() ? manifest.entries()::forEach
                : each -> forEachStoredEntry(manifest, each), parent, target);
            warnIfEarlierDataIsAside(id, target);
            ReadOutcome outcome = read(manifest, key, staging, "restore");
            try {
                if (outcome.archive != null) {
                    outcome.archive.finish(entries(manifest));
                }
                if (!directory) {
                    LocalFiles.fsyncFile(staging);
                }
                // the time before the mode: setting it opens the target for reading, which the mode may forbid
                if (manifest.sourceMtime().isPresent()) {
                    ArchiveReader.setTime(staging, manifest.sourceMtime().get());
                }
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString(ArchiveReader.rwx(
                    manifest.sourceMode().orElse(directory ? 0700 : 0600))));
            } catch (ArchiveReader.TargetWriteException e) {
                throw e;
            } catch (IOException e) {
                throw new ArchiveReader.TargetWriteException(e);
            }
            Path previous = swap(id, staging, target);
            swapped = true;
            return new RestoreResult(id, target, previous, outcome.summary.plaintextBytes(),
                manifest.entryCount(), Duration.ofNanos(System.nanoTime() - start));
        } catch (ArchiveReader.TargetWriteException e) {
            throw new BackupIoException("Restore of backup " + id + " failed: " + target + " could not be written ("
                + e.getMessage() + "); the previous data was left as it was",
                context("restore", id, "target", target.toString()), e.getCause());
        } finally {
            if (!swapped) {
                LocalFiles.deleteTreeQuietly(staging, log, "BackupEngine: the unfinished restore");
            }
        }
    }

    /**
     * When {@code target} does not exist but data it held earlier is kept beside it ({@code .pre-restore-*}), says so
     * at WARN, naming the newest: a restore of a directory killed between moving the old data aside and moving the
     * new copy in leaves exactly that, and the operator should know where the data went before this restore puts a
     * new copy in its place.
     */
    private void warnIfEarlierDataIsAside(String id, Path target) {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        RestoreTargetChecks.newestAside(target).ifPresent(newest -> log.warn("BackupEngine '{}': restoring backup {}"
            + " to {}, which does not exist, while data it held earlier is kept beside it (newest: {}); if a restore"
            + " was interrupted there, that is what {} held before", name, id, target, newest, target.getFileName()));
    }

    /** {@code .<target name>.drkit-restore-}: how the names of a target's staging copies start. */
    private static String stagingPrefix(Path target) {
        return "." + target.getFileName() + ".drkit-restore-";
    }

    /**
     * Removes the staging copies of {@code target} that a restore killed midway (SIGKILL, a crash: no {@code finally}
     * ran) left beside it, decrypted. A staging copy's name says whose it is ({@link Procfs.Owner}); only one whose
     * process is gone, owned by this user, a directory or regular file (never a link, and nothing is followed
     * inside) is removed, so a restore of the same target running in another live process keeps its own. Copies of
     * unknown owner (another pid namespace, or named before owners were) are left alone. {@code own} is this
     * restore's staging copy, whose owner is this user. Best effort: never throws.
     */
    private void sweepStaleStaging(Path target, Path own) {
        String prefix = stagingPrefix(target);
        Leftovers.sweep(own, prefix, java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(prefix) + "("
            + Procfs.Owner.TAG_REGEX + ")-[0-9a-f]{12}"), true, new Leftovers.Report() {
                @Override
                public void removed(Path leftover, Procfs.Owner owner) {
                    log.info("BackupEngine '{}': removed {}, the staging copy of a restore to {} by process {}, "
                        + "which is gone", name, leftover, target, owner.pid());
                }

                @Override
                public void notRemoved(Path leftover, Procfs.Owner owner, Exception why) {
                    log.warn("BackupEngine '{}': cannot remove {}, the staging copy of a restore to {} by process {},"
                        + " which is gone: {}", name, leftover, target, owner.pid(), describe(why));
                }

                @Override
                public void notListed(Path directory, Exception why) {
                    log.debug("BackupEngine '{}': no sweep of {} for stale restores: {}", name, directory,
                        describe(why));
                }
            });
    }

    /**
     * Moves an existing target aside, then the staged result in, then syncs their directory; puts the old one back
     * if the second move fails. Swaps are serialised within this JVM, and the name aside is reserved by creating
     * it, so that two restores of one target (here or in another process) never move anything onto the other's
     * saved copy: a rename replaces what it lands on. A file replacing a file is swapped in one step instead: the old
     * file gets a second name aside (a hard link, which also reserves that name), and the new one is renamed over
     * it, so the target never goes missing, not even for a crash between two renames; where hard links cannot be
     * made, the two moves are used.
     */
    private @Nullable Path swap(String id, Path staging, Path target) throws ArchiveReader.TargetWriteException {
        synchronized (SWAPS) {
            Path previous;
            try {
                BasicFileAttributes existing = attributesIfExists(target);
                boolean fileOverFile = existing != null && existing.isRegularFile()
                    && Files.isRegularFile(staging, LinkOption.NOFOLLOW_LINKS);
                Path linked = fileOverFile ? linkAside(target) : null;
                if (linked != null) {
                    previous = linked;
                    try {
                        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);   // replaces it in one step
                    } catch (IOException e) {
                        Files.deleteIfExists(linked);       // a second name of the target, which is untouched
                        throw e;
                    }
                } else {
                    previous = null;
                    if (existing != null) {
                        previous = reserveAside(target, existing.isDirectory());
                        try {
                            Files.move(target, previous, StandardCopyOption.ATOMIC_MOVE);
                        } catch (IOException e) {
                            Files.deleteIfExists(previous); // still the empty placeholder: nothing was moved
                            throw e;
                        }
                    }
                    try {
                        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        if (previous != null) {
                            putBack(id, previous, target, e);
                        }
                        throw e;
                    }
                }
            } catch (IOException e) {
                throw new ArchiveReader.TargetWriteException(e);
            }
            try {
                LocalFiles.fsyncDirectory(target.getParent());
            } catch (IOException e) {
                throw new BackupIoException("Restore of backup " + id + " to " + target + " is in place, but its "
                    + "directory could not be synced (" + describe(e) + "): it may not survive a power loss"
                    + (previous == null ? "" : "; the previous data is at " + previous),
                    context("restore", id, "target", target.toString()), e);
            }
            return previous;
        }
    }

    private static @Nullable BasicFileAttributes attributesIfExists(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * A second name for the file {@code target}, beside it and free until now (a hard link: no copy), or null where
     * the file system makes no hard links.
     */
    private @Nullable Path linkAside(Path target) {
        String base = asideBase(target);
        for (int i = 0; ; i++) {
            Path candidate = target.resolveSibling(i == 0 ? base : base + "-" + i);
            try {
                Files.createLink(candidate, target);
                return candidate;
            } catch (FileAlreadyExistsException e) {
                // taken: try the next suffix
            } catch (IOException | UnsupportedOperationException e) {
                log.debug("BackupEngine '{}': no hard link beside {} ({}); moving it aside instead", name, target,
                    describe(e));
                return null;
            }
        }
    }

    private String asideBase(Path target) {
        return target.getFileName() + ".pre-restore-" + BackupIds.stamp(clock.instant());
    }

    /**
     * Creates an empty placeholder named {@code <target>.pre-restore-<time>[-n]}, of the target's kind (a rename
     * replaces an empty directory only with a directory, a file only with a non-directory); creation fails when the
     * name is taken, which makes the reservation atomic.
     */
    private Path reserveAside(Path target, boolean directory) throws IOException {
        String base = asideBase(target);
        for (int i = 0; ; i++) {
            Path candidate = target.resolveSibling(i == 0 ? base : base + "-" + i);
            try {
                if (directory) {
                    LocalFiles.createPrivateDirectory(candidate);
                } else {
                    Files.createFile(candidate, LocalFiles.privateFileModes(candidate));
                }
                return candidate;
            } catch (FileAlreadyExistsException e) {
                // taken: try the next suffix
            }
        }
    }

    /** Moves the previous data back after the staged result could not be moved in; says where it is if it cannot. */
    private void putBack(String id, Path previous, Path target, IOException moveInFailure) {
        try {
            Files.move(previous, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            moveInFailure.addSuppressed(e);
            throw new BackupIoException("Restore of backup " + id + " failed: " + target + " could not be written ("
                + describe(moveInFailure) + "), and the previous data could not be moved back (" + describe(e)
                + "): it is at " + previous, context("restore", id, "target", target.toString()), moveInFailure);
        }
    }

    // ------------------------------------------------------------------ metrics, events, helpers

    /**
     * The newest {@code backupFinishedAt} of a passed verification in a history file, so the age gauge is right
     * from the start in a new process. Unreadable files and lines are skipped: the history informs, it does not
     * gate anything.
     */
    private static @Nullable Instant newestVerifiedIn(Path history) {
        if (!Files.isRegularFile(history)) {
            return null;
        }
        Instant newest = null;
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        try (java.io.BufferedReader lines = Files.newBufferedReader(history)) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.length() > 64 * 1024) {
                    continue;
                }
                try {
                    com.fasterxml.jackson.databind.JsonNode node = mapper.readTree(line);
                    if (node != null && node.path("passed").asBoolean(false) && node.path("backupFinishedAt")
                        .isTextual()) {
                        newest = later(newest, Instant.parse(node.get("backupFinishedAt").asText()));
                    }
                } catch (IOException | RuntimeException e) {
                    // a torn or foreign line
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("BackupEngine: could not read the verification history {}: {}", history, describe(e));
        }
        return newest;
    }

    /**
     * How many parts of {@code manifest} are decrypted ahead at once: the configured threads, or by default as
     * many as the cores and {@link #PART_MEMORY_BUDGET} allow for its largest part.
     */
    private int readThreads(BackupManifest manifest) {
        if (explicitThreads) {
            return threads;
        }
        long largest = manifest.parts().stream().mapToLong(DataPart::bytes).max().orElse(1);
        int cores = Runtime.getRuntime().availableProcessors();
        return (int) Math.max(1, Math.min(cores, PART_MEMORY_BUDGET / (2 * Math.max(1, largest))));
    }

    private PipelineSettings pipelineSettings(Encryption encryption) {
        return PipelineSettings.builder(encryption).compression(compression).compressionThreads(compressionThreads)
            .build();
    }

    private static int defaultThreads(int partBytes) {
        if (partBytes <= 0) {
            return 1;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(1, Math.min(cores, PART_MEMORY_BUDGET / (2 * partBytes)));
    }

    private double ageSeconds(@Nullable Instant time) {
        if (time == null) {
            return Double.NaN;
        }
        return Duration.between(time, clock.instant()).toMillis() / 1000.0;
    }

    private void record(String operation, boolean success, Duration took) {
        if (meters != null) {
            Timer.builder("drkit.backup.operation")
                .description("Backups, restores, verifications, rotations and deletions, by outcome")
                .tag("engine", name)
                .tag("operation", operation)
                .tag("outcome", success ? "success" : "failure")
                .register(meters)
                .record(took);
        }
    }

    private void count(String operation, String side, long bytes) {
        if (meters != null && bytes > 0) {
            Counter.builder("drkit.backup.bytes")
                .description("Bytes backed up, restored, verified and freed by deletions")
                .baseUnit("bytes")
                .tag("engine", name)
                .tag("operation", operation)
                .tag("side", side)
                .register(meters)
                .increment(bytes);
        }
    }

    private void emit(BackupEvent.Type type, boolean success, @Nullable String id, Duration took,
                      Map<String, String> details) {
        BackupEvent event = new BackupEvent(type, success, clock.instant(), name, id, took, details);
        if (eventLog != null) {
            try {
                JsonLines.append(eventLog, event.toJson());
            } catch (IOException | RuntimeException e) {
                log.warn("BackupEngine '{}': could not append to the event log {}: {}", name, eventLog, describe(e));
            }
        }
        for (Consumer<BackupEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                log.warn("BackupEngine '{}': event listener {} threw {} on a {} event", name,
                    listener.getClass().getName(), e.getClass().getName(), type);
            }
        }
    }

    private BackupIoException storeUnreadable(String operation, @Nullable String id, IOException e) {
        return new BackupIoException("Store " + store.location() + " could not be read" + (id == null ? "" :
            " for backup " + id) + " (" + describe(e) + ")", context(operation, id, "store", store.location()), e);
    }

    private static Map<String, String> context(String operation, @Nullable String id, String key, String value) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("operation", operation);
        if (id != null) {
            context.put("backup", id);
        }
        context.put(key, value);
        return context;
    }

    /** A drkit exception's message; only the type of anything else, whose message may hold anything. */
    private static String message(Throwable e) {
        return e instanceof dev.drkit.core.DrkitException ? e.getMessage() : e.getClass().getName();
    }

    /** An I/O failure for a message: its type and the JDK's message, which names a path or the errno text. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static Instant later(@Nullable Instant a, Instant b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    private static String randomHex() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            // the first failure is the one reported
        }
    }

    /**
     * Builds a {@link BackupEngine}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final BackupStore store;
        private String name = DEFAULT_NAME;
        private @Nullable Encryption encryption;
        private Compression compression = Compression.zstd();
        private final SortedMap<String, String> labels = new TreeMap<>();
        private Clock clock = Clock.systemUTC();
        private @Nullable MeterRegistry meters;
        private @Nullable Path eventLog;
        private @Nullable Path verificationHistory;
        private int partBytes;
        private int threads;
        private int compressionThreads;
        private long manifestLimit = BackupManifest.MAX_BYTES;
        private int entryLimit = BackupManifest.MAX_ENTRIES;
        private @Nullable Path temporaryDirectory;
        private final List<Consumer<BackupEvent>> listeners = new ArrayList<>();

        private Builder(BackupStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** The engine's name in metrics, events and logs; default {@value BackupEngine#DEFAULT_NAME}. */
        public Builder name(String name) {
            this.name = Names.printable(name, 64, "name");
            return this;
        }

        /** How backups are encrypted; required for {@link BackupEngine#backup}, not for the rest. */
        public Builder encryption(Encryption encryption) {
            this.encryption = Objects.requireNonNull(encryption, "encryption");
            return this;
        }

        /** How backups are compressed; default {@link Compression#zstd()}. */
        public Builder compression(Compression compression) {
            this.compression = Objects.requireNonNull(compression, "compression");
            return this;
        }

        /**
         * A label recorded in every backup's manifest.
         *
         * @param key   1 to 63 characters of {@code [A-Za-z0-9._/-]}, starting with a letter or digit
         * @param value at most 256 printable characters
         * @throws IllegalArgumentException if the key or value breaks these rules, or there would be more than 64
         */
        public Builder label(String key, String value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (!ManifestFormat.LABEL_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("label key must be 1 to 63 characters of [A-Za-z0-9._/-] starting "
                    + "with a letter or digit, but was \"" + dev.drkit.backup.internal.SafePaths.printable(key) + "\"");
            }
            if (!ManifestFormat.validLabelValue(value)) {
                throw new IllegalArgumentException("label value of " + key + " must be at most "
                    + ManifestFormat.MAX_LABEL_VALUE + " printable characters, but had " + value.length()
                    + " characters" + (value.chars().anyMatch(Character::isISOControl) ? " with control characters" : ""));
            }
            if (!labels.containsKey(key) && labels.size() >= ManifestFormat.MAX_LABELS) {
                throw new IllegalArgumentException("at most " + ManifestFormat.MAX_LABELS + " labels, but " + key
                    + " would be one more");
            }
            labels.put(key, value);
            return this;
        }

        /** Several labels; see {@link #label(String, String)}. */
        public Builder labels(Map<String, String> labels) {
            Objects.requireNonNull(labels, "labels").forEach(this::label);
            return this;
        }

        /** The clock for backup ids and times, events and gauges; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where metrics go; none by default. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meters = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** A file to append events to as JSON lines (created 0600); none by default. */
        public Builder eventLog(Path file) {
            this.eventLog = Objects.requireNonNull(file, "file");
            return this;
        }

        /** A file to append verification results to as JSON lines (created 0600); none by default. */
        public Builder verificationHistory(Path file) {
            this.verificationHistory = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Splits each backup's compressed stream into parts of {@code bytes} bytes ({@link #DEFAULT_PART_BYTES} is
         * a good size), each its own OpenPGP message stored as {@code data.00000.pgp}, {@code data.00001.pgp}, ...
         * and encrypted in parallel ({@link #threads(int)}); the manifest (format
         * {@value BackupManifest#FORMAT_VERSION_PARTS}) lists them with their sizes and SHA-256. {@code 0}, the
         * default, writes one {@value BackupManifest#DATA_OBJECT_NAME} (format
         * {@value BackupManifest#FORMAT_VERSION}). Both kinds restore with stock tools; see
         * {@code docs/emergency-restore.md}. Memory grows with {@code (2 * threads + 1) * bytes}.
         *
         * @throws IllegalArgumentException unless {@code bytes} is 0 or between {@value #MIN_PART_BYTES} and
         *                                  {@value #MAX_PART_BYTES}
         */
        public Builder partBytes(int bytes) {
            if (bytes != 0 && (bytes < MIN_PART_BYTES || bytes > MAX_PART_BYTES)) {
                throw new IllegalArgumentException("partBytes must be 0 (one part) or between " + MIN_PART_BYTES
                    + " and " + MAX_PART_BYTES + ", but was " + bytes);
            }
            this.partBytes = bytes;
            return this;
        }

        /**
         * How many parts are encrypted at once when {@link #partBytes(int)} is set, and decrypted ahead at once
         * when a backup in parts is restored or fully verified. Default: the number of processors, but no more
         * than keep the parts in flight within {@value #PART_MEMORY_BUDGET} bytes ({@code budget / (2 * part
         * size)}, at least 1).
         *
         * @throws IllegalArgumentException unless {@code 1 <= threads <= 256}
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("threads must be between 1 and 256, but was " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * How many threads of its own zstd compresses each backup with; default 0: on the thread that reads the
         * source. See {@link PipelineSettings.Builder#compressionThreads(int)}.
         *
         * @throws IllegalArgumentException unless {@code 0 <= threads <= 64}
         */
        public Builder compressionThreads(int threads) {
            if (threads < 0 || threads > 64) {
                throw new IllegalArgumentException("compressionThreads must be between 0 and 64, but was " + threads);
            }
            this.compressionThreads = threads;
            return this;
        }

        /**
         * The largest manifest a backup may write; default and most {@link BackupManifest#MAX_BYTES}, what every
         * reader accepts. Lower only in tests, to reach the limit without a tree of tens of thousands of entries.
         */
        Builder manifestLimit(long bytes) {
            if (bytes < 1024 || bytes > BackupManifest.MAX_BYTES) {
                throw new IllegalArgumentException("manifestLimit must be between 1024 and " + BackupManifest.MAX_BYTES
                    + ", but was " + bytes);
            }
            this.manifestLimit = bytes;
            return this;
        }

        /**
         * The most entries a directory backup may have; default and most {@link BackupManifest#MAX_ENTRIES}. Lower
         * only in tests, to reach the limit without a tree of millions of files.
         */
        Builder entryLimit(int entries) {
            if (entries < 1 || entries > BackupManifest.MAX_ENTRIES) {
                throw new IllegalArgumentException("entryLimit must be between 1 and " + BackupManifest.MAX_ENTRIES
                    + ", but was " + entries);
            }
            this.entryLimit = entries;
            return this;
        }

        /**
         * Where a backup of a directory with too many entries for its manifest (about 40,000) keeps their list
         * while the data is written: a temporary file of about 200 bytes per entry, mode 0600, removed when the
         * backup ends. Default {@code java.io.tmpdir}.
         */
        public Builder temporaryDirectory(Path directory) {
            this.temporaryDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** A listener called after every backup, restore and verification. */
        public Builder onEvent(Consumer<BackupEvent> listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** The engine. */
        public BackupEngine build() {
            return new BackupEngine(this);
        }
    }
}
