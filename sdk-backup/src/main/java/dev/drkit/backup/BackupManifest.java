package dev.drkit.backup;

import dev.drkit.core.secret.Secret;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The record of one backup, stored as {@value #OBJECT_NAME} beside its data ({@value #DATA_OBJECT_NAME}): id,
 * times, source, labels, compression, encryption, sizes and SHA-256 of both the plaintext and the stored
 * ciphertext, and for directory sources every entry's path, type, size, mode, modification time and SHA-256.
 *
 * <h2>Format ({@value #FORMAT}, {@value #FORMAT_PARTS}, {@value #FORMAT_ENTRIES})</h2>
 * The file is one line of JSON (UTF-8) followed by a newline, with exactly this layout:
 * <pre>
 * {"format":"drkit.backup-manifest/1","body":BODY,"bodySha256":"HEX64","bodyHmacSha256":"HEX64"}
 * </pre>
 * (or {@value #FORMAT_PARTS} in place of {@value #FORMAT}, for a backup whose data is split into parts:
 * {@link #parts()}; or {@value #FORMAT_ENTRIES}, for a directory backup of many entries, kept in their own object:
 * {@link #entriesObject()}). {@code BODY} is a JSON object (documented in {@code docs/backup.md}). Both digests are
 * computed over the exact bytes of {@code BODY} as they appear in the file, between {@code "body":} and {@code ,"bodySha256"}:
 * <ul>
 *   <li>{@code bodySha256}: SHA-256, the manifest's own checksum. Anyone can check it without a key (quick
 *       verification); it detects damage, not deliberate edits.</li>
 *   <li>{@code bodyHmacSha256}: HMAC-SHA256 under the backup's manifest key, HKDF-SHA256 of the OpenPGP session
 *       key of {@value #DATA_OBJECT_NAME} ({@link EncryptingStream#manifestKey()}). Only a holder of the backup's
 *       passphrase or private key can check it (full verification, restore); it detects an edited manifest and a
 *       {@value #DATA_OBJECT_NAME} swapped in from another backup. The writer needs no decryption key.</li>
 * </ul>
 *
 * <p>{@link #parse(byte[])} reads untrusted bytes strictly: at most {@value #MAX_BYTES} bytes, the exact layout
 * above, no duplicate or unknown fields, every value checked; a manifest of another format version fails with
 * {@link ManifestException.Reason#UNSUPPORTED_VERSION}. Parsing checks {@code bodySha256};
 * {@link #checkAuthentic(Secret)} checks the HMAC.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public final class BackupManifest {

    /** The format identifier of single-part backups ({@value #DATA_OBJECT_NAME}): {@value}. */
    public static final String FORMAT = "drkit.backup-manifest/1";
    /** The format version number of single-part backups: {@value}. */
    public static final int FORMAT_VERSION = 1;
    /**
     * The format identifier of backups whose data is split into parts ({@code data.00000.pgp}, ...; see
     * {@link #parts()}): {@value}. This drkit reads both versions.
     */
    public static final String FORMAT_PARTS = "drkit.backup-manifest/2";
    /** The format version number of backups split into parts: {@value}. */
    public static final int FORMAT_VERSION_PARTS = 2;
    /**
     * The format identifier of directory backups whose entries are kept in their own object,
     * {@value #ENTRIES_OBJECT_NAME}, one JSON line each, instead of in the manifest (see {@link #entriesObject()}):
     * {@value}. Written only for a directory whose entries would take more than 8 MiB of the manifest (about
     * 40,000 entries); its data is a single {@value #DATA_OBJECT_NAME} or parts, as in the other two versions.
     */
    public static final String FORMAT_ENTRIES = "drkit.backup-manifest/3";
    /** The format version number of backups whose entries are kept in {@value #ENTRIES_OBJECT_NAME}: {@value}. */
    public static final int FORMAT_VERSION_ENTRIES = 3;
    /** The store object holding the entries of a format {@value #FORMAT_VERSION_ENTRIES} backup: {@value}. */
    public static final String ENTRIES_OBJECT_NAME = "entries.jsonl";
    /**
     * The most entries a directory backup may have: {@value}. Restoring one holds its entries in memory (a few
     * hundred bytes each), so a larger tree is refused; back it up in several backups.
     */
    public static final int MAX_ENTRIES = 20_000_000;
    /** The most parts a backup may have: {@value}. */
    public static final int MAX_PARTS = 1_000_000;
    /** The largest manifest read, in bytes: {@value} (about 100,000 directory entries). */
    public static final int MAX_BYTES = 32 * 1024 * 1024;
    /** The store object holding the manifest: {@value}. */
    public static final String OBJECT_NAME = "manifest.json";
    /** The store object holding the encrypted data: {@value}. */
    public static final String DATA_OBJECT_NAME = "data.pgp";
    /** {@link #encryptionMode()} of passphrase backups: {@value}. */
    public static final String MODE_PASSPHRASE = "passphrase";
    /** {@link #encryptionMode()} of backups to public-key recipients: {@value}. */
    public static final String MODE_RECIPIENTS = "recipients";

    private final String id;
    private final Instant startedAt;
    private final Instant finishedAt;
    private final SourceKind sourceKind;
    private final String sourceName;
    private final @Nullable Integer sourceMode;
    private final @Nullable Instant sourceMtime;
    private final SortedMap<String, String> labels;
    private final Compression compression;
    private final String encryptionMode;
    private final long s2kBytes;
    private final List<String> recipients;
    private final long plaintextBytes;
    private final String plaintextSha256;
    private final long ciphertextBytes;
    private final String ciphertextSha256;
    private final @Nullable List<ManifestEntry> entries;
    private final int entryCount;
    private final @Nullable List<DataPart> parts;
    private final @Nullable DataPart entriesObject;
    /** The body is {@code bodyLength} bytes of this array from {@code bodyOffset}: parsing keeps the file's array. */
    private final byte @Nullable [] body;
    private final int bodyOffset;
    private final int bodyLength;
    private final String bodySha256;
    private final String bodyHmacSha256;

    /** A manifest of {@code fields} whose body is all of {@code body}; see the other constructor. */
    BackupManifest(Fields fields, byte @Nullable [] body, String bodySha256, String bodyHmacSha256) {
        this(fields, body, 0, body == null ? 0 : body.length, bodySha256, bodyHmacSha256);
    }

    /**
     * A manifest of {@code fields} whose body is {@code bodyLength} bytes of {@code bytes} from {@code bodyOffset};
     * with {@code bytes} null a summary, as a listing reads it, which keeps the number of entries but not the
     * entries. Takes {@code bytes} as it is: the caller passes an array nobody else changes.
     */
    BackupManifest(Fields fields, byte @Nullable [] bytes, int bodyOffset, int bodyLength, String bodySha256,
                   String bodyHmacSha256) {
        this.id = Objects.requireNonNull(fields.id, "id");
        this.startedAt = Objects.requireNonNull(fields.startedAt, "startedAt");
        this.finishedAt = Objects.requireNonNull(fields.finishedAt, "finishedAt");
        this.sourceKind = Objects.requireNonNull(fields.sourceKind, "sourceKind");
        this.sourceName = Objects.requireNonNull(fields.sourceName, "sourceName");
        this.sourceMode = fields.sourceMode;
        this.sourceMtime = fields.sourceMtime;
        this.labels = Collections.unmodifiableSortedMap(new TreeMap<>(fields.labels));
        this.compression = Objects.requireNonNull(fields.compression, "compression");
        this.encryptionMode = Objects.requireNonNull(fields.encryptionMode, "encryptionMode");
        this.s2kBytes = fields.s2kBytes;
        this.recipients = List.copyOf(fields.recipients);
        this.plaintextBytes = fields.plaintextBytes;
        this.plaintextSha256 = Objects.requireNonNull(fields.plaintextSha256, "plaintextSha256");
        this.ciphertextBytes = fields.ciphertextBytes;
        this.ciphertextSha256 = Objects.requireNonNull(fields.ciphertextSha256, "ciphertextSha256");
        this.entries = bytes == null || fields.entries == null ? null : List.copyOf(fields.entries);
        this.entryCount = fields.entries == null ? fields.entryCount : fields.entries.size();
        this.parts = fields.parts == null ? null : List.copyOf(fields.parts);
        this.entriesObject = fields.entriesObject;
        this.body = bytes;
        this.bodyOffset = bodyOffset;
        this.bodyLength = bodyLength;
        this.bodySha256 = bodySha256;
        this.bodyHmacSha256 = bodyHmacSha256;
    }

    /**
     * Parses a manifest read from a store, checking its layout, every field and its own checksum; not its
     * authenticity ({@link #checkAuthentic(Secret)}).
     *
     * @throws ManifestException if the bytes are not a valid manifest of format {@value #FORMAT_VERSION},
     *                           {@value #FORMAT_VERSION_PARTS} or {@value #FORMAT_VERSION_ENTRIES}
     */
    public static BackupManifest parse(byte[] bytes) {
        // a copy: the manifest keeps the array it was read from, and the caller's may change
        return ManifestFormat.parse(Objects.requireNonNull(bytes, "bytes").clone(), null);
    }

    /**
     * Checks the manifest's HMAC under {@code manifestKey}, the key of the backup's data
     * ({@link DecryptingStream#manifestKey()}).
     *
     * @throws ManifestException with {@link ManifestException.Reason#NOT_AUTHENTIC} if it does not match: the
     *                           manifest was edited, or the data belongs to another backup
     * @throws IllegalStateException if this is a summary ({@link #hasEntries()} false)
     */
    public void checkAuthentic(Secret manifestKey) {
        Objects.requireNonNull(manifestKey, "manifestKey");
        if (!ManifestFormat.hmacMatches(wholeBody(), bodyOffset, bodyLength, bodyHmacSha256, manifestKey)) {
            throw new ManifestException(ManifestException.Reason.NOT_AUTHENTIC, id, "Manifest of backup " + id
                + " is not authentic under the key of its data: the manifest was edited, or "
                + "its data belongs to another backup", null);
        }
    }

    /**
     * The format version: {@value #FORMAT_VERSION} for a backup stored as the single object
     * {@value #DATA_OBJECT_NAME}, {@value #FORMAT_VERSION_PARTS} for one split into parts,
     * {@value #FORMAT_VERSION_ENTRIES} for a directory backup whose entries are in {@value #ENTRIES_OBJECT_NAME}.
     */
    public int formatVersion() {
        return entriesObject != null ? FORMAT_VERSION_ENTRIES : parts == null ? FORMAT_VERSION : FORMAT_VERSION_PARTS;
    }

    /** Whether the data is split into parts ({@code data.00000.pgp}, ...) rather than one {@value #DATA_OBJECT_NAME}. */
    public boolean isParted() {
        return parts != null;
    }

    /**
     * The object holding the entries of a format {@value #FORMAT_VERSION_ENTRIES} backup: its name
     * ({@value #ENTRIES_OBJECT_NAME}), size and SHA-256, which the manifest's body (and so its HMAC) covers.
     * Empty for the other versions, whose entries are in the manifest.
     */
    public Optional<DataPart> entriesObject() {
        return Optional.ofNullable(entriesObject);
    }

    /**
     * The stored objects holding the encrypted data, in order: each an OpenPGP message whose decrypted literal
     * data is the next piece of the compressed stream. A single-part backup (format {@value #FORMAT_VERSION}) has
     * one, {@value #DATA_OBJECT_NAME}, with {@link #ciphertextBytes()} and {@link #ciphertextSha256()}.
     */
    public List<DataPart> parts() {
        return parts != null ? parts : List.of(new DataPart(DATA_OBJECT_NAME, ciphertextBytes, ciphertextSha256));
    }

    /**
     * The bytes of the manifest file, exactly as stored.
     *
     * @throws IllegalStateException if this is a summary ({@link #hasEntries()} false)
     */
    public byte[] toBytes() {
        return ManifestFormat.file(wholeBody(), bodyOffset, bodyLength, bodySha256, bodyHmacSha256, formatVersion());
    }

    /** Writes {@link #toBytes()} to {@code out} without another copy of the body in memory. */
    void writeTo(java.io.OutputStream out) throws java.io.IOException {
        ManifestFormat.writeFile(out, wholeBody(), bodyOffset, bodyLength, bodySha256, bodyHmacSha256,
            formatVersion());
    }

    /** The backup's id. */
    public String id() {
        return id;
    }

    /** When the backup started (when the source was opened). */
    public Instant startedAt() {
        return startedAt;
    }

    /** When all data was written, just before the manifest. */
    public Instant finishedAt() {
        return finishedAt;
    }

    /** What kind of source the backup was made from. */
    public SourceKind sourceKind() {
        return sourceKind;
    }

    /** The source's name (not its path). */
    public String sourceName() {
        return sourceName;
    }

    /** The permission bits of the source file or directory; empty for streams. */
    public OptionalInt sourceMode() {
        return sourceMode == null ? OptionalInt.empty() : OptionalInt.of(sourceMode);
    }

    /** The modification time of the source file or directory; empty for streams. */
    public Optional<Instant> sourceMtime() {
        return Optional.ofNullable(sourceMtime);
    }

    /** The labels, sorted by key. */
    public SortedMap<String, String> labels() {
        return labels;
    }

    /** How the plaintext was compressed. */
    public Compression compression() {
        return compression;
    }

    /** {@value #MODE_PASSPHRASE} or {@value #MODE_RECIPIENTS}. */
    public String encryptionMode() {
        return encryptionMode;
    }

    /** The passphrase S2K count (bytes hashed); empty for recipient backups without a fallback passphrase. */
    public OptionalLong s2kBytes() {
        return s2kBytes > 0 ? OptionalLong.of(s2kBytes) : OptionalLong.empty();
    }

    /** The fingerprints of the recipients' keys (hex); empty for passphrase backups. */
    public List<String> recipients() {
        return recipients;
    }

    /** The plaintext size in bytes (for directories, the size of the tar stream). */
    public long plaintextBytes() {
        return plaintextBytes;
    }

    /** SHA-256 of the plaintext, lowercase hex ({@code zstd -d | sha256sum} after {@code gpg -d}). */
    public String plaintextSha256() {
        return plaintextSha256;
    }

    /** The size of the stored data in bytes ({@value #DATA_OBJECT_NAME}, or all {@link #parts()} together). */
    public long ciphertextBytes() {
        return ciphertextBytes;
    }

    /**
     * SHA-256 of the stored data, lowercase hex: of {@value #DATA_OBJECT_NAME} ({@code sha256sum data.pgp}), or
     * of all {@link #parts()} concatenated in order ({@code cat data.*.pgp | sha256sum}).
     */
    public String ciphertextSha256() {
        return ciphertextSha256;
    }

    /**
     * The entries of a directory backup in archive order; empty for files and streams.
     *
     * @throws IllegalStateException if this is a summary ({@link #hasEntries()} false)
     */
    public List<ManifestEntry> entries() {
        if (entries == null) {
            if (body != null && entriesObject != null) {
                throw new IllegalStateException("Manifest of backup " + id + " keeps its entries in "
                    + ENTRIES_OBJECT_NAME + ": BackupEngine.manifest(\"" + id + "\") reads them with it");
            }
            throw summaryOnly("its entries");
        }
        return entries;
    }

    /** The number of entries of a directory backup (0 for files and streams); known for a summary too. */
    public int entryCount() {
        return entryCount;
    }

    /**
     * Whether this manifest holds its entries and the bytes its HMAC covers: true when read by
     * {@link BackupEngine#manifest(String)} or {@link #parse(byte[])} (for format {@value #FORMAT_VERSION_ENTRIES},
     * whose entries are in another object, only by {@link BackupEngine#manifest(String)}); false for a summary, such as
     * {@link BackupInfo#manifest()} of a listing, which keeps only the fields and the number of entries, so that
     * a list of large directory backups does not hold all their entries.
     */
    public boolean hasEntries() {
        return entries != null;
    }

    private IllegalStateException summaryOnly(String what) {
        return new IllegalStateException("Manifest of backup " + id + " was read as a summary, without " + what
            + ": BackupEngine.manifest(\"" + id + "\") reads it whole");
    }

    private byte[] wholeBody() {
        if (body == null) {
            throw summaryOnly("the bytes its HMAC covers");
        }
        return body;
    }

    /** The manifest's own checksum: SHA-256 of its body, lowercase hex. */
    public String bodySha256() {
        return bodySha256;
    }

    /** A summary without the entries: its {@link BackupInfo#manifest()} holds neither entries nor body bytes. */
    public BackupInfo info() {
        return new BackupInfo(entries == null && body == null ? this : new BackupManifest(this, null, false));
    }

    /** This manifest with the entries read from its {@link #entriesObject()}, which the caller checked. */
    BackupManifest withEntries(List<ManifestEntry> loaded) {
        if (body == null || entriesObject == null || loaded.size() != entryCount) {
            throw new IllegalStateException("entries of manifest " + id + " cannot be added");
        }
        return new BackupManifest(this, List.copyOf(loaded), true);
    }

    /**
     * A copy of {@code whole} with {@code entries}; the body bytes kept with {@code keepBody}, else a summary (its
     * fields and number of entries).
     */
    private BackupManifest(BackupManifest whole, @Nullable List<ManifestEntry> entries, boolean keepBody) {
        this.id = whole.id;
        this.startedAt = whole.startedAt;
        this.finishedAt = whole.finishedAt;
        this.sourceKind = whole.sourceKind;
        this.sourceName = whole.sourceName;
        this.sourceMode = whole.sourceMode;
        this.sourceMtime = whole.sourceMtime;
        this.labels = whole.labels;
        this.compression = whole.compression;
        this.encryptionMode = whole.encryptionMode;
        this.s2kBytes = whole.s2kBytes;
        this.recipients = whole.recipients;
        this.plaintextBytes = whole.plaintextBytes;
        this.plaintextSha256 = whole.plaintextSha256;
        this.ciphertextBytes = whole.ciphertextBytes;
        this.ciphertextSha256 = whole.ciphertextSha256;
        this.entries = entries;
        this.entryCount = whole.entryCount;
        this.parts = whole.parts;
        this.entriesObject = whole.entriesObject;
        this.body = keepBody ? whole.body : null;
        this.bodyOffset = keepBody ? whole.bodyOffset : 0;
        this.bodyLength = keepBody ? whole.bodyLength : 0;
        this.bodySha256 = whole.bodySha256;
        this.bodyHmacSha256 = whole.bodyHmacSha256;
    }

    /** The body bytes the digests cover. */
    byte[] body() {
        return java.util.Arrays.copyOfRange(wholeBody(), bodyOffset, bodyOffset + bodyLength);
    }

    String bodyHmacSha256() {
        return bodyHmacSha256;
    }

    @Override
    public boolean equals(Object other) {
        // The body's SHA-256 stands for the body, which a summary does not keep; a summary equals its whole.
        return other instanceof BackupManifest
            && bodySha256.equals(((BackupManifest) other).bodySha256)
            && bodyHmacSha256.equals(((BackupManifest) other).bodyHmacSha256);
    }

    @Override
    public int hashCode() {
        return bodySha256.hashCode();
    }

    @Override
    public String toString() {
        return "BackupManifest[" + id + ", " + sourceKind.name().toLowerCase(java.util.Locale.ROOT) + " "
            + sourceName + ", " + plaintextBytes + " bytes, " + entryCount + " entries]";
    }

    /** A mutable holder of the fields, for the writer and the parser. */
    static final class Fields {
        @Nullable String id;
        @Nullable Instant startedAt;
        @Nullable Instant finishedAt;
        @Nullable SourceKind sourceKind;
        @Nullable String sourceName;
        @Nullable Integer sourceMode;
        @Nullable Instant sourceMtime;
        Map<String, String> labels = Map.of();
        @Nullable Compression compression;
        @Nullable String encryptionMode;
        long s2kBytes;
        List<String> recipients = List.of();
        long plaintextBytes;
        @Nullable String plaintextSha256;
        long ciphertextBytes;
        @Nullable String ciphertextSha256;
        /** {@code null} when the parser did not keep them: then {@link #entryCount} says how many there were. */
        @Nullable List<ManifestEntry> entries = List.of();
        int entryCount;
        /** {@code null} for a single-part backup (format 1). */
        @Nullable List<DataPart> parts;
        /** The object holding the entries (format 3; {@link #entries} then null), or {@code null}. */
        @Nullable DataPart entriesObject;
    }
}
