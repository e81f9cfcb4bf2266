package dev.drkit.backup;

import dev.drkit.backup.internal.PrivateKeys;
import dev.drkit.core.secret.FileAccess;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretFileException;
import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An OpenPGP private key that decrypts backups encrypted to its public key ({@link RecipientEncryption}): a key
 * made by {@code drkit keygen} ({@code NAME.key.asc}) or exported from gpg
 * ({@code gpg --export-secret-keys --armor FINGERPRINT}), ASCII-armored or binary, protected by a passphrase or
 * not.
 *
 * <p>Making an identity checks the key at once: it must be one OpenPGP private key with at least one key that can
 * decrypt, and the passphrase must unlock it. So a wrong passphrase or a damaged key file is reported before any
 * backup is read. Which of its keys a backup needs is decided per backup; a backup encrypted to other keys fails
 * with {@link BackupDecryptionException.Reason#WRONG_KEY}, naming the key IDs it is encrypted to.
 *
 * <pre>{@code
 * try (Secret passphrase = Secrets.fromFile(Path.of("backup-key.passphrase"));
 *      Identity identity = Identity.fromFile(Path.of("/media/offline/backup.key.asc"), passphrase)) {
 *     try (DecryptingStream in = BackupPipeline.decryptingStream(source, identity, Compression.zstd())) {
 *         in.transferTo(restored);
 *     }
 * }
 * }</pre>
 *
 * <p>The key's bytes are held in a {@link Secret}. An identity read from a file owns that secret and wipes it on
 * {@link #close()}; secrets passed in by the caller remain the caller's to close. Instances are thread-safe.
 * {@link #toString()} shows the fingerprint only.
 *
 * @since 0.1
 */
public final class Identity implements DecryptionKey, AutoCloseable {

    private final Secret key;
    private final @Nullable Secret passphrase;
    private final boolean ownsKey;
    private final PrivateKeys.Facts facts;

    private Identity(Secret key, @Nullable Secret passphrase, boolean ownsKey, String what) {
        this.key = key;
        this.passphrase = passphrase;
        this.ownsKey = ownsKey;
        this.facts = PrivateKeys.check(key, passphrase, what);
    }

    /**
     * The passphrase-protected private key in {@code keyFile}. The file must be readable by its owner only
     * ({@code 0600}), as for every secret drkit reads; {@code access} relaxes that as
     * {@link Secrets#fromFile(Path, FileAccess...)} describes.
     *
     * @throws SecretFileException  if the file is missing, unreadable, or readable by others
     * @throws OpenPgpKeyException if the file holds no usable private key or the passphrase does not unlock it
     */
    public static Identity fromFile(Path keyFile, Secret passphrase, FileAccess... access) {
        Objects.requireNonNull(passphrase, "passphrase");
        return read(keyFile, passphrase, access);
    }

    /**
     * The unprotected private key in {@code keyFile} (made with {@code drkit keygen --no-passphrase}, or by gpg
     * without a passphrase); otherwise as {@link #fromFile(Path, Secret, FileAccess...)}.
     *
     * @throws OpenPgpKeyException if the file holds no usable private key, or the key is protected
     */
    public static Identity fromFile(Path keyFile, FileAccess... access) {
        return read(keyFile, null, access);
    }

    private static Identity read(Path keyFile, @Nullable Secret passphrase, FileAccess... access) {
        Objects.requireNonNull(keyFile, "keyFile");
        Secret key = Secrets.fromFile(keyFile, access).relabel("private key");
        try {
            return new Identity(key, passphrase, true, "private key file " + keyFile);
        } catch (RuntimeException e) {
            key.close();
            throw e;
        }
    }

    /**
     * The passphrase-protected private key in {@code key} (the bytes of an armored or binary key file). The caller
     * keeps ownership of both secrets.
     *
     * @throws OpenPgpKeyException if {@code key} holds no usable private key or the passphrase does not unlock it
     */
    public static Identity of(Secret key, Secret passphrase) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(passphrase, "passphrase");
        return new Identity(key, passphrase, false, "the private key");
    }

    /**
     * The unprotected private key in {@code key}. The caller keeps ownership of the secret.
     *
     * @throws OpenPgpKeyException if {@code key} holds no usable private key, or the key is protected
     */
    public static Identity of(Secret key) {
        Objects.requireNonNull(key, "key");
        return new Identity(key, null, false, "the private key");
    }

    /** The primary key's fingerprint: 40 upper-case hex digits. */
    public String fingerprint() {
        return facts.fingerprint();
    }

    /** The key IDs (16 upper-case hex digits each) of the keys in this identity that can decrypt. */
    public List<String> decryptionKeyIds() {
        return facts.decryptionKeyIds();
    }

    /** The user ids on the key; may be empty. */
    public List<String> userIds() {
        return facts.userIds();
    }

    /** Whether the private key is protected by a passphrase. */
    public boolean isProtected() {
        return facts.isProtected();
    }

    /** The private key's bytes (armored or binary, as given). */
    public Secret key() {
        return key;
    }

    /** The passphrase that unlocks the key, if it is protected. */
    public Optional<Secret> passphrase() {
        return Optional.ofNullable(passphrase);
    }

    /** Wipes the key bytes if this identity read them from a file; otherwise does nothing. */
    @Override
    public void close() {
        if (ownsKey) {
            key.close();
        }
    }

    @Override
    public String toString() {
        return "Identity[" + facts.fingerprint() + "]";
    }
}
