package dev.drkit.core.secret;

import dev.drkit.core.internal.Names;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

/**
 * A secret value (password, passphrase, token, key) that does not leak by accident.
 *
 * <p>{@link #toString()} shows only a label, never the value, so a {@code Secret} can be logged, put into an
 * exception message or printed with {@code String.valueOf} without harm. The value is reached only through
 * {@link #reveal()}, {@link #revealBytes()} or {@link #withChars(Function)}: greppable names, so every use can be
 * reviewed. {@link #close()} overwrites the value; using a closed secret throws. {@link #equals(Object)}
 * compares in constant time.
 *
 * <p>Secrets are held as UTF-8 bytes. Instances are thread-safe.
 *
 * <pre>{@code
 * try (Secret password = Secrets.fromFile(Path.of("/etc/app/db.password"))) {
 *     connect(user, password);   // password.toString() is "Secret[db.password]"
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class Secret implements AutoCloseable {

    private final byte[] value;
    private final String label;
    private volatile boolean closed;

    private Secret(byte[] value, String label) {
        this.value = value;
        this.label = label;
    }

    /** A secret holding a copy of {@code chars}; the caller may wipe its own array afterwards. */
    public static Secret of(char[] chars) {
        return of(chars, "redacted");
    }

    /**
     * A secret holding a copy of {@code chars}, shown as {@code Secret[label]}.
     *
     * @param label a non-secret name such as the file or variable it came from
     * @throws IllegalArgumentException if {@code chars} is not valid UTF-16 (an unpaired surrogate)
     */
    public static Secret of(char[] chars, String label) {
        Objects.requireNonNull(chars, "chars");
        return new Secret(encode(chars), checkLabel(label));
    }

    /** A secret holding a copy of {@code bytes}. */
    public static Secret ofBytes(byte[] bytes) {
        return ofBytes(bytes, "redacted");
    }

    /** A secret holding a copy of {@code bytes}, shown as {@code Secret[label]}. */
    public static Secret ofBytes(byte[] bytes, String label) {
        Objects.requireNonNull(bytes, "bytes");
        return new Secret(bytes.clone(), checkLabel(label));
    }

    /**
     * A secret from a {@code String}. Strings cannot be wiped, so prefer {@link #of(char[])}; this exists for
     * values that already arrived as strings (a JSON field, a generated password).
     */
    public static Secret ofString(String value, String label) {
        Objects.requireNonNull(value, "value");
        return new Secret(value.getBytes(StandardCharsets.UTF_8), checkLabel(label));
    }

    /** The non-secret label shown by {@link #toString()}. */
    public String label() {
        return label;
    }

    /** A copy of this secret under another label. */
    public Secret relabel(String newLabel) {
        return new Secret(bytes(), checkLabel(newLabel));
    }

    /**
     * A copy of the value as characters. The caller owns the copy and should wipe it
     * ({@code Arrays.fill(chars, '\0')}) when done; {@link #withChars(Function)} does that for you.
     *
     * @throws IllegalStateException if this secret was closed, or its bytes are not UTF-8
     */
    public char[] reveal() {
        byte[] bytes = bytes();
        // UTF-8 never decodes to more chars than it has bytes: this buffer is never grown, and is wiped
        char[] buffer = new char[bytes.length];
        try {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
            CharBuffer out = CharBuffer.wrap(buffer);
            if (!decoder.decode(ByteBuffer.wrap(bytes), out, true).isUnderflow() || !decoder.flush(out).isUnderflow()) {
                throw new IllegalStateException("Secret[" + label + "] holds bytes that are not UTF-8 text; use"
                    + " revealBytes()");
            }
            return Arrays.copyOf(buffer, out.position());
        } finally {
            Arrays.fill(buffer, '\0');
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** A copy of the value's bytes; the caller owns it and should wipe it when done. */
    public byte[] revealBytes() {
        return bytes();
    }

    /**
     * Passes a copy of the value to {@code use} and wipes the copy when {@code use} returns or throws.
     * {@code use} must not keep the array.
     */
    public <T> T withChars(Function<char[], T> use) {
        Objects.requireNonNull(use, "use");
        char[] chars = reveal();
        try {
            return use.apply(chars);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    /** Passes a copy of the value's bytes to {@code use} and wipes the copy afterwards. */
    public <T> T withBytes(Function<byte[], T> use) {
        Objects.requireNonNull(use, "use");
        byte[] bytes = bytes();
        try {
            return use.apply(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** The value's length in bytes (UTF-8); not secret enough to hide, and useful for validation. */
    public int length() {
        checkOpen();
        return value.length;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /** Overwrites the value. Idempotent. Later access throws {@link IllegalStateException}. */
    @Override
    public void close() {
        synchronized (value) {
            closed = true;
            Arrays.fill(value, (byte) 0);
        }
    }

    /** Shows the label only: {@code Secret[label]}. */
    @Override
    public String toString() {
        return "Secret[" + label + "]";
    }

    /** Constant-time comparison of the values; labels are ignored. Closed secrets equal nothing but themselves. */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Secret) || closed || ((Secret) other).closed) {
            return false;
        }
        byte[] mine = null;
        byte[] theirs = null;
        try {
            mine = bytes();
            theirs = ((Secret) other).bytes();
            return MessageDigest.isEqual(mine, theirs);
        } catch (IllegalStateException closedMeanwhile) {
            // one of them was closed after the check above: a closed secret equals nothing
            return false;
        } finally {
            if (mine != null) {
                Arrays.fill(mine, (byte) 0);
            }
            if (theirs != null) {
                Arrays.fill(theirs, (byte) 0);
            }
        }
    }

    /** A constant: a hash of the value would tell something about it. Do not put secrets in hash maps. */
    @Override
    public int hashCode() {
        return 0x5ec7e7;
    }

    private byte[] bytes() {
        synchronized (value) {
            checkOpen();
            return value.clone();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Secret[" + label + "] was closed and its value wiped");
        }
    }

    private static byte[] encode(char[] chars) {
        // Room for the longest encoding (3 bytes a char; a surrogate pair is 4 for 2), so the encoder never grows
        // its buffer: a grown one would drop the first, part-filled with the secret, unwiped.
        byte[] buffer = new byte[Math.multiplyExact(chars.length, 3)];
        try {
            CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer out = ByteBuffer.wrap(buffer);
            CoderResult result = encoder.encode(CharBuffer.wrap(chars), out, true);
            if (!result.isUnderflow() || !encoder.flush(out).isUnderflow()) {
                throw new IllegalArgumentException("secret characters are not valid text (an unpaired surrogate?)");
            }
            return Arrays.copyOf(buffer, out.position());
        } finally {
            Arrays.fill(buffer, (byte) 0);
        }
    }

    private static String checkLabel(String label) {
        return Names.printable(label, 200, "label");
    }
}
