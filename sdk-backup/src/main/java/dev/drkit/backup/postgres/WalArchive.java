package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupDecryptionException;
import dev.drkit.backup.BackupIoException;
import dev.drkit.backup.BackupPipeline;
import dev.drkit.backup.BackupVerificationException;
import dev.drkit.backup.Compression;
import dev.drkit.backup.DecryptingStream;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.EncryptingStream;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.PipelineSettings;
import dev.drkit.backup.PipelineSummary;
import dev.drkit.backup.RecipientEncryption;
import dev.drkit.backup.internal.DefaultEncryptingStream;
import dev.drkit.backup.internal.DerivedPassphraseMethod;
import dev.drkit.backup.internal.SafePaths;
import dev.drkit.backup.postgres.internal.WalMeta;
import dev.drkit.backup.postgres.wal.SegmentName;
import dev.drkit.backup.store.BackupAlreadyExistsException;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.NoSuchBackupException;
import dev.drkit.backup.store.PendingBackup;
import dev.drkit.backup.store.StoreUnavailableException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An encrypted PostgreSQL WAL archive in a {@link BackupStore}: what {@code archive_command} pushes into and
 * {@code restore_command} fetches from. Each file (segments, {@code .partial} segments, {@code .history} and
 * {@code .backup} files) is compressed with zstd, encrypted as an OpenPGP message (to a passphrase or to public-key
 * recipients, the same {@link Encryption} and {@link DecryptionKey} as backups) and stored with a record of its
 * plaintext size and SHA-256, which {@link #fetch} checks.
 *
 * <p>Layout: each archived file is one entry of the store named like the file, holding two objects,
 * {@value #DATA_OBJECT} (the OpenPGP message of the zstd frame; {@code gpg --decrypt wal.zst.pgp | zstd -d}
 * restores the file) and {@value #META_OBJECT} (name, sizes, SHA-256 of the plaintext and of the stored object,
 * compression, encryption). In a {@code FileSystemStore} at {@code /archive}:
 * {@code /archive/000000010000000000000003/wal.zst.pgp}. An entry becomes visible only when complete (the store's
 * commit: fsync and an atomic rename for directories), so a push killed at any moment leaves nothing that
 * {@link #fetch} or {@link #list()} sees, and the next push of that name succeeds.
 *
 * <p>Pushing a name again with identical content succeeds without writing (a promoted standby re-archives segments
 * the old primary archived); different content is refused with {@link WalConflictException} and the archived file
 * is kept. Pushing needs only the encryption (a public key suffices); fetching needs the {@link DecryptionKey}.
 *
 * <pre>{@code
 * try (BackupStore store = FileSystemStore.open(Path.of("/archive/wal"));
 *      Secret passphrase = Secrets.fromFile(Path.of("/etc/drkit/wal.passphrase"))) {
 *     WalArchive archive = WalArchive.builder(store)
 *         .encryption(Encryption.passphrase(passphrase))
 *         .decryptionKey(DecryptionKey.passphrase(passphrase))
 *         .build();
 *     archive.push(Path.of("pg_wal/000000010000000000000003"));
 *     archive.fetch("000000010000000000000003", Path.of("/restore/pg_wal/RECOVERYXLOG"));
 * }
 * }</pre>
 *
 * <p>A passphrase is stretched (OpenPGP's iterated S2K, the one expensive step of a push) once per instance, on its
 * first push, and the derived key is reused for every later push: the files pushed through one instance share one
 * S2K salt, each with its own random session key, and {@code gpg --decrypt} opens each with the passphrase as
 * before. Push many files through one instance (as {@code drkit wal-push --batch} does) and {@link #close()} it
 * afterwards, which wipes the derived key.
 *
 * <p>Instances are thread-safe as far as the store is; the store's writer lock orders concurrent pushes. The
 * archive does not own the store or the keys: the caller closes them.
 *
 * @since 0.1
 */
public final class WalArchive implements AutoCloseable {

    /** The object holding the compressed, encrypted file. */
    public static final String DATA_OBJECT = "wal.zst.pgp";
    /** The object holding the file's record: sizes and SHA-256 digests. */
    public static final String META_OBJECT = "wal.json";

    /** How long a temporary file of a fetch must have been left alone before the next fetch removes it. */
    static final int STALE_TEMPORARY_MINUTES = 2;
    /** The zstd level used unless another is set: 1, the fastest, since a busy server archives a segment often. */
    public static final int DEFAULT_ZSTD_LEVEL = 1;

    private static final Logger log = LoggerFactory.getLogger(WalArchive.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BUFFER = 256 * 1024;
    /** The largest file compressed and encrypted into memory before the store's writer lock is taken: 64 MiB. */
    private static final long ENCRYPT_AHEAD_MAX = 64L << 20;

    private final BackupStore store;
    private final @Nullable Encryption encryption;
    private final @Nullable DecryptionKey decryptionKey;
    private final Compression compression;
    private @Nullable DerivedPassphraseMethod derivedPassphrase;
    private boolean closed;

    private WalArchive(Builder b) {
        this.store = b.store;
        this.encryption = b.encryption;
        this.decryptionKey = b.decryptionKey;
        this.compression = b.compression;
    }

    /**
     * A builder over {@code store}: give the {@linkplain Builder#encryption encryption} to push and the
     * {@linkplain Builder#decryptionKey key} to fetch. Use a store of its own for the WAL archive, not the one
     * that holds backups.
     *
     * @since 0.1
     */
    public static Builder builder(BackupStore store) {
        return new Builder(store);
    }

    /** The store. */
    public BackupStore store() {
        return store;
    }

    /**
     * Whether a name is one a WAL archive holds: a segment, a {@code .partial} segment, a history or backup file.
     * Segment names are accepted for any segment size ({@code initdb --wal-segsize}), not only 16 MiB.
     */
    public static boolean isWalFileName(String name) {
        Objects.requireNonNull(name, "name");
        return SegmentName.isSegment(name) || SegmentName.parseHistory(name).isPresent()
            || SegmentName.isBackupHistory(name);
    }

    /**
     * Archives one file under its own name. Reads it once to compress, encrypt and hash it into a pending entry of
     * the store, which becomes visible only when complete. If the name is archived already, the file is hashed and
     * compared instead: identical content succeeds without writing, different content is refused.
     *
     * @throws IllegalArgumentException if the file's name is not a WAL file name ({@link #isWalFileName})
     * @throws IllegalStateException    if the archive was built without an encryption
     * @throws WalConflictException     if the archive holds this name with different content
     * @throws BackupVerificationException if the archive's entry for this name lost its record, or (identical content)
     *                                     its stored object is missing or not of its recorded size
     * @throws BackupIoException        if the file cannot be read or the store cannot be written
     * @since 0.1
     */
    public WalPushResult push(Path walFile) {
        Objects.requireNonNull(walFile, "walFile");
        Path fileName = walFile.getFileName();
        String name = fileName == null ? "" : fileName.toString();
        if (!isWalFileName(name)) {
            throw new IllegalArgumentException("not a WAL file name (a segment, .partial, .history or .backup file): "
                + "\"" + SafePaths.printable(name) + "\"");
        }
        if (encryption == null) {
            throw new IllegalStateException("WAL archive " + store.location() + " was built without an encryption,"
                + " so it cannot push");
        }
        try {
            Optional<WalMeta> archived = meta(name);
            if (archived.isPresent()) {
                return compare(walFile, archived.get());
            }
            // Compressing, encrypting and hashing are most of a push: for a file of up to ENCRYPT_AHEAD_MAX bytes (a
            // segment is 16 MiB by default) they are done into memory before the store's writer lock is taken, so
            // that pushes on several threads overlap; only writing the result and committing it hold the lock.
            Encrypted ahead = Files.size(walFile) <= ENCRYPT_AHEAD_MAX ? encrypt(walFile) : null;
            try (PendingBackup pending = store.begin(name)) {
                PipelineSummary summary;
                if (ahead != null) {
                    try (OutputStream out = pending.create(DATA_OBJECT)) {
                        ahead.bytes().writeTo(out);
                    }
                    summary = ahead.summary();
                } else {
                    try (InputStream in = Files.newInputStream(walFile);
                         EncryptingStream out = DefaultEncryptingStream.open(pending.create(DATA_OBJECT),
                             PipelineSettings.builder(encryption).compression(compression).build(),
                             derivedPassphrase())) {
                        copy(in, out);
                        out.close();
                        summary = out.summary();
                    }
                }
                WalMeta meta = new WalMeta(name, summary.plaintextBytes(), summary.plaintextSha256(),
                    summary.ciphertextBytes(), summary.ciphertextSha256(), describe(compression),
                    describe(encryption));
                try (OutputStream out = pending.create(META_OBJECT)) {
                    out.write(meta.toBytes());
                }
                pending.commit();
                log.debug("WAL archive {}: pushed {} ({} bytes, {} stored)", store.location(), name, meta.bytes(),
                    meta.storedBytes());
                return new WalPushResult(name, meta.bytes(), meta.sha256(), meta.storedBytes(), false);
            } catch (BackupAlreadyExistsException raced) {
                // another pusher committed it between our look and our begin: compare with what it wrote
                WalMeta other = meta(name).orElseThrow(() -> raced);
                return compare(walFile, other);
            }
        } catch (NoSuchFileException e) {
            throw new BackupIoException("WAL file " + walFile + " does not exist", Map.of("file", walFile.toString()),
                e);
        } catch (IOException e) {
            throw new BackupIoException("cannot push " + name + " into WAL archive " + store.location() + ": "
                + e.getMessage(), Map.of("store", store.location(), "walFile", name), e);
        }
    }

    /**
     * Fetches one file into {@code destination}: decrypted and decompressed into a temporary file beside it, checked
     * (the OpenPGP integrity code, the zstd checksum, the size and SHA-256 recorded at push), then renamed over
     * {@code destination}. On any failure the temporary file is removed and {@code destination} is left as it was.
     *
     * @throws NoSuchWalFileException       if the archive has no file of that name (PostgreSQL asks for such files:
     *                                      not an error)
     * @throws StoreUnavailableException    if the file is missing and the store holds no WAL file at all: most
     *                                      likely not the archive (a file system not mounted, a mistyped path),
     *                                      which must not read as the end of the archive
     * @throws BackupDecryptionException    if the key does not open it ({@code WRONG_PASSPHRASE}, {@code WRONG_KEY})
     * @throws BackupVerificationException  if the stored object is damaged: its record, its integrity code, or the
     *                                      size or SHA-256 of what it decrypts to
     * @throws IllegalStateException        if the archive was built without a decryption key
     * @throws BackupIoException            if the store cannot be read or the destination cannot be written
     * @since 0.1
     */
    public void fetch(String walFileName, Path destination) {
        Objects.requireNonNull(walFileName, "walFileName");
        Objects.requireNonNull(destination, "destination");
        if (!isWalFileName(walFileName)) {
            throw new IllegalArgumentException("not a WAL file name (a segment, .partial, .history or .backup file): "
                + "\"" + SafePaths.printable(walFileName) + "\"");
        }
        if (decryptionKey == null) {
            throw new IllegalStateException("WAL archive " + store.location() + " was built without a decryption key,"
                + " so it cannot fetch");
        }
        Path target = destination.toAbsolutePath();
        removeStaleTemporaryFiles(target);
        Path temp = temporaryFile(target);
        try {
            Optional<WalMeta> found = meta(walFileName);
            if (found.isEmpty()) {
                throw missing(walFileName);
            }
            WalMeta meta = found.get();
            MessageDigest storedDigest = sha256();
            MessageDigest plainDigest = sha256();
            long plainBytes = 0;
            long storedBytes;
            CountingInput counted;
            try (InputStream raw = openData(walFileName);
                 OutputStream out = Files.newOutputStream(temp)) {
                counted = new CountingInput(new DigestInputStream(raw, storedDigest));
                try (DecryptingStream in = BackupPipeline.decryptingStream(counted, decryptionKey, compression)) {
                    byte[] buffer = new byte[BUFFER];
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        plainDigest.update(buffer, 0, n);
                        out.write(buffer, 0, n);
                        plainBytes += n;
                    }
                } catch (BackupDecryptionException e) {
                    throw decryptionFailure(walFileName, meta, e);
                }
                storedBytes = counted.count;
            }
            String storedSha = hex(storedDigest);
            String plainSha = hex(plainDigest);
            if (storedBytes != meta.storedBytes() || !storedSha.equals(meta.storedSha256())) {
                throw new BackupVerificationException(walFileName, "stored sha256", meta.storedSha256(), storedSha,
                    "WAL archive " + store.location() + ": " + walFileName + "/" + DATA_OBJECT + " has " + storedBytes
                        + " bytes with sha256 " + storedSha + ", but " + meta.storedBytes() + " bytes with sha256 "
                        + meta.storedSha256() + " were recorded at push");
            }
            if (plainBytes != meta.bytes() || !plainSha.equals(meta.sha256())) {
                throw new BackupVerificationException(walFileName, "sha256", meta.sha256(), plainSha,
                    "WAL archive " + store.location() + ": " + walFileName + " decrypts to " + plainBytes
                        + " bytes with sha256 " + plainSha + ", but " + meta.bytes() + " bytes with sha256 "
                        + meta.sha256() + " were pushed");
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            log.debug("WAL archive {}: fetched {} to {}", store.location(), walFileName, target);
        } catch (IOException e) {
            throw new BackupIoException("cannot fetch " + walFileName + " from WAL archive " + store.location()
                + " to " + target + ": " + e.getMessage(), Map.of("store", store.location(), "walFile", walFileName,
                "destination", target.toString()), e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                log.warn("WAL archive {}: cannot remove the temporary file {}: {}", store.location(), temp,
                    e.getMessage());
            }
        }
    }

    /**
     * "No such file", or, when the store holds no WAL file at all, a store that cannot be the archive: recovery
     * told "no such file" ends there and promotes, so an archive whose file system is not mounted (an empty mount
     * point), a mistyped path or another bucket must not read as the end of the archive.
     */
    private RuntimeException missing(String walFileName) throws IOException {
        if (!store.isEmpty()) {
            return new NoSuchWalFileException(walFileName, store.location());
        }
        return new StoreUnavailableException("WAL archive " + store.location() + " holds no WAL file at all, so it"
            + " cannot tell whether " + walFileName + " was archived: is this the archive, and is its file system"
            + " mounted (its bucket and prefix right)?", Map.of("store", store.location(), "walFile", walFileName),
            null);
    }

    /**
     * A new name beside {@code target} to write it under before the rename: one that {@link #fetch} removes once
     * nothing has written to it for a while, should the writer be killed midway.
     */
    static Path temporaryFile(Path target) {
        return target.resolveSibling(temporaryPrefix(target) + Long.toHexString(RANDOM.nextLong()));
    }

    private static String temporaryPrefix(Path target) {
        return "." + target.getFileName() + ".drkit-";
    }

    /**
     * Removes the temporary files of fetches to {@code target} that were killed midway (a {@code wal-fetch} under
     * {@code kill -9}, a crash): up to a segment each, in {@code pg_wal}, which nothing else would ever remove. Only
     * regular files of this naming, not written to for {@value #STALE_TEMPORARY_MINUTES} minutes, are removed: a
     * fetch still writing keeps its file's time fresh. Failing to remove one is a warning, never the fetch's failure.
     */
    private void removeStaleTemporaryFiles(Path target) {
        Path directory = target.getParent();
        if (directory == null) {
            return;
        }
        String prefix = temporaryPrefix(target);
        long staleBefore = System.currentTimeMillis() - java.util.concurrent.TimeUnit.MINUTES.toMillis(
            STALE_TEMPORARY_MINUTES);
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(directory, entry -> {
            String name = entry.getFileName().toString();
            return name.startsWith(prefix) && name.length() > prefix.length()
                && name.substring(prefix.length()).chars().allMatch(c -> Character.digit(c, 16) >= 0);
        })) {
            for (Path entry : entries) {
                java.nio.file.attribute.BasicFileAttributes attributes = Files.readAttributes(entry,
                    java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (attributes.isRegularFile() && attributes.lastModifiedTime().toMillis() < staleBefore
                    && Files.deleteIfExists(entry)) {
                    log.info("WAL archive {}: removed {} ({} bytes), left by a fetch that was killed midway",
                        store.location(), entry, attributes.size());
                }
            }
        } catch (IOException e) {
            log.warn("WAL archive {}: cannot look for temporary files of killed fetches beside {}: {}",
                store.location(), target, e.getMessage());
        }
    }

    /**
     * The names of the archived files, in ascending order (segments sort by timeline, then position).
     *
     * @throws BackupIoException if the store cannot be read
     * @since 0.1
     */
    public List<String> list() {
        try {
            List<String> names = new ArrayList<>();
            for (String id : store.list()) {
                if (isWalFileName(id)) {
                    names.add(id);
                }
            }
            return List.copyOf(names);
        } catch (IOException e) {
            throw new BackupIoException("cannot list WAL archive " + store.location() + ": " + e.getMessage(),
                Map.of("store", store.location()), e);
        }
    }

    /**
     * Whether the archive holds a file of this name (a complete entry).
     *
     * @throws BackupIoException           if the store cannot be read
     * @throws BackupVerificationException if the file's record is damaged, or lost while its data is there
     * @since 0.1
     */
    public boolean contains(String walFileName) {
        try {
            return isWalFileName(walFileName) && meta(walFileName).isPresent();
        } catch (IOException e) {
            throw new BackupIoException("cannot read WAL archive " + store.location() + ": " + e.getMessage(),
                Map.of("store", store.location(), "walFile", walFileName), e);
        }
    }

    /**
     * Wipes the key derived from a passphrase for pushing, if one was derived. The archive cannot push afterwards;
     * it can still fetch. Does not close the store or the keys.
     *
     * @since 0.1
     */
    @Override
    public synchronized void close() {
        closed = true;
        if (derivedPassphrase != null) {
            derivedPassphrase.wipe();
            derivedPassphrase = null;
        }
    }

    // ------------------------------------------------------------------------------------------------ internals

    /** The key derived once from the encryption's passphrase, or {@code null} for public-key recipients only. */
    private synchronized @Nullable DerivedPassphraseMethod derivedPassphrase() throws IOException {
        if (closed) {
            throw new IllegalStateException("WAL archive " + store.location() + " is closed, so it cannot push");
        }
        if (derivedPassphrase == null) {
            PassphraseEncryption passphrase = encryption instanceof PassphraseEncryption p ? p
                : encryption instanceof RecipientEncryption r ? r.passphrase().orElse(null) : null;
            if (passphrase != null) {
                derivedPassphrase = DerivedPassphraseMethod.derive(passphrase, RANDOM);
            }
        }
        return derivedPassphrase;
    }

    /**
     * The plaintext size recorded at push for {@code name}, without fetching it; empty if the archive has no such
     * file.
     *
     * @throws BackupVerificationException if the record is damaged
     */
    Optional<Long> recordedBytes(String name) throws IOException {
        return meta(name).map(WalMeta::bytes);
    }

    /**
     * The first {@code n} bytes of {@code name}'s plaintext, decrypting only as far as they need. They are not
     * authenticated (OpenPGP's integrity check is at the message's end): for reading a segment's header, whose
     * content a later {@link #fetch} verifies. Opening the message checks the key.
     *
     * @throws NoSuchWalFileException       if the archive has no such file
     * @throws BackupDecryptionException    if the key does not open it
     * @throws BackupVerificationException  if what it decrypts is damaged
     */
    byte[] head(String name, int n) throws IOException {
        if (decryptionKey == null) {
            throw new IllegalStateException("WAL archive " + store.location() + " was built without a decryption key,"
                + " so it cannot read " + name);
        }
        WalMeta meta = meta(name).orElseThrow(() -> new NoSuchWalFileException(name, store.location()));
        try (InputStream raw = openData(name);
             DecryptingStream in = BackupPipeline.decryptingStream(raw, decryptionKey, compression)) {
            return in.readNBytes(n);
        } catch (BackupDecryptionException e) {
            throw decryptionFailure(name, meta, e);
        }
    }

    /** Damage is a verification failure of the stored object; a key that does not open it stays a decryption one. */
    private RuntimeException decryptionFailure(String name, WalMeta meta, BackupDecryptionException e) {
        if (e.reason() == BackupDecryptionException.Reason.DAMAGED) {
            return new BackupVerificationException(name, "stored object", meta.storedSha256(), null, "WAL archive "
                + store.location() + ": " + name + "/" + DATA_OBJECT + " is damaged: " + e.getMessage());
        }
        return new BackupDecryptionException(e.reason(), "WAL archive " + store.location() + ": cannot decrypt "
            + name + ": " + e.getMessage(), e.recipientKeyIds(), e);
    }

    /** The stored record of {@code name} as it is in the store, or empty if the archive has no such file. */
    Optional<byte[]> recordBytes(String name) throws IOException {
        try (InputStream in = store.open(name, META_OBJECT)) {
            return Optional.of(in.readNBytes(WalMeta.MAX_BYTES + 1));
        } catch (NoSuchBackupException e) {
            return Optional.empty();
        }
    }

    private Optional<WalMeta> meta(String name) throws IOException {
        Optional<byte[]> read = recordBytes(name);
        if (read.isEmpty() && hasData(name)) {
            // A push commits its data and record together; one committed between the two looks above shows its
            // data but not yet the record seen a moment before. Look once more before calling the record lost.
            read = recordBytes(name);
            if (read.isEmpty()) {
                // Not "no such file": recovery would end there and promote, with this file's WAL unread.
                throw new BackupVerificationException(name, "record", null, null, "WAL archive "
                    + store.location() + ": " + name + " has its " + DATA_OBJECT + " but no " + META_OBJECT
                    + ": the record is lost, so the file cannot be checked");
            }
        }
        if (read.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes = read.get();
        try {
            WalMeta meta = WalMeta.parse(bytes);
            if (!meta.name().equals(name)) {
                throw new WalMeta.InvalidMetaException("names " + meta.name());
            }
            return Optional.of(meta);
        } catch (WalMeta.InvalidMetaException e) {
            throw new BackupVerificationException(name, "record", null, null, "WAL archive " + store.location() + ": "
                + name + "/" + META_OBJECT + " " + e.getMessage() + ": the record is damaged");
        }
    }

    private boolean hasData(String name) throws IOException {
        try {
            store.size(name, DATA_OBJECT);
            return true;
        } catch (NoSuchBackupException e) {
            return false;
        }
    }

    private InputStream openData(String name) throws IOException {
        try {
            return store.open(name, DATA_OBJECT);
        } catch (NoSuchBackupException e) {
            throw new BackupVerificationException(name, "stored object", null, null, "WAL archive "
                + store.location() + ": " + name + " has a record but no " + DATA_OBJECT);
        }
    }

    private WalPushResult compare(Path walFile, WalMeta archived) throws IOException {
        MessageDigest digest = sha256();
        long bytes = 0;
        try (InputStream in = Files.newInputStream(walFile)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
                bytes += n;
            }
        }
        String sha = hex(digest);
        if (bytes != archived.bytes() || !sha.equals(archived.sha256())) {
            throw new WalConflictException(archived.name(), store.location(), archived.sha256(), archived.bytes(), sha,
                bytes);
        }
        // The record matches, but success tells PostgreSQL it may recycle the file: the stored copy must be there.
        long stored;
        try {
            stored = store.size(archived.name(), DATA_OBJECT);
        } catch (NoSuchBackupException e) {
            stored = -1;
        }
        if (stored != archived.storedBytes()) {
            throw new BackupVerificationException(archived.name(), "stored object", Long.toString(
                archived.storedBytes()), Long.toString(stored), "WAL archive " + store.location() + ": "
                + archived.name() + " is archived with identical content, but its " + DATA_OBJECT + " is "
                + (stored < 0 ? "missing" : stored + " bytes where its record says " + archived.storedBytes())
                + ": the archived copy is damaged, and this push fails so that PostgreSQL keeps the file; move the"
                + " damaged entry aside to archive it again");
        }
        // The push that archived it may have been killed after its entry became visible but before the entry
        // reached the disk: success lets PostgreSQL recycle the file, so the archived copy must survive a crash.
        store.forceToDisk(archived.name());
        log.info("WAL archive {}: {} is archived already with identical content; nothing written", store.location(),
            archived.name());
        return new WalPushResult(archived.name(), bytes, sha, archived.storedBytes(), true);
    }

    /** A file compressed and encrypted into memory, and the pipeline's summary of it. */
    private record Encrypted(ByteArrayOutputStream bytes, PipelineSummary summary) {
    }

    private Encrypted encrypt(Path walFile) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 20);
        try (InputStream in = Files.newInputStream(walFile);
             EncryptingStream out = DefaultEncryptingStream.open(bytes,
                 PipelineSettings.builder(Objects.requireNonNull(encryption)).compression(compression).build(),
                 derivedPassphrase())) {
            copy(in, out);
            out.close();
            return new Encrypted(bytes, out.summary());
        }
    }

    private static void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[BUFFER];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
        }
    }

    private static String describe(Compression compression) {
        return compression.isZstd() ? "zstd-" + compression.level() : "none";
    }

    private static String describe(Encryption encryption) {
        if (encryption instanceof RecipientEncryption r) {
            return "recipients:" + String.join("+", r.fingerprints())
                + (r.passphrase().isPresent() ? "+passphrase" : "");
        }
        return "passphrase";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Counts the bytes read through it. */
    private static final class CountingInput extends java.io.FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            int n = super.read(bytes, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

    /**
     * Builds a {@link WalArchive}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {
        private final BackupStore store;
        private @Nullable Encryption encryption;
        private @Nullable DecryptionKey decryptionKey;
        private Compression compression = Compression.zstd(DEFAULT_ZSTD_LEVEL);

        private Builder(BackupStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** How pushed files are encrypted: needed to push. */
        public Builder encryption(Encryption encryption) {
            this.encryption = Objects.requireNonNull(encryption, "encryption");
            return this;
        }

        /** The key that opens archived files: needed to fetch. */
        public Builder decryptionKey(DecryptionKey key) {
            this.decryptionKey = Objects.requireNonNull(key, "decryptionKey");
            return this;
        }

        /**
         * The zstd level of pushed files; default {@value WalArchive#DEFAULT_ZSTD_LEVEL}. Fetching reads any level.
         *
         * @throws IllegalArgumentException unless {@code compression} is zstd
         */
        public Builder compression(Compression compression) {
            Objects.requireNonNull(compression, "compression");
            if (!compression.isZstd()) {
                throw new IllegalArgumentException("a WAL archive compresses with zstd, but compression was "
                    + compression);
            }
            this.compression = compression;
            return this;
        }

        /** The archive. */
        public WalArchive build() {
            return new WalArchive(this);
        }
    }
}
