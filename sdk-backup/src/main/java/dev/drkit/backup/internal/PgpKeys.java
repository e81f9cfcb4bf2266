package dev.drkit.backup.internal;

import dev.drkit.backup.OpenPgpKeyException;
import dev.drkit.backup.OpenPgpKeyException.Reason;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPUserId;
import org.bouncycastle.openpgp.api.OpenPGPImplementation;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.OpenPGPKeyReader;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPImplementation;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Reading OpenPGP keys and certificates and deciding which of their keys may encrypt. Key handling (signature
 * checks, session key wrapping, key generation) runs on Bouncy Castle's own operators: these are small operations
 * once per stream; the bulk data goes through the Jce operators on the JDK's AES elsewhere.
 */
public final class PgpKeys {

    /** The Bouncy Castle implementation used for everything about keys. */
    public static final OpenPGPImplementation IMPLEMENTATION = new BcOpenPGPImplementation();

    private static final int ENCRYPT_FLAGS = KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE;

    private PgpKeys() {
    }

    /** A fingerprint as gpg shows it with {@code --with-colons}: upper-case hex, no spaces. */
    public static String hex(byte[] fingerprint) {
        return HexFormat.of().withUpperCase().formatHex(fingerprint);
    }

    /** A 64-bit key ID as 16 upper-case hex digits. */
    public static String keyId(long keyId) {
        return String.format(Locale.ROOT, "%016X", keyId);
    }

    /**
     * The one public key (certificate) in {@code bytes}, armored or binary.
     *
     * @param what how to name the input in messages, for example the file name
     */
    public static OpenPGPCertificate readCertificate(byte[] bytes, String what) {
        OpenPGPCertificate cert = readOne(bytes, what);
        if (cert.isSecretKey()) {
            throw new OpenPgpKeyException(Reason.NOT_A_PUBLIC_KEY, what + " holds a private key ("
                + hex(cert.getFingerprint()) + "); give the public key only (gpg --export --armor FINGERPRINT, or "
                + "the .pub.asc file of drkit keygen), so that the backup host cannot read its backups",
                hex(cert.getFingerprint()), null);
        }
        checkVersion(cert, what);
        return cert;
    }

    /** The one private key in {@code bytes}, armored or binary. */
    public static OpenPGPKey readKey(byte[] bytes, String what) {
        OpenPGPCertificate cert = readOne(bytes, what);
        if (!cert.isSecretKey() || !(cert instanceof OpenPGPKey)) {
            throw new OpenPgpKeyException(Reason.NOT_A_PRIVATE_KEY, what + " holds a public key only ("
                + hex(cert.getFingerprint()) + "); decryption needs the private key (gpg --export-secret-keys "
                + "--armor FINGERPRINT, or the .key.asc file of drkit keygen)", hex(cert.getFingerprint()), null);
        }
        return (OpenPGPKey) cert;
    }

    private static OpenPGPCertificate readOne(byte[] bytes, String what) {
        List<OpenPGPCertificate> certs;
        try {
            certs = new OpenPGPKeyReader(IMPLEMENTATION).parseKeysOrCertificates(bytes);
        } catch (IOException | RuntimeException e) {
            throw new OpenPgpKeyException(Reason.DAMAGED, what + " is not a readable OpenPGP key ("
                + e.getClass().getSimpleName() + ")", null, e);
        }
        if (certs.isEmpty()) {
            throw new OpenPgpKeyException(Reason.DAMAGED, what + " holds no OpenPGP key", null, null);
        }
        if (certs.size() > 1) {
            List<String> fingerprints = new ArrayList<>();
            certs.forEach(c -> fingerprints.add(hex(c.getFingerprint())));
            throw new OpenPgpKeyException(Reason.DAMAGED, what + " holds " + certs.size() + " keys "
                + fingerprints + "; give one key per file", null, null);
        }
        return certs.get(0);
    }

    private static void checkVersion(OpenPGPCertificate cert, String what) {
        for (OpenPGPComponentKey key : cert.getKeys()) {
            if (key.getVersion() != PublicKeyPacket.VERSION_4) {
                throw new OpenPgpKeyException(Reason.UNSUPPORTED, what + ": key " + hex(cert.getFingerprint())
                    + " is an OpenPGP v" + key.getVersion() + " key; drkit encrypts to v4 keys only, which gpg 2.2 "
                    + "and every other OpenPGP tool read", hex(cert.getFingerprint()), null);
            }
        }
    }

    /**
     * The key of {@code cert} to encrypt to at {@code now}: the newest valid (sub)key whose key flags allow
     * encryption, as gpg chooses.
     *
     * @throws OpenPgpKeyException if the certificate is revoked or expired, or has no valid encryption key
     */
    public static PGPPublicKey encryptionKey(OpenPGPCertificate cert, Instant now) {
        Date at = Date.from(now);
        String fingerprint = hex(cert.getFingerprint());
        String name = describe(cert);
        if (cert.getPrimaryKey().getRevocation(at) != null) {
            throw new OpenPgpKeyException(Reason.REVOKED, "key " + name + " has been revoked; it must not be "
                + "encrypted to", fingerprint, null);
        }
        Date expires = cert.getExpirationTime(at);
        if (expires != null && !expires.after(at)) {
            throw new OpenPgpKeyException(Reason.EXPIRED, "key " + name + " expired on " + expires.toInstant()
                + "; extend it (gpg --quick-set-expire) or use another key", fingerprint, null);
        }
        List<OpenPGPComponentKey> valid;
        try {
            valid = cert.getEncryptionKeys(at);
        } catch (RuntimeException e) {
            throw new OpenPgpKeyException(Reason.DAMAGED, "key " + name + " could not be checked ("
                + e.getClass().getSimpleName() + ")", fingerprint, e);
        }
        if (valid != null && !valid.isEmpty()) {
            return valid.stream()
                .max(Comparator.comparing(OpenPGPComponentKey::getCreationTime))
                .orElseThrow()
                .getPGPPublicKey();
        }
        // Nothing valid: say why, from the encryption-capable keys there are at all.
        List<String> why = new ArrayList<>();
        boolean allExpired = true;
        boolean allRevoked = true;
        for (OpenPGPComponentKey key : cert.getKeys()) {
            if (!key.getPGPPublicKey().isEncryptionKey() || !flagsAllowEncryption(key)) {
                continue;
            }
            String id = keyId(key.getKeyIdentifier().getKeyId());
            if (key.getRevocation(at) != null) {
                why.add(id + " revoked");
                allExpired = false;
            } else {
                Date keyExpires = key.getKeyExpirationDateAt(at);
                if (keyExpires != null && !keyExpires.after(at)) {
                    why.add(id + " expired on " + keyExpires.toInstant());
                    allRevoked = false;
                } else {
                    why.add(id + " not validly bound to the primary key");
                    allExpired = false;
                    allRevoked = false;
                }
            }
        }
        if (why.isEmpty()) {
            throw new OpenPgpKeyException(Reason.NO_ENCRYPTION_KEY, "key " + name + " has no (sub)key that may "
                + "encrypt (no encryption key flags); add an encryption subkey (gpg --quick-add-key FINGERPRINT "
                + "cv25519 encr)", fingerprint, null);
        }
        Reason reason = allExpired ? Reason.EXPIRED : allRevoked ? Reason.REVOKED : Reason.NO_ENCRYPTION_KEY;
        throw new OpenPgpKeyException(reason, "key " + name + " has no valid encryption subkey ("
            + String.join(", ", why) + ")", fingerprint, null);
    }

    private static boolean flagsAllowEncryption(OpenPGPComponentKey key) {
        try {
            KeyFlags flags = key.getKeyFlags();
            return flags != null && (flags.getFlags() & ENCRYPT_FLAGS) != 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** {@code FINGERPRINT "user id"}, for messages; the user id is public. */
    public static String describe(OpenPGPCertificate cert) {
        String userId = primaryUserId(cert);
        return hex(cert.getFingerprint()) + (userId == null ? "" : " \"" + printable(userId) + "\"");
    }

    /** The primary user id, or the first, or {@code null}. */
    public static @Nullable String primaryUserId(OpenPGPCertificate cert) {
        try {
            OpenPGPUserId primary = cert.getPrimaryUserId();
            if (primary != null) {
                return primary.getUserId();
            }
        } catch (RuntimeException e) {
            // fall through to the raw list
        }
        List<String> all = userIds(cert);
        return all.isEmpty() ? null : all.get(0);
    }

    /** Every user id on the certificate, valid or not. */
    public static List<String> userIds(OpenPGPCertificate cert) {
        List<String> ids = new ArrayList<>();
        cert.getPGPKeyRing().getPublicKey().getUserIDs().forEachRemaining(ids::add);
        return ids;
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }

    /** ASCII armor around {@code binary}, without a version header. */
    public static byte[] armor(byte[] binary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream armored = ArmoredOutputStream.builder().clearHeaders().build(out)) {
            armored.write(binary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The binary encoding of a certificate. */
    public static byte[] encoded(OpenPGPCertificate cert) {
        try {
            return cert.getPGPPublicKeyRing().getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
