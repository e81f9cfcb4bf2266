package dev.drkit.backup;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Objects;
import java.util.SortedMap;

/**
 * What {@link BackupEngine#backup(BackupSource)} made and {@link BackupEngine#list()} finds: a backup's id, times,
 * source, labels, sizes and checksums, read from its manifest (whose own checksum was checked, not yet its
 * authenticity). Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class BackupInfo {

    /** The labels that tell PostgreSQL backups of one source name apart: see {@link #series()}. */
    private static final java.util.List<String> SERIES_LABELS = java.util.List.of(
        dev.drkit.backup.postgres.PgLabels.KIND, dev.drkit.backup.postgres.PgLabels.DATABASE,
        dev.drkit.backup.postgres.PgLabels.SERVER);

    private final BackupManifest manifest;

    BackupInfo(BackupManifest manifest) {
        this.manifest = Objects.requireNonNull(manifest, "manifest");
    }

    /** The id, sortable by time: {@code 20261123T142501Z-1a2b3c4d}. */
    public String id() {
        return manifest.id();
    }

    /** When the backup started. */
    public Instant startedAt() {
        return manifest.startedAt();
    }

    /** When its data was complete. */
    public Instant finishedAt() {
        return manifest.finishedAt();
    }

    /** The source's kind. */
    public SourceKind sourceKind() {
        return manifest.sourceKind();
    }

    /** The source's name. */
    public String sourceName() {
        return manifest.sourceName();
    }

    /** The labels, sorted by key. */
    public SortedMap<String, String> labels() {
        return manifest.labels();
    }

    /**
     * The series this backup belongs to by what it backs up, for retention
     * ({@link RotationOptions.GroupBy#SOURCE}): the source's kind and name, such as {@code directory vault} or
     * {@code file raft.db}, and for a PostgreSQL backup its {@link dev.drkit.backup.postgres.PgLabels#KIND kind},
     * {@link dev.drkit.backup.postgres.PgLabels#DATABASE database} and
     * {@link dev.drkit.backup.postgres.PgLabels#SERVER server} labels, such as
     * {@code stream orders.dump [pg.kind=dump pg.database=orders pg.server=db1:5432]}. Two sources with the same
     * kind and name (two directories called {@code data}) are one series: name them apart
     * ({@link BackupSource#named(String)}) or rotate them apart by label ({@link RotationOptions.Builder#label}).
     */
    public String series() {
        StringBuilder series = new StringBuilder(ManifestFormat.kindName(sourceKind())).append(' ')
            .append(sourceName());
        StringBuilder pg = new StringBuilder();
        for (String key : SERIES_LABELS) {
            String value = labels().get(key);
            if (value != null) {
                pg.append(pg.length() == 0 ? "" : " ").append(key).append('=').append(value);
            }
        }
        if (pg.length() > 0) {
            series.append(" [").append(pg).append(']');
        }
        return series.toString();
    }

    /** Plaintext size in bytes. */
    public long plaintextBytes() {
        return manifest.plaintextBytes();
    }

    /** SHA-256 of the plaintext. */
    public String plaintextSha256() {
        return manifest.plaintextSha256();
    }

    /** Size of the stored, encrypted data in bytes. */
    public long ciphertextBytes() {
        return manifest.ciphertextBytes();
    }

    /** SHA-256 of the stored, encrypted data. */
    public String ciphertextSha256() {
        return manifest.ciphertextSha256();
    }

    /** Number of entries of a directory backup (0 for files and streams). */
    public int entryCount() {
        return manifest.entryCount();
    }

    /**
     * The manifest's fields as a summary ({@link BackupManifest#hasEntries()} false): without its entries and the
     * bytes its HMAC covers, which {@link BackupEngine#manifest(String)} reads.
     */
    public BackupManifest manifest() {
        return manifest;
    }

    /** This summary as a JSON object (one line), the form {@code drkit list --json} prints. */
    public String toJson() {
        return toJsonNode().toString();
    }

    ObjectNode toJsonNode() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("id", id());
        node.put("startedAt", startedAt().toString());
        node.put("finishedAt", finishedAt().toString());
        ObjectNode source = node.putObject("source");
        source.put("kind", ManifestFormat.kindName(sourceKind()));
        source.put("name", sourceName());
        node.put("series", series());
        ObjectNode labels = node.putObject("labels");
        labels().forEach(labels::put);
        node.put("compression", manifest.compression().toString());
        node.put("encryption", manifest.encryptionMode());
        node.put("plaintextBytes", plaintextBytes());
        node.put("plaintextSha256", plaintextSha256());
        node.put("ciphertextBytes", ciphertextBytes());
        node.put("ciphertextSha256", ciphertextSha256());
        node.put("entries", entryCount());
        return node;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BackupInfo && manifest.equals(((BackupInfo) other).manifest);
    }

    @Override
    public int hashCode() {
        return manifest.hashCode();
    }

    @Override
    public String toString() {
        return "BackupInfo[" + id() + ", " + manifest.sourceKind().name().toLowerCase(java.util.Locale.ROOT) + " "
            + sourceName() + ", " + plaintextBytes() + " bytes, labels=" + labels() + "]";
    }
}
