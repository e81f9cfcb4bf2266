package dev.drkit.backup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.backup.ManifestException.Reason;
import dev.drkit.backup.internal.Digests;
import dev.drkit.backup.internal.SafePaths;
import dev.drkit.backup.store.StoreNames;
import dev.drkit.core.secret.Secret;
import org.jspecify.annotations.Nullable;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Writing and strictly reading manifest files; see {@link BackupManifest} for the layout. */
final class ManifestFormat {

    static final String PREFIX = "{\"format\":\"" + BackupManifest.FORMAT + "\",\"body\":";
    private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.US_ASCII);
    static final String PREFIX_PARTS = "{\"format\":\"" + BackupManifest.FORMAT_PARTS + "\",\"body\":";
    private static final byte[] PREFIX_PARTS_BYTES = PREFIX_PARTS.getBytes(StandardCharsets.US_ASCII);
    static final String PREFIX_ENTRIES = "{\"format\":\"" + BackupManifest.FORMAT_ENTRIES + "\",\"body\":";
    private static final byte[] PREFIX_ENTRIES_BYTES = PREFIX_ENTRIES.getBytes(StandardCharsets.US_ASCII);
    /** The longest line of an entries object: two paths of {@link SafePaths#MAX_LENGTH} escaped, and the rest. */
    static final int MAX_ENTRY_LINE = 64 * 1024;
    /** {@code ,"bodySha256":"<64>","bodyHmacSha256":"<64>"}\n} */
    private static final Pattern SUFFIX = Pattern.compile(
        ",\"bodySha256\":\"([0-9a-f]{64})\",\"bodyHmacSha256\":\"([0-9a-f]{64})\"}\n");
    private static final int SUFFIX_LENGTH = ",\"bodySha256\":\"\",\"bodyHmacSha256\":\"\"}\n".length() + 128;
    private static final Pattern FORMAT_NAME = Pattern.compile("drkit\\.backup-manifest/([0-9]{1,9})");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern FINGERPRINT = Pattern.compile("[0-9A-F]{40}|[0-9A-F]{64}");
    static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");
    static final int MAX_LABEL_VALUE = 256;
    static final int MAX_LABELS = 64;
    private static final int MAX_RECIPIENTS = 64;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(8)
            .maxNumberLength(24)
            .maxStringLength(64 * 1024)
            .maxDocumentLength(BackupManifest.MAX_BYTES)
            .build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build())
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    /** Reads one value of a parser that goes on after it (the mapper would refuse what follows). */
    private static final ObjectReader VALUE_READER = MAPPER.reader()
        .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ManifestFormat() {
    }

    // ------------------------------------------------------------------ writing

    /** Serializes {@code fields}, computes both digests (the HMAC under {@code manifestKey}) and returns the manifest. */
    static BackupManifest seal(BackupManifest.Fields fields, Secret manifestKey) {
        return seal(fields, manifestKey, BackupManifest.MAX_BYTES);
    }

    /**
     * As {@link #seal(BackupManifest.Fields, Secret)}, refusing a manifest whose file would be larger than
     * {@code maxBytes}: no reader would accept it.
     *
     * @throws ManifestTooLargeException if the file would be larger than {@code maxBytes}
     */
    static BackupManifest seal(BackupManifest.Fields fields, Secret manifestKey, long maxBytes) {
        byte[] body = body(fields, maxBytes - overhead(version(fields)), maxBytes);
        String sha = sha256(body);
        String hmac = hmac(body, manifestKey);
        return new BackupManifest(fields, body, sha, hmac);
    }

    /** The bytes of a manifest file besides its body: the prefix and the two digests. */
    static int overhead(boolean parts) {
        return overhead(parts ? BackupManifest.FORMAT_VERSION_PARTS : BackupManifest.FORMAT_VERSION);
    }

    private static int overhead(int version) {
        return prefix(version).length + SUFFIX_LENGTH;
    }

    /** The format version the manifest of {@code f} is written in. */
    static int version(BackupManifest.Fields f) {
        return f.entriesObject != null ? BackupManifest.FORMAT_VERSION_ENTRIES
            : f.parts != null ? BackupManifest.FORMAT_VERSION_PARTS : BackupManifest.FORMAT_VERSION;
    }

    private static byte[] prefix(int version) {
        switch (version) {
            case BackupManifest.FORMAT_VERSION:
                return PREFIX_BYTES;
            case BackupManifest.FORMAT_VERSION_PARTS:
                return PREFIX_PARTS_BYTES;
            case BackupManifest.FORMAT_VERSION_ENTRIES:
                return PREFIX_ENTRIES_BYTES;
            default:
                throw new IllegalArgumentException("no manifest format " + version);
        }
    }

    /**
     * The size in bytes of the manifest file of {@code f} with its entries in it (formats 1 and 2), whose
     * {@link #entryBytes} add up to {@code entryBytes} (the writer has counted them already): what decides whether
     * they must go to an entries object instead.
     */
    static long inlineFileSize(BackupManifest.Fields f, long entryBytes) {
        return overhead(f.parts != null) + listBodySize(header(f), entryBytes, entries(f).size());
    }

    /** One line of an entries object: {@code entry} as the manifest's list would hold it, and a newline. */
    static byte[] entryLine(ManifestEntry entry) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(entryNode(entry));
            byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
            line[json.length] = '\n';
            return line;
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a manifest entry", e);
        }
    }

    /**
     * The bytes {@code entry} takes in a manifest's body, with the comma that separates it from the next: the sum
     * over a backup's entries is a lower bound of its body's size, so a writer can stop as soon as it passes the
     * limit.
     */
    static int entryBytes(ManifestEntry entry) {
        return entryLine(entry).length;     // its JSON and a comma, as many bytes as the line and its newline
    }

    /** The refusal of backup {@code id}, whose manifest would be larger than {@code limit} bytes. */
    static ManifestTooLargeException tooLarge(String id, String source, long entries, long limit) {
        return new ManifestTooLargeException(id, entries, limit, "Backup " + id + " of " + source + " refused: "
            + "its manifest would list " + entries + " entries in more than " + limit + " bytes, the most drkit "
            + "reads back; nothing was kept. Back the directory up in several backups (one per subdirectory), or "
            + "archive it into one file (tar -cf tree.tar DIR) and back up that file");
    }

    /** The refusal of backup {@code id}, whose directory has more than {@code limit} entries. */
    static ManifestTooLargeException tooManyEntries(String id, String source, long entries, int limit) {
        return new ManifestTooLargeException(id, entries, limit, "Backup " + id + " of "
            + source + " refused: it has more than " + limit + " entries, the most a restore "
            + "holds in memory; nothing was kept. Back the directory up in several backups (one per subdirectory), "
            + "or archive it into one file (tar -cf tree.tar DIR) and back up that file");
    }

    /** The refusal of the backup of {@code f}, whose manifest would be larger than {@code limit} bytes. */
    private static ManifestTooLargeException tooLarge(BackupManifest.Fields f, long limit) {
        if (entries(f).isEmpty() && f.parts != null) {
            // what fills the manifest is its list of parts
            return new ManifestTooLargeException(f.id, f.entryCount, limit, "Backup " + f.id + " of "
                + kindName(f.sourceKind) + " " + SafePaths.printable(f.sourceName) + " refused: its manifest would "
                + "list " + f.parts.size() + " parts in more than " + limit + " bytes, the most drkit reads back; "
                + "nothing was kept. Use larger parts (--part-size, BackupEngine.Builder.partBytes)");
        }
        return tooLarge(f.id, kindName(f.sourceKind) + " " + SafePaths.printable(f.sourceName), entries(f).size(),
            limit);
    }

    static byte[] body(BackupManifest.Fields f) {
        return body(f, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * The body's JSON, written entry by entry so that a large tree needs no JSON tree of all its entries in memory.
     *
     * @throws ManifestTooLargeException as soon as it passes {@code maxBodyBytes} ({@code maxFileBytes} for the file)
     */
    private static byte[] body(BackupManifest.Fields f, long maxBodyBytes, long maxFileBytes) {
        ObjectNode header = header(f);
        // The exact size, so that the bytes are allocated once: a growing buffer would need 1.5 times as much again.
        long size = bodySize(f, header);
        if (size > maxBodyBytes) {
            throw tooLarge(f, maxFileBytes);
        }
        BoundedBytes out = new BoundedBytes(maxBodyBytes, (int) size);
        try (JsonGenerator json = MAPPER.createGenerator(out)) {
            writeBody(json, header, entries(f));
        } catch (BoundedBytes.Full e) {
            throw tooLarge(f, maxFileBytes);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a manifest", e);
        }
        return out.bytes();
    }

    /**
     * Writes the manifest file of {@code f} to {@code out}, byte for byte what {@code seal(f, manifestKey,
     * maxBytes).writeTo(out)} writes, without holding the body in memory: the body is hashed and MACed as it is
     * written, and the digests follow it. Returns the manifest as a summary ({@link BackupManifest#hasEntries()}
     * false). Nothing is written when the file would be larger than {@code maxBytes}.
     *
     * @throws ManifestTooLargeException if the file would be larger than {@code maxBytes}
     * @throws IOException               if {@code out} fails
     */
    static BackupManifest sealTo(BackupManifest.Fields f, Secret manifestKey, long maxBytes, OutputStream out)
        throws IOException {
        int version = version(f);
        List<ManifestEntry> entries = entries(f);
        ObjectNode header = header(f);
        long size = bodySize(f, header);
        if (size > maxBytes - overhead(version)) {
            throw tooLarge(f, maxBytes);
        }
        MessageDigest sha = Digests.sha256();
        Mac mac = hmacSha256(manifestKey);
        out.write(prefix(version));
        DigestingOutput body = new DigestingOutput(out, sha, mac);
        try (JsonGenerator json = MAPPER.createGenerator(body)) {
            writeBody(json, header, entries);
        }
        if (body.count != size) {
            throw new IllegalStateException("the manifest body took " + body.count + " bytes, " + size + " expected");
        }
        String shaHex = Digests.hex(sha);
        String hmacHex = HexFormat.of().formatHex(mac.doFinal());
        out.write(suffix(shaHex, hmacHex));
        return new BackupManifest(f, null, shaHex, hmacHex);
    }

    private static List<ManifestEntry> entries(BackupManifest.Fields f) {
        if (f.entriesObject != null) {
            return List.of();   // written as the object's description, in the header
        }
        if (f.entries == null) {
            throw new IllegalStateException("the fields hold no entries to write");
        }
        return f.entries;
    }

    /** The exact size of the body of {@code f}, whose fields but the entries are {@code header}. */
    private static long bodySize(BackupManifest.Fields f, ObjectNode header) {
        if (f.entriesObject != null) {
            return headerBytes(header);     // format 3: the header is the whole body
        }
        List<ManifestEntry> entries = entries(f);
        long entryBytes = 0;
        for (ManifestEntry e : entries) {
            entryBytes += entryBytes(e);
        }
        return listBodySize(header, entryBytes, entries.size());
    }

    /**
     * The exact size of a body of {@code header} and a list of {@code count} entries whose {@link #entryBytes}
     * add up to {@code entryBytes}.
     */
    private static long listBodySize(ObjectNode header, long entryBytes, int count) {
        return headerBytes(header) - 1 + ",\"entries\":[".length() + 2 + entryBytes - (count == 0 ? 0 : 1);
    }

    private static long headerBytes(ObjectNode header) {
        try {
            return MAPPER.writeValueAsBytes(header).length;
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a manifest", e);
        }
    }

    /** The body's JSON, written entry by entry so that a large tree needs no JSON tree of all its entries. */
    private static void writeBody(JsonGenerator json, ObjectNode header, List<ManifestEntry> entries)
        throws IOException {
        json.writeStartObject();
        for (Map.Entry<String, JsonNode> field : header.properties()) {
            json.writeFieldName(field.getKey());
            json.writeTree(field.getValue());
        }
        if (header.has("entries")) {
            json.writeEndObject();  // format 3: the entries object's description is part of the header
            return;
        }
        json.writeArrayFieldStart("entries");
        for (ManifestEntry e : entries) {
            json.writeTree(entryNode(e));
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    /** Passes bytes on to a stream it never closes, hashing, MACing and counting them. */
    private static final class DigestingOutput extends OutputStream {
        private final OutputStream out;
        private final MessageDigest sha;
        private final Mac mac;
        long count;

        DigestingOutput(OutputStream out, MessageDigest sha, Mac mac) {
            this.out = out;
            this.sha = sha;
            this.mac = mac;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            sha.update(b, off, len);
            mac.update(b, off, len);
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            flush();    // the caller closes the stream it gave
        }
    }

    /** Everything in a body but its entries, in the order written. */
    private static ObjectNode header(BackupManifest.Fields f) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("id", f.id);
        body.put("startedAt", String.valueOf(f.startedAt));
        body.put("finishedAt", String.valueOf(f.finishedAt));
        ObjectNode source = body.putObject("source");
        source.put("kind", kindName(f.sourceKind));
        source.put("name", f.sourceName);
        if (f.sourceMode != null) {
            source.put("mode", String.format("%04o", f.sourceMode));
        }
        if (f.sourceMtime != null) {
            source.put("mtime", f.sourceMtime.toString());
        }
        ObjectNode labels = body.putObject("labels");
        new TreeMap<>(f.labels).forEach(labels::put);
        ObjectNode compression = body.putObject("compression");
        if (f.compression.isZstd()) {
            compression.put("algorithm", "zstd");
            compression.put("level", f.compression.level());
        } else {
            compression.put("algorithm", "none");
        }
        ObjectNode encryption = body.putObject("encryption");
        encryption.put("format", "openpgp");
        encryption.put("cipher", "AES-256");
        encryption.put("mode", f.encryptionMode);
        if (BackupManifest.MODE_PASSPHRASE.equals(f.encryptionMode)) {
            encryption.put("s2kBytes", f.s2kBytes);
        } else {
            ArrayNode recipients = encryption.putArray("recipients");
            f.recipients.forEach(recipients::add);
            if (f.s2kBytes > 0) {
                encryption.put("s2kBytes", f.s2kBytes);
            }
        }
        ObjectNode plaintext = body.putObject("plaintext");
        plaintext.put("format", f.sourceKind == SourceKind.DIRECTORY ? "tar" : "raw");
        plaintext.put("bytes", f.plaintextBytes);
        plaintext.put("sha256", f.plaintextSha256);
        ObjectNode ciphertext = body.putObject("ciphertext");
        if (f.parts == null) {
            ciphertext.put("object", BackupManifest.DATA_OBJECT_NAME);
        }
        ciphertext.put("bytes", f.ciphertextBytes);
        ciphertext.put("sha256", f.ciphertextSha256);
        if (f.parts != null) {
            ArrayNode parts = ciphertext.putArray("parts");
            for (DataPart part : f.parts) {
                ObjectNode node = parts.addObject();
                node.put("object", part.object());
                node.put("bytes", part.bytes());
                node.put("sha256", part.sha256());
            }
        }
        if (f.entriesObject != null) {
            ObjectNode entries = body.putObject("entries");
            entries.put("object", f.entriesObject.object());
            entries.put("count", f.entryCount);
            entries.put("bytes", f.entriesObject.bytes());
            entries.put("sha256", f.entriesObject.sha256());
        }
        return body;
    }

    private static ObjectNode entryNode(ManifestEntry e) {
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        entry.put("path", e.path());
        entry.put("type", typeName(e.type()));
        if (e.type() == EntryType.FILE) {
            entry.put("size", e.size());
        }
        if (e.type() != EntryType.SYMLINK) {
            entry.put("mode", e.modeOctal());
        }
        entry.put("mtime", e.mtime().toString());
        e.sha256().ifPresent(sha -> entry.put("sha256", sha));
        e.linkTarget().ifPresent(target -> entry.put("target", target));
        return entry;
    }

    /** A byte array output that refuses to grow past a limit. */
    private static final class BoundedBytes extends java.io.ByteArrayOutputStream {
        private final long limit;

        BoundedBytes(long limit, int expected) {
            super(Math.max(32, expected));
            this.limit = limit;
        }

        /** The bytes written: the buffer itself when it was sized exactly, else a copy. */
        byte[] bytes() {
            return count == buf.length ? buf : toByteArray();
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if ((long) count + len > limit) {
                throw new Full();
            }
            super.write(b, off, len);
        }

        /** Thrown when the limit would be passed; unchecked, so that it passes through Jackson unchanged. */
        static final class Full extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Full() {
                super("manifest limit reached", null, false, false);
            }
        }
    }

    static byte[] file(byte[] body, String sha, String hmac) {
        return file(body, sha, hmac, false);
    }

    static byte[] file(byte[] body, String sha, String hmac, boolean parts) {
        return file(body, 0, body.length, sha, hmac,
            parts ? BackupManifest.FORMAT_VERSION_PARTS : BackupManifest.FORMAT_VERSION);
    }

    /** The manifest file of format {@code version} whose body is {@code body}. */
    static byte[] file(byte[] body, String sha, String hmac, int version) {
        return file(body, 0, body.length, sha, hmac, version);
    }

    /** The manifest file of the body that is {@code length} bytes of {@code bytes} from {@code offset}. */
    static byte[] file(byte[] bytes, int offset, int length, String sha, String hmac, int version) {
        byte[] suffix = suffix(sha, hmac);
        byte[] prefix = prefix(version);
        ByteBuffer out = ByteBuffer.allocate(prefix.length + length + suffix.length);
        return out.put(prefix).put(bytes, offset, length).put(suffix).array();
    }

    /** Writes what {@link #file(byte[], int, int, String, String, int)} returns to {@code out}. */
    static void writeFile(java.io.OutputStream out, byte[] bytes, int offset, int length, String sha, String hmac,
                          int version) throws IOException {
        out.write(prefix(version));
        out.write(bytes, offset, length);
        out.write(suffix(sha, hmac));
    }

    private static byte[] suffix(String sha, String hmac) {
        return (",\"bodySha256\":\"" + sha + "\",\"bodyHmacSha256\":\"" + hmac + "\"}\n")
            .getBytes(StandardCharsets.US_ASCII);
    }

    static String kindName(SourceKind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    static String typeName(EntryType type) {
        switch (type) {
            case FILE:
                return "file";
            case DIRECTORY:
                return "dir";
            default:
                return "symlink";
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Parses untrusted bytes. Every failure is a {@link ManifestException}; nothing else escapes.
     *
     * @param expectedId the id the manifest must carry, or {@code null} to accept any
     */
    static BackupManifest parse(byte[] bytes, @Nullable String expectedId) {
        return parse(bytes, expectedId, true);
    }

    /**
     * As {@link #parse(byte[], String)}; without {@code keepEntries} the result is a summary
     * ({@link BackupManifest#hasEntries()} false): every entry is still checked, but none is kept, nor the body's
     * bytes, so a listing of large directory backups holds only their counts.
     */
    static BackupManifest parse(byte[] bytes, @Nullable String expectedId, boolean keepEntries) {
        try {
            return parseUnchecked(bytes, expectedId, keepEntries);
        } catch (ManifestException e) {
            throw e;
        } catch (RuntimeException e) {
            // Defensive: a check this parser forgot must still end as a refusal, never as a crash.
            throw malformed(expectedId, "unexpected " + e.getClass().getSimpleName(), e);
        }
    }

    private static BackupManifest parseUnchecked(byte[] bytes, @Nullable String expectedId, boolean keepEntries) {
        if (bytes.length > BackupManifest.MAX_BYTES) {
            throw new ManifestException(Reason.TOO_LARGE, expectedId, "Manifest" + of(expectedId) + " is "
                + bytes.length + " bytes, more than the limit of " + BackupManifest.MAX_BYTES, null);
        }
        checkUtf8(bytes, expectedId);
        int version = startsWith(bytes, PREFIX_BYTES) ? BackupManifest.FORMAT_VERSION
            : startsWith(bytes, PREFIX_PARTS_BYTES) ? BackupManifest.FORMAT_VERSION_PARTS
            : startsWith(bytes, PREFIX_ENTRIES_BYTES) ? BackupManifest.FORMAT_VERSION_ENTRIES : 0;
        if (version == 0) {
            // Not our layout: say whether it is another format version, or not a manifest at all.
            String format = formatOf(bytes);
            if (format != null) {
                java.util.regex.Matcher number = FORMAT_NAME.matcher(format);
                if (number.matches() && !Set.of(String.valueOf(BackupManifest.FORMAT_VERSION),
                    String.valueOf(BackupManifest.FORMAT_VERSION_PARTS),
                    String.valueOf(BackupManifest.FORMAT_VERSION_ENTRIES)).contains(number.group(1))) {
                    throw new ManifestException(Reason.UNSUPPORTED_VERSION, expectedId, "Manifest" + of(expectedId)
                        + " has format version " + number.group(1) + "; this drkit reads versions "
                        + BackupManifest.FORMAT_VERSION + ", " + BackupManifest.FORMAT_VERSION_PARTS + " and "
                        + BackupManifest.FORMAT_VERSION_ENTRIES + " only (upgrade drkit)", null);
                }
            }
            throw malformed(expectedId, "it does not start with " + PREFIX + ", " + PREFIX_PARTS + " or "
                + PREFIX_ENTRIES, null);
        }
        byte[] prefix = prefix(version);
        if (bytes.length < prefix.length + SUFFIX_LENGTH + 2) {
            throw malformed(expectedId, "it is too short", null);
        }
        String suffix = new String(bytes, bytes.length - SUFFIX_LENGTH, SUFFIX_LENGTH, StandardCharsets.UTF_8);
        java.util.regex.Matcher digests = SUFFIX.matcher(suffix);
        if (!digests.matches()) {
            throw malformed(expectedId, "it does not end with its two digests in the documented layout", null);
        }
        int bodyStart = prefix.length;
        int bodyLength = bytes.length - SUFFIX_LENGTH - bodyStart;
        // The whole file must be one JSON object with exactly these four fields, so that what a JSON tool
        // shows as "body" is exactly what the digests cover.
        checkOuterObject(bytes, expectedId);
        String sha = digests.group(1);
        MessageDigest bodyDigest = Digests.sha256();
        bodyDigest.update(bytes, bodyStart, bodyLength);
        if (!MessageDigest.isEqual(sha.getBytes(StandardCharsets.US_ASCII),
            Digests.hex(bodyDigest).getBytes(StandardCharsets.US_ASCII))) {
            throw new ManifestException(Reason.CHECKSUM_MISMATCH, expectedId, "Manifest" + of(expectedId)
                + " is damaged: its SHA-256 does not match its body", null);
        }
        // The body's fields as a JSON tree, but its entries one at a time: a tree of a large directory's entries
        // would take several times the manifest's size in heap.
        BackupManifest.Fields fields = fields(headerTree(bytes, bodyStart, bodyLength, expectedId), expectedId,
            version);
        if (expectedId != null && !expectedId.equals(fields.id)) {
            throw new ManifestException(Reason.WRONG_BACKUP, expectedId, "Manifest of backup " + expectedId
                + " belongs to backup " + SafePaths.printable(String.valueOf(fields.id)), null);
        }
        if (version != BackupManifest.FORMAT_VERSION_ENTRIES) {
            readEntries(bytes, bodyStart, bodyLength, fields, keepEntries);
        }
        // A whole manifest keeps the file's bytes for its HMAC (no copy of the body: it can be tens of MiB)
        return new BackupManifest(fields, keepEntries ? bytes : null, bodyStart, bodyLength, sha, digests.group(2));
    }

    /**
     * The body as a JSON tree, with its entries list left empty (or, when it is not a list, as it is, for
     * {@link #fields} to refuse). Fails unless the body is one JSON object and nothing follows it.
     */
    private static ObjectNode headerTree(byte[] bytes, int offset, int length, @Nullable String id) {
        try (JsonParser json = MAPPER.createParser(bytes, offset, length)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw malformed(id, "body is not an object", null);
            }
            ObjectNode header = JsonNodeFactory.instance.objectNode();
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                JsonToken value = json.nextToken();
                if (name.equals("entries") && value == JsonToken.START_ARRAY) {
                    json.skipChildren();
                    header.putArray("entries");
                } else {
                    header.set(name, VALUE_READER.readTree(json));
                }
            }
            if (json.currentToken() != JsonToken.END_OBJECT || json.nextToken() != null) {
                throw malformed(id, "body is not one JSON object", null);
            }
            return header;
        } catch (IOException e) {
            throw malformed(id, "it is not valid JSON (" + e.getClass().getSimpleName() + ")", null);
        }
    }

    /**
     * Reads and checks the body's entries one at a time into {@code f}: all of them, or with {@code keep} false
     * only their number ({@link BackupManifest.Fields#entryCount}); then a repeated path is not looked for, as
     * that would keep every path.
     */
    private static void readEntries(byte[] bytes, int offset, int length, BackupManifest.Fields f, boolean keep) {
        Reader r = new Reader(f.id);
        List<ManifestEntry> list = keep ? new ArrayList<>() : null;
        Set<String> paths = keep ? new HashSet<>() : null;
        int count = 0;
        try (JsonParser json = MAPPER.createParser(bytes, offset, length)) {
            json.nextToken();
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                JsonToken value = json.nextToken();
                if (!name.equals("entries") || value != JsonToken.START_ARRAY) {
                    json.skipChildren();
                    continue;
                }
                while (json.nextToken() != JsonToken.END_ARRAY) {
                    if (f.sourceKind != SourceKind.DIRECTORY) {
                        throw r.fail("a " + kindName(f.sourceKind) + " source has entries");
                    }
                    ManifestEntry parsed = entry(r, VALUE_READER.readTree(json));
                    count++;
                    if (list != null && paths != null) {
                        if (!paths.add(parsed.path())) {
                            throw r.fail("entry " + SafePaths.printable(parsed.path()) + " appears twice");
                        }
                        list.add(parsed);
                    }
                }
                break;
            }
        } catch (IOException e) {
            throw malformed(f.id, "it is not valid JSON (" + e.getClass().getSimpleName() + ")", null);
        }
        f.entries = list;
        f.entryCount = count;
    }

    private static BackupManifest.Fields fields(JsonNode body, @Nullable String id, int version) {
        Reader r = new Reader(id);
        r.object(body, "body", "id", "startedAt", "finishedAt", "source", "labels", "compression", "encryption",
            "plaintext", "ciphertext", "entries");
        BackupManifest.Fields f = new BackupManifest.Fields();
        f.id = r.text(body, "id");
        if (!StoreNames.isValid(f.id)) {
            throw r.fail("id is not a valid backup id");
        }
        r.id = f.id;
        f.startedAt = r.instant(body, "startedAt");
        f.finishedAt = r.instant(body, "finishedAt");
        if (f.finishedAt.isBefore(f.startedAt)) {
            throw r.fail("finishedAt is before startedAt");
        }

        JsonNode source = r.object(body.get("source"), "source", "kind", "name", "mode", "mtime");
        String kind = r.text(source, "kind");
        switch (kind) {
            case "file":
                f.sourceKind = SourceKind.FILE;
                break;
            case "directory":
                f.sourceKind = SourceKind.DIRECTORY;
                break;
            case "stream":
                f.sourceKind = SourceKind.STREAM;
                break;
            default:
                throw r.fail("source.kind is not file, directory or stream");
        }
        f.sourceName = r.text(source, "name");
        if (f.sourceName.isBlank() || f.sourceName.length() > BackupSource.MAX_NAME_LENGTH
            || f.sourceName.chars().anyMatch(Character::isISOControl)) {
            throw r.fail("source.name is not 1 to " + BackupSource.MAX_NAME_LENGTH + " printable characters");
        }
        if (source.has("mode")) {
            f.sourceMode = r.mode(source, "mode");
        }
        if (source.has("mtime")) {
            f.sourceMtime = r.instant(source, "mtime");
        }

        JsonNode labels = body.get("labels");
        if (labels == null || !labels.isObject()) {
            throw r.fail("labels is not an object");
        }
        if (labels.size() > MAX_LABELS) {
            throw r.fail("more than " + MAX_LABELS + " labels");
        }
        Map<String, String> labelMap = new TreeMap<>();
        for (Map.Entry<String, JsonNode> label : labels.properties()) {
            if (!LABEL_KEY.matcher(label.getKey()).matches()) {
                throw r.fail("a label key is not 1 to 63 characters of [A-Za-z0-9._/-]");
            }
            if (!label.getValue().isTextual() || !validLabelValue(label.getValue().textValue())) {
                throw r.fail("label " + label.getKey() + " is not text of at most " + MAX_LABEL_VALUE
                    + " printable characters");
            }
            labelMap.put(label.getKey(), label.getValue().textValue());
        }
        f.labels = labelMap;

        JsonNode compression = body.get("compression");
        String algorithm = r.text(r.object(compression, "compression", "algorithm", "level"), "algorithm");
        if (algorithm.equals("zstd")) {
            long level = r.number(compression, "level", Compression.MIN_ZSTD_LEVEL, Compression.MAX_ZSTD_LEVEL);
            f.compression = Compression.zstd((int) level);
        } else if (algorithm.equals("none") && !compression.has("level")) {
            f.compression = Compression.none();
        } else {
            throw r.fail("compression is neither zstd with a level nor none");
        }

        JsonNode encryption = r.object(body.get("encryption"), "encryption", "format", "cipher", "mode", "s2kBytes",
            "recipients");
        if (!r.text(encryption, "format").equals("openpgp") || !r.text(encryption, "cipher").equals("AES-256")) {
            throw r.fail("encryption is not OpenPGP with AES-256");
        }
        f.encryptionMode = r.text(encryption, "mode");
        if (f.encryptionMode.equals(BackupManifest.MODE_PASSPHRASE) && !encryption.has("recipients")) {
            f.s2kBytes = r.number(encryption, "s2kBytes", PassphraseEncryption.MIN_S2K_BYTES,
                PassphraseEncryption.DEFAULT_S2K_BYTES);
        } else if (f.encryptionMode.equals(BackupManifest.MODE_RECIPIENTS)) {
            if (encryption.has("s2kBytes")) {
                // recipients and, as a fallback, a passphrase
                f.s2kBytes = r.number(encryption, "s2kBytes", PassphraseEncryption.MIN_S2K_BYTES,
                    PassphraseEncryption.DEFAULT_S2K_BYTES);
            }
            JsonNode recipients = encryption.get("recipients");
            if (recipients == null || !recipients.isArray() || recipients.isEmpty()
                || recipients.size() > MAX_RECIPIENTS) {
                throw r.fail("encryption.recipients is not a list of 1 to " + MAX_RECIPIENTS + " fingerprints");
            }
            List<String> fingerprints = new ArrayList<>();
            for (JsonNode fingerprint : recipients) {
                if (!fingerprint.isTextual() || !FINGERPRINT.matcher(fingerprint.textValue()).matches()) {
                    throw r.fail("a recipient is not a key fingerprint of 40 or 64 uppercase hex digits");
                }
                fingerprints.add(fingerprint.textValue());
            }
            f.recipients = fingerprints;
        } else {
            throw r.fail("encryption.mode is not passphrase (with s2kBytes) or recipients (with recipients)");
        }

        JsonNode plaintext = r.object(body.get("plaintext"), "plaintext", "format", "bytes", "sha256");
        String expectedFormat = f.sourceKind == SourceKind.DIRECTORY ? "tar" : "raw";
        if (!r.text(plaintext, "format").equals(expectedFormat)) {
            throw r.fail("plaintext.format is not " + expectedFormat + " for a " + kind + " source");
        }
        f.plaintextBytes = r.number(plaintext, "bytes", 0, Long.MAX_VALUE);
        f.plaintextSha256 = r.sha256(plaintext, "sha256");
        boolean partsFormat = version == BackupManifest.FORMAT_VERSION_PARTS
            || (version == BackupManifest.FORMAT_VERSION_ENTRIES && body.path("ciphertext").has("parts"));
        if (partsFormat) {
            JsonNode ciphertext = r.object(body.get("ciphertext"), "ciphertext", "bytes", "sha256", "parts");
            f.ciphertextBytes = r.number(ciphertext, "bytes", 1, Long.MAX_VALUE);
            f.ciphertextSha256 = r.sha256(ciphertext, "sha256");
            f.parts = parts(r, ciphertext.get("parts"), f.ciphertextBytes);
        } else {
            JsonNode ciphertext = r.object(body.get("ciphertext"), "ciphertext", "object", "bytes", "sha256");
            if (!r.text(ciphertext, "object").equals(BackupManifest.DATA_OBJECT_NAME)) {
                throw r.fail("ciphertext.object is not " + BackupManifest.DATA_OBJECT_NAME);
            }
            f.ciphertextBytes = r.number(ciphertext, "bytes", 1, Long.MAX_VALUE);
            f.ciphertextSha256 = r.sha256(ciphertext, "sha256");
        }

        JsonNode entries = body.get("entries");
        if (version == BackupManifest.FORMAT_VERSION_ENTRIES) {
            r.object(entries, "entries", "object", "count", "bytes", "sha256");
            if (f.sourceKind != SourceKind.DIRECTORY) {
                throw r.fail("a " + kindName(f.sourceKind) + " source has entries");
            }
            if (!r.text(entries, "object").equals(BackupManifest.ENTRIES_OBJECT_NAME)) {
                throw r.fail("entries.object is not " + BackupManifest.ENTRIES_OBJECT_NAME);
            }
            f.entryCount = (int) r.number(entries, "count", 1, BackupManifest.MAX_ENTRIES);
            // every line holds at least {"path":"x","type":"dir","mode":"0755","mtime":"..."} and a newline
            long bytes = r.number(entries, "bytes", f.entryCount, f.entryCount * (MAX_ENTRY_LINE + 1L));
            f.entriesObject = new DataPart(BackupManifest.ENTRIES_OBJECT_NAME, bytes, r.sha256(entries, "sha256"));
            f.entries = null;
            return f;
        }
        if (entries == null || !entries.isArray()) {
            throw r.fail("entries is not a list");
        }
        // the entries themselves: readEntries
        return f;
    }

    /**
     * The parts of a format 2 manifest: 1 to {@link BackupManifest#MAX_PARTS}, named {@code data.00000.pgp},
     * {@code data.00001.pgp}, ... in order, each at least one byte, their sizes adding up to {@code total}.
     */
    private static List<DataPart> parts(Reader r, @Nullable JsonNode parts, long total) {
        if (parts == null || !parts.isArray() || parts.isEmpty() || parts.size() > BackupManifest.MAX_PARTS) {
            throw r.fail("ciphertext.parts is not a list of 1 to " + BackupManifest.MAX_PARTS + " parts");
        }
        List<DataPart> list = new ArrayList<>(parts.size());
        long sum = 0;
        for (JsonNode part : parts) {
            r.object(part, "part", "object", "bytes", "sha256");
            String name = r.text(part, "object");
            if (!name.equals(DataPart.objectName(list.size()))) {
                throw r.fail("part " + list.size() + " is not named " + DataPart.objectName(list.size()));
            }
            long bytes = r.number(part, "bytes", 1, Long.MAX_VALUE);
            sum += bytes;
            if (sum < 0 || sum > total) {
                throw r.fail("the parts hold more than ciphertext.bytes");
            }
            list.add(new DataPart(name, bytes, r.sha256(part, "sha256")));
        }
        if (sum != total) {
            throw r.fail("the parts hold " + sum + " bytes, not ciphertext.bytes " + total);
        }
        return list;
    }

    private static ManifestEntry entry(Reader r, JsonNode entry) {
        r.object(entry, "entry", "path", "type", "size", "mode", "mtime", "sha256", "target");
        String path = r.text(entry, "path");
        String problem = SafePaths.problem(path);
        if (problem != null) {
            throw r.fail("entry path " + problem);
        }
        Instant mtime = r.instant(entry, "mtime");
        String type = r.text(entry, "type");
        switch (type) {
            case "file":
                r.only(entry, "file entry", "path", "type", "size", "mode", "mtime", "sha256");
                return ManifestEntry.file(path, r.number(entry, "size", 0, Long.MAX_VALUE), r.mode(entry, "mode"),
                    mtime, r.sha256(entry, "sha256"));
            case "dir":
                r.only(entry, "directory entry", "path", "type", "mode", "mtime");
                return ManifestEntry.directory(path, r.mode(entry, "mode"), mtime);
            case "symlink":
                r.only(entry, "symlink entry", "path", "type", "mtime", "target");
                String target = r.text(entry, "target");
                if (target.isEmpty() || target.length() > SafePaths.MAX_LENGTH || target.indexOf('\0') >= 0) {
                    throw r.fail("a symlink target is empty, too long or holds a NUL");
                }
                return ManifestEntry.symlink(path, target, mtime);
            default:
                throw r.fail("an entry type is not file, dir or symlink");
        }
    }

    // ------------------------------------------------------------------ entries objects (format 3)

    /**
     * Reads the entries object of the format 3 manifest {@code manifest} from {@code in}, checking every line as
     * strictly as the manifest's own entries, their order (the archive's: depth first, names sorted, so no path can
     * appear twice), their number, the object's size and its SHA-256 against the manifest, whose HMAC covers them.
     * A damaged object fails with {@link Reason#CHECKSUM_MISMATCH}, naming the first line that did not read.
     * Each entry goes to {@code each} as it is read, so a caller that needs only a sum keeps nothing. The entries are
     * not known to be the manifest's until this returns (the SHA-256 is checked at the end): what {@code each} does
     * with them before must be undone if this throws (a restore writes only into its staging copy).
     *
     * @throws ManifestException if the object is damaged or does not hold valid entries
     * @throws IOException       if {@code in} fails
     */
    static void readEntriesObject(java.io.InputStream in, BackupManifest manifest,
                                  java.util.function.Consumer<ManifestEntry> each) throws IOException {
        DataPart object = manifest.entriesObject().orElseThrow(() ->
            new IllegalArgumentException("manifest " + manifest.id() + " has no entries object"));
        String id = manifest.id();
        int count = manifest.entryCount();
        MessageDigest sha = Digests.sha256();
        Reader r = new Reader(id);
        int read = 0;
        java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        byte[] chunk = new byte[64 * 1024];
        byte[] line = new byte[MAX_ENTRY_LINE];
        int lineLength = 0;
        long total = 0;
        String previous = null;
        String problem = null;
        int n;
        while ((n = in.read(chunk)) > 0) {
            total += n;
            if (total > object.bytes()) {
                break;
            }
            sha.update(chunk, 0, n);
            for (int i = 0; i < n && problem == null; i++) {
                if (chunk[i] != '\n') {
                    if (lineLength == line.length) {
                        problem = "line " + (read + 1) + " is longer than " + MAX_ENTRY_LINE + " bytes";
                    } else {
                        line[lineLength++] = chunk[i];
                    }
                    continue;
                }
                r.where = BackupManifest.ENTRIES_OBJECT_NAME + " line " + (read + 1) + ": ";
                try {
                    if (read == count) {
                        throw r.fail("more entries than the " + count + " its manifest records");
                    }
                    String text;
                    try {
                        text = utf8.decode(ByteBuffer.wrap(line, 0, lineLength)).toString();
                    } catch (java.nio.charset.CharacterCodingException e) {
                        throw r.fail("not valid UTF-8");
                    }
                    JsonNode node;
                    try {
                        node = MAPPER.readTree(text);
                    } catch (IOException e) {
                        throw r.fail("not valid JSON (" + e.getClass().getSimpleName() + ")");
                    }
                    ManifestEntry entry = entry(r, node);
                    int order = previous == null ? -1 : compareArchiveOrder(previous, entry.path());
                    if (order == 0) {
                        throw r.fail("entry " + SafePaths.printable(entry.path()) + " appears twice");
                    }
                    if (order > 0) {
                        throw r.fail("entry " + SafePaths.printable(entry.path()) + " is out of archive order "
                            + "(after " + SafePaths.printable(previous) + ")");
                    }
                    previous = entry.path();
                    read++;
                    each.accept(entry);
                } catch (ManifestException e) {
                    problem = e.getMessage();
                }
                lineLength = 0;
            }
        }
        String shaHex = Digests.hex(sha);
        if (total != object.bytes() || !shaHex.equals(object.sha256())) {
            throw new ManifestException(Reason.CHECKSUM_MISMATCH, id, "Entries of backup " + id + " ("
                + BackupManifest.ENTRIES_OBJECT_NAME + ") are damaged: " + (total != object.bytes()
                ? (total > object.bytes() ? "more than " : "") + total + " bytes where its manifest records "
                    + object.bytes()
                : "its SHA-256 does not match its manifest") + (problem == null ? "" : " (" + problem + ")"), null);
        }
        if (problem != null) {
            throw new ManifestException(Reason.MALFORMED, id, problem, null);
        }
        if (lineLength != 0) {
            throw malformed(id, BackupManifest.ENTRIES_OBJECT_NAME + " does not end with a newline", null);
        }
        if (read != count) {
            throw malformed(id, BackupManifest.ENTRIES_OBJECT_NAME + " holds " + read + " entries, its "
                + "manifest records " + count, null);
        }
    }

    /**
     * The order of a directory's archive: depth first, each directory's names sorted ({@link String#compareTo}),
     * a directory before what it holds; that is, paths compared name by name.
     */
    static int compareArchiveOrder(String a, String b) {
        int i = 0;
        int j = 0;
        while (true) {
            int endA = a.indexOf('/', i);
            int endB = b.indexOf('/', j);
            endA = endA < 0 ? a.length() : endA;
            endB = endB < 0 ? b.length() : endB;
            int c = a.substring(i, endA).compareTo(b.substring(j, endB));
            if (c != 0) {
                return c;
            }
            boolean lastA = endA == a.length();
            boolean lastB = endB == b.length();
            if (lastA || lastB) {
                return lastA == lastB ? 0 : lastA ? -1 : 1;
            }
            i = endA + 1;
            j = endB + 1;
        }
    }

    static boolean validLabelValue(String value) {
        return value.length() <= MAX_LABEL_VALUE && value.chars().noneMatch(Character::isISOControl);
    }

    /** Reads fields of one JSON object, failing with a MALFORMED manifest exception that names the field. */
    private static final class Reader {
        @Nullable String id;
        /** Where the fields are, when not in the manifest: put before each failure's text. */
        String where = "";

        Reader(@Nullable String id) {
            this.id = id;
        }

        ManifestException fail(String what) {
            return malformed(id, where + what, null);
        }

        JsonNode object(@Nullable JsonNode node, String name, String... allowed) {
            if (node == null || !node.isObject()) {
                throw fail(name + " is not an object");
            }
            only(node, name, allowed);
            return node;
        }

        void only(JsonNode node, String name, String... allowed) {
            Set<String> known = Set.of(allowed);
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!known.contains(field)) {
                    throw fail(name + " has an unknown field \"" + SafePaths.printable(field) + "\"");
                }
            }
        }

        String text(JsonNode node, String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.isTextual()) {
                throw fail(field + " is missing or not text");
            }
            return value.textValue();
        }

        long number(JsonNode node, String field, long min, long max) {
            JsonNode value = node.get(field);
            if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
                throw fail(field + " is missing or not a whole number");
            }
            long n = value.longValue();
            if (n < min || n > max) {
                throw fail(field + " is " + n + ", outside " + min + ".." + max);
            }
            return n;
        }

        Instant instant(JsonNode node, String field) {
            String text = text(node, field);
            try {
                if (text.length() > 40) {
                    throw new DateTimeParseException("too long", text, 0);
                }
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw fail(field + " is not an ISO-8601 instant");
            }
        }

        String sha256(JsonNode node, String field) {
            String text = text(node, field);
            if (!SHA256.matcher(text).matches()) {
                throw fail(field + " is not 64 lowercase hex digits");
            }
            return text;
        }

        int mode(JsonNode node, String field) {
            String text = text(node, field);
            if (!text.matches("[0-7]{4}")) {
                throw fail(field + " is not four octal digits");
            }
            return Integer.parseInt(text, 8);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static ManifestException malformed(@Nullable String id, String what, @Nullable Throwable cause) {
        return new ManifestException(Reason.MALFORMED, id, "Manifest" + of(id) + " is not a valid drkit manifest: "
            + what, cause);
    }

    private static String of(@Nullable String id) {
        return id == null ? "" : " of backup " + id;
    }

    private static @Nullable String formatOf(byte[] text) {
        try {
            JsonNode node = MAPPER.readTree(text);
            JsonNode format = node == null ? null : node.get("format");
            return format != null && format.isTextual() ? format.textValue() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Fails unless the whole file is one JSON object of exactly format, body, bodySha256 and bodyHmacSha256, so that
     * what a JSON tool shows as "body" is exactly what the digests cover. Streams over the tokens: a JSON tree of a
     * large manifest would cost several times its size in heap, and the body's tree is built once anyway.
     */
    private static void checkOuterObject(byte[] bytes, @Nullable String id) {
        String what = "it must be one JSON object of format, body, bodySha256 and bodyHmacSha256";
        try (com.fasterxml.jackson.core.JsonParser json = MAPPER.createParser(bytes)) {
            if (json.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                throw malformed(id, what, null);
            }
            Set<String> fields = new HashSet<>();
            while (json.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                fields.add(json.currentName());
                json.nextToken();
                json.skipChildren();
            }
            if (json.currentToken() != com.fasterxml.jackson.core.JsonToken.END_OBJECT || json.nextToken() != null
                || !fields.equals(Set.of("format", "body", "bodySha256", "bodyHmacSha256"))) {
                throw malformed(id, what, null);
            }
        } catch (IOException e) {
            throw malformed(id, "it is not valid JSON (" + e.getClass().getSimpleName() + ")", null);
        }
    }

    /** Fails unless {@code bytes} are strict UTF-8; decodes a piece at a time, keeping nothing. */
    private static void checkUtf8(byte[] bytes, @Nullable String id) {
        java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(8192);
        java.nio.charset.CoderResult result;
        do {
            out.clear();
            result = decoder.decode(in, out, true);
            if (result.isError()) {
                throw malformed(id, "it is not valid UTF-8", null);
            }
        } while (result.isOverflow());
        do {
            out.clear();
            result = decoder.flush(out);
            if (result.isError()) {
                throw malformed(id, "it is not valid UTF-8", null);
            }
        } while (result.isOverflow());
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    static String hmac(byte[] body, Secret key) {
        return hmac(body, 0, body.length, key);
    }

    static String hmac(byte[] bytes, int offset, int length, Secret key) {
        Mac mac = hmacSha256(key);
        mac.update(bytes, offset, length);
        return HexFormat.of().formatHex(mac.doFinal());
    }

    /** HMAC-SHA256 keyed with the manifest key {@code key}, ready for the body's bytes. */
    private static Mac hmacSha256(Secret key) {
        return key.withBytes(k -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(k, "HmacSHA256"));
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HMAC-SHA256 is not available", e);
            }
        });
    }

    static boolean hmacMatches(byte[] bytes, int offset, int length, String expectedHex, Secret key) {
        return MessageDigest.isEqual(hmac(bytes, offset, length, key).getBytes(StandardCharsets.US_ASCII),
            expectedHex.getBytes(StandardCharsets.US_ASCII));
    }
}
