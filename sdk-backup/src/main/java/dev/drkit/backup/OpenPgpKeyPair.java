package dev.drkit.backup;

import dev.drkit.backup.internal.KeyGeneration;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.secret.Secret;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A new OpenPGP key pair for public-key backups, made the way gpg 2.2 makes one with
 * {@code gpg --quick-gen-key USERID future-default}: an Ed25519 primary key that certifies and signs, and an X25519
 * (Curve25519 ECDH) subkey that encrypts, both OpenPGP v4, so that gpg and every other OpenPGP tool read them.
 *
 * <p>The public half ({@link #recipient()}) goes to the hosts that take backups; the private half
 * ({@link #secretKeyArmored()}) belongs offline, with whoever restores. The private key is protected by a
 * passphrase (AES-256 under iterated and salted SHA-256 S2K, 65,011,712 bytes hashed: OpenPGP's largest count,
 * which gpg 2.2 reads) unless {@link Generator#noPassphrase()} is chosen explicitly; an unprotected private key is
 * readable by anyone who gets the file.
 *
 * <pre>{@code
 * OpenPgpKeyPair pair = OpenPgpKeyPair.generator("Backups <ops@example.com>").passphrase(passphrase).generate();
 * OpenPgpKeyPair.KeyFiles files = pair.writeTo(Path.of("/media/offline"), "backup");
 * // backup.pub.asc (0644) to the backup hosts; backup.key.asc (0600) stays offline
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe. {@link #toString()} shows the fingerprint only. The private key's
 * bytes are held in a {@link Secret} that {@link #close()} wipes.
 *
 * @since 0.1
 */
public final class OpenPgpKeyPair implements AutoCloseable {

    /** The file name suffix of the public key: {@value}. */
    public static final String PUBLIC_KEY_SUFFIX = ".pub.asc";
    /** The file name suffix of the private key: {@value}. */
    public static final String SECRET_KEY_SUFFIX = ".key.asc";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Set<PosixFilePermission> PUBLIC_MODE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> SECRET_MODE = PosixFilePermissions.fromString("rw-------");

    private final String userId;
    private final KeyGeneration.Generated generated;
    private final boolean isProtected;

    private OpenPgpKeyPair(String userId, KeyGeneration.Generated generated, boolean isProtected) {
        this.userId = userId;
        this.generated = generated;
        this.isProtected = isProtected;
    }

    /**
     * A generator of a key pair for {@code userId}, conventionally {@code Name <email>}.
     *
     * @throws IllegalArgumentException if {@code userId} is blank or holds control characters
     */
    public static Generator generator(String userId) {
        return new Generator(userId);
    }

    /** The primary key's fingerprint: 40 upper-case hex digits, as gpg shows it. */
    public String fingerprint() {
        return generated.fingerprint();
    }

    /** The key ID of the encryption subkey (16 upper-case hex digits). */
    public String encryptionKeyId() {
        return generated.encryptionKeyId();
    }

    /** The user id. */
    public String userId() {
        return userId;
    }

    /** Whether the private key is protected by a passphrase. */
    public boolean isProtected() {
        return isProtected;
    }

    /**
     * The public key, to encrypt backups to.
     *
     * @throws OpenPgpKeyException if the key has expired ({@link Generator#validFor(Duration)})
     */
    public RecipientKey recipient() {
        return RecipientKey.parse(generated.publicKeyArmored());
    }

    /** The public key in ASCII armor, as written to {@code NAME.pub.asc}. */
    public String publicKeyArmored() {
        return new String(generated.publicKeyArmored(), StandardCharsets.US_ASCII);
    }

    /**
     * The private key (with the public key) in ASCII armor, as written to {@code NAME.key.asc}; what
     * {@link Identity#of(Secret, Secret)} and {@code gpg --import} read. The caller must not close it: it belongs
     * to this key pair.
     */
    public Secret secretKeyArmored() {
        return generated.secretKeyArmored();
    }

    /**
     * Writes {@code NAME.pub.asc} (mode {@code 0644}) and {@code NAME.key.asc} (mode {@code 0600}, created with
     * that mode, so it is never readable by others even for a moment) into {@code directory}, and syncs both and
     * the directory. Existing files are never overwritten: if either exists, nothing is written.
     *
     * @param name the file name stem: letters, digits, {@code .}, {@code _} and {@code -}, starting with a letter
     *             or digit
     * @return the two files
     * @throws IllegalArgumentException if {@code name} is not such a name
     * @throws EnvironmentException     if {@code directory} is missing or not writable, a file exists already, or
     *                                  writing fails (then nothing is left behind)
     */
    public KeyFiles writeTo(Path directory, String name) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must be letters, digits, '.', '_' or '-' (at most 100), "
                + "starting with a letter or digit, but was '" + name.replaceAll("\\p{Cntrl}", "?") + "'");
        }
        if (!Files.isDirectory(directory)) {
            throw new EnvironmentException("key directory " + directory + " does not exist or is not a directory",
                Map.of("directory", directory.toString()), null);
        }
        Path publicFile = directory.resolve(name + PUBLIC_KEY_SUFFIX);
        Path secretFile = directory.resolve(name + SECRET_KEY_SUFFIX);
        for (Path file : new Path[] {publicFile, secretFile}) {
            if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new EnvironmentException(file + " exists already; drkit never overwrites a key file",
                    Map.of("file", file.toString()), null);
            }
        }
        // The private key first: if it cannot be written, no public key exists that backups could be encrypted to.
        generated.secretKeyArmored().withBytes(bytes -> {
            create(secretFile, bytes, SECRET_MODE);
            return null;
        });
        try {
            create(publicFile, generated.publicKeyArmored(), PUBLIC_MODE);
            syncDirectory(directory);
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(secretFile);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new KeyFiles(publicFile, secretFile);
    }

    private static void create(Path file, byte[] content, Set<PosixFilePermission> mode) {
        FileAttribute<Set<PosixFilePermission>> attribute = PosixFilePermissions.asFileAttribute(mode);
        boolean created = false;
        try {
            try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), attribute); OutputStream out = java.nio.channels.Channels.newOutputStream(
                channel)) {
                created = true;
                out.write(content);
                out.flush();
                channel.force(true);
            }
        } catch (FileAlreadyExistsException e) {
            throw new EnvironmentException(file + " exists already; drkit never overwrites a key file",
                Map.of("file", file.toString()), e);
        } catch (AccessDeniedException e) {
            throw new EnvironmentException("cannot write key file " + file + ": permission denied",
                Map.of("file", file.toString()), e);
        } catch (UnsupportedOperationException e) {
            throw new EnvironmentException("cannot write key file " + file + ": the file system has no POSIX "
                + "permissions, so the private key could not be kept private", Map.of("file", file.toString()), e);
        } catch (IOException e) {
            if (created) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new EnvironmentException("cannot write key file " + file + " (" + e.getClass().getSimpleName()
                + ")", Map.of("file", file.toString()), e);
        }
    }

    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the files themselves are synced.
        }
    }

    /** Wipes the private key bytes held by this key pair. */
    @Override
    public void close() {
        generated.secretKeyArmored().close();
    }

    @Override
    public String toString() {
        return "OpenPgpKeyPair[" + fingerprint() + ", " + (isProtected ? "protected" : "unprotected") + "]";
    }

    /**
     * The two files {@link #writeTo(Path, String)} wrote.
     *
     * @param publicKey the public key, {@code NAME.pub.asc}, mode {@code 0644}
     * @param secretKey the private key, {@code NAME.key.asc}, mode {@code 0600}
     * @since 0.1
     */
    public record KeyFiles(Path publicKey, Path secretKey) {
        /** Checks both paths are given. */
        public KeyFiles {
            Objects.requireNonNull(publicKey, "publicKey");
            Objects.requireNonNull(secretKey, "secretKey");
        }
    }

    /**
     * Generates an {@link OpenPgpKeyPair}. Exactly one of {@link #passphrase(Secret)} and {@link #noPassphrase()}
     * must be called, so that an unprotected private key is always a decision. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Generator {

        private final String userId;
        private @Nullable Secret passphrase;
        private boolean noPassphrase;
        private @Nullable Instant created;
        private @Nullable Duration validFor;

        private Generator(String userId) {
            Objects.requireNonNull(userId, "userId");
            if (userId.isBlank() || userId.codePoints().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("userId must be printable text such as "
                    + "'Backups <ops@example.com>', but was blank or held control characters");
            }
            this.userId = userId;
        }

        /**
         * Protects the private key with {@code passphrase}; read during {@link #generate()}, then the caller may
         * close it.
         *
         * @throws IllegalArgumentException if the passphrase is empty
         */
        public Generator passphrase(Secret passphrase) {
            Objects.requireNonNull(passphrase, "passphrase");
            if (passphrase.length() == 0) {
                throw new IllegalArgumentException("passphrase must not be empty");
            }
            this.passphrase = passphrase;
            return this;
        }

        /** Leaves the private key unprotected: anyone who gets the key file can read every backup. */
        public Generator noPassphrase() {
            this.noPassphrase = true;
            return this;
        }

        /** The key's creation time; default: now. */
        public Generator created(Instant created) {
            this.created = Objects.requireNonNull(created, "created");
            return this;
        }

        /**
         * How long the key is valid after its creation; default: no expiry. After that, backups can no longer be
         * encrypted to it (existing ones still decrypt).
         *
         * @throws IllegalArgumentException if {@code validFor} is under one day
         */
        public Generator validFor(Duration validFor) {
            Objects.requireNonNull(validFor, "validFor");
            if (validFor.compareTo(Duration.ofDays(1)) < 0) {
                throw new IllegalArgumentException("validFor must be at least one day, but was " + validFor);
            }
            this.validFor = validFor;
            return this;
        }

        /**
         * Generates the key pair (a few milliseconds, plus about a second to protect it with the passphrase).
         *
         * @throws IllegalStateException unless exactly one of {@link #passphrase(Secret)} and
         *                               {@link #noPassphrase()} was called
         */
        public OpenPgpKeyPair generate() {
            if ((passphrase == null) == !noPassphrase) {
                throw new IllegalStateException(passphrase == null
                    ? "choose passphrase(...) to protect the private key, or noPassphrase() to leave it unprotected"
                    : "passphrase(...) and noPassphrase() were both called; choose one");
            }
            Instant time = created == null ? Instant.now() : created;
            KeyGeneration.Generated generated = KeyGeneration.generate(userId, passphrase, time, validFor);
            return new OpenPgpKeyPair(userId, generated, passphrase != null);
        }
    }
}
