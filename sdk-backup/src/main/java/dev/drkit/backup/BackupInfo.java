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
        return manifest.entries().size();
    }

    /** The whole manifest. */
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
