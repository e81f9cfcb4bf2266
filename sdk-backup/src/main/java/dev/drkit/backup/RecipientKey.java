package dev.drkit.backup;

import dev.drkit.backup.internal.PgpKeys;
import dev.drkit.core.EnvironmentException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An OpenPGP public key that backups are encrypted to: a key made by {@code drkit keygen} or by gpg (Curve25519
 * with an Ed25519 primary key and an X25519 encryption subkey, gpg's default; or RSA). Only the holder of the
 * matching private key can read those backups, so the host that takes them needs the public key alone.
 *
 * <p>Reading a key checks it: it must be one OpenPGP v4 public key (not a private key, which does not belong on a
 * backup host), not revoked, not expired, and with a validly bound (sub)key whose key flags allow encryption. The
 * newest such key is the one encrypted to, as gpg chooses. The check is repeated, against the clock, each time a
 * backup stream is opened.
 *
 * <pre>{@code
 * RecipientKey ops = RecipientKey.read(Path.of("/etc/drkit/backup.pub.asc"));
 * PipelineSettings settings = PipelineSettings.of(Encryption.recipients(ops));
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe. They hold public data only.
 *
 * @since 0.1
 */
public final class RecipientKey {

    private final byte[] encoded;
    private final String fingerprint;
    private final String encryptionKeyId;
    private final List<String> userIds;
    private final @Nullable Instant expiresAt;

    private RecipientKey(OpenPGPCertificate cert, PGPPublicKey encryptionKey) {
        this.encoded = PgpKeys.encoded(cert);
        this.fingerprint = PgpKeys.hex(cert.getFingerprint());
        this.encryptionKeyId = PgpKeys.keyId(encryptionKey.getKeyID());
        this.userIds = List.copyOf(PgpKeys.userIds(cert));
        var expires = cert.getExpirationTime();
        this.expiresAt = expires == null ? null : expires.toInstant();
    }

    /**
     * Reads the public key in {@code file}, ASCII-armored ({@code gpg --export --armor}, {@code .pub.asc}) or
     * binary.
     *
     * @throws OpenPgpKeyException   if the file holds no usable public key (see the class description)
     * @throws EnvironmentException if the file cannot be read
     */
    public static RecipientKey read(Path file) {
        Objects.requireNonNull(file, "file");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new EnvironmentException("cannot read public key file " + file + " ("
                + e.getClass().getSimpleName() + ")", Map.of("file", file.toString()), e);
        }
        return parse(bytes, "public key file " + file);
    }

    /**
     * The public key in {@code bytes}, ASCII-armored or binary.
     *
     * @throws OpenPgpKeyException if the bytes hold no usable public key (see the class description)
     */
    public static RecipientKey parse(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return parse(bytes.clone(), "the public key");
    }

    /**
     * The public key in ASCII armor ({@code -----BEGIN PGP PUBLIC KEY BLOCK-----}).
     *
     * @throws OpenPgpKeyException if the text holds no usable public key (see the class description)
     */
    public static RecipientKey parse(String armored) {
        Objects.requireNonNull(armored, "armored");
        return parse(armored.getBytes(StandardCharsets.UTF_8), "the public key");
    }

    private static RecipientKey parse(byte[] bytes, String what) {
        OpenPGPCertificate cert = PgpKeys.readCertificate(bytes, what);
        return new RecipientKey(cert, PgpKeys.encryptionKey(cert, Instant.now()));
    }

    /** The primary key's fingerprint: 40 upper-case hex digits, as {@code gpg --with-colons} shows it. */
    public String fingerprint() {
        return fingerprint;
    }

    /**
     * The key ID (16 upper-case hex digits) of the subkey messages are encrypted to; {@code gpg --list-packets}
     * shows it in the message's {@code pubkey enc packet}.
     */
    public String encryptionKeyId() {
        return encryptionKeyId;
    }

    /** The user ids on the key, such as {@code Backups <ops@example.com>}; may be empty. */
    public List<String> userIds() {
        return userIds;
    }

    /** When the primary key expires, if it does. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** The key as binary OpenPGP packets (a transferable public key). */
    public byte[] encoded() {
        return encoded.clone();
    }

    /** The key in ASCII armor, as written to a {@code .pub.asc} file. */
    public String armored() {
        return new String(PgpKeys.armor(encoded), StandardCharsets.US_ASCII);
    }

    /** Equal when the encoded keys are equal. */
    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof RecipientKey && java.util.Arrays.equals(encoded, ((RecipientKey) other).encoded);
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return "RecipientKey[" + fingerprint + (userIds.isEmpty() ? "" : ", " + userIds.get(0)) + "]";
    }
}
