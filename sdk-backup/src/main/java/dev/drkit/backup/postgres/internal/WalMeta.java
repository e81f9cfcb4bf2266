package dev.drkit.backup.postgres.internal;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The record kept beside each file in a WAL archive ({@code wal.json}): its name, the plaintext size and SHA-256,
 * the stored (compressed and encrypted) size and SHA-256, the compression and how it was encrypted. One flat JSON
 * object of strings and non-negative integers, written and read here without a JSON library (the command runs once
 * per segment, so start-up time counts). The bytes come from a store anyone with write access may have changed:
 * the parser accepts exactly the flat form it writes and refuses everything else with {@link InvalidMetaException}.
 */
public record WalMeta(String name, long bytes, String sha256, long storedBytes, String storedSha256,
                      String compression, String encryption) {

    /** The format tag of the current layout. */
    public static final String FORMAT = "drkit.wal/1";
    /** Larger files are refused unread. */
    public static final int MAX_BYTES = 4096;

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9._:+-]{1,1024}");
    private static final Pattern FIELD = Pattern.compile("\\s*\"([a-zA-Z0-9]{1,32})\"\\s*:\\s*(?:\"([^\"\\\\]{0,1024})\"|(\\d{1,18}))\\s*");

    /** Thrown for bytes that are not a valid record. */
    public static final class InvalidMetaException extends Exception {
        private static final long serialVersionUID = 1L;

        public InvalidMetaException(String message) {
            super(message);
        }
    }

    public WalMeta {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(storedSha256, "storedSha256");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(encryption, "encryption");
    }

    /** The record as UTF-8 JSON, one line and a newline. */
    public byte[] toBytes() {
        String json = "{\"format\":\"" + FORMAT + "\",\"name\":\"" + name + "\",\"bytes\":" + bytes + ",\"sha256\":\""
            + sha256 + "\",\"storedBytes\":" + storedBytes + ",\"storedSha256\":\"" + storedSha256
            + "\",\"compression\":\"" + compression + "\",\"encryption\":\"" + encryption + "\"}\n";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a record written by {@link #toBytes()}. */
    public static WalMeta parse(byte[] bytes) throws InvalidMetaException {
        if (bytes.length > MAX_BYTES) {
            throw new InvalidMetaException("is " + bytes.length + " bytes, more than a record can be");
        }
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        if (text.length() < 2 || text.charAt(0) != '{' || text.charAt(text.length() - 1) != '}') {
            throw new InvalidMetaException("is not a JSON object");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String body = text.substring(1, text.length() - 1);
        if (!body.isBlank()) {
            for (String part : body.split(",", -1)) {
                Matcher m = FIELD.matcher(part);
                if (!m.matches()) {
                    throw new InvalidMetaException("has a field that is not a simple string or number");
                }
                String value = m.group(2) != null ? m.group(2) : m.group(3);
                if (fields.put(m.group(1), value) != null) {
                    throw new InvalidMetaException("has the field " + m.group(1) + " twice");
                }
            }
        }
        if (!FORMAT.equals(fields.get("format"))) {
            throw new InvalidMetaException("has no format \"" + FORMAT + "\"");
        }
        String name = word(fields, "name");
        long size = number(fields, "bytes");
        String sha = hex(fields, "sha256");
        long storedSize = number(fields, "storedBytes");
        String storedSha = hex(fields, "storedSha256");
        return new WalMeta(name, size, sha, storedSize, storedSha, word(fields, "compression"),
            word(fields, "encryption"));
    }

    private static String word(Map<String, String> fields, String key) throws InvalidMetaException {
        String value = fields.get(key);
        if (value == null || !WORD.matcher(value).matches()) {
            throw new InvalidMetaException("has no valid " + key);
        }
        return value;
    }

    private static String hex(Map<String, String> fields, String key) throws InvalidMetaException {
        String value = fields.get(key);
        if (value == null || !HEX64.matcher(value).matches()) {
            throw new InvalidMetaException("has no valid " + key + " (64 lowercase hex digits)");
        }
        return value;
    }

    private static long number(Map<String, String> fields, String key) throws InvalidMetaException {
        String value = fields.get(key);
        if (value == null || value.isEmpty() || !value.chars().allMatch(Character::isDigit)) {
            throw new InvalidMetaException("has no valid " + key);
        }
        return Long.parseLong(value);
    }
}
