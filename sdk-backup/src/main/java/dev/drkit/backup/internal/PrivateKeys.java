package dev.drkit.backup.internal;

import dev.drkit.backup.OpenPgpKeyException;
import dev.drkit.backup.OpenPgpKeyException.Reason;
import dev.drkit.core.secret.Secret;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.OpenPGPKey.OpenPGPPrivateKey;
import org.bouncycastle.openpgp.api.OpenPGPKey.OpenPGPSecretKey;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;

/**
 * Private keys: parsing them out of a {@link Secret}, finding the ones that can decrypt, unlocking them. The
 * parsed key objects live only as long as one decryption needs them; what stays is the {@link Secret}.
 */
public final class PrivateKeys {

    private PrivateKeys() {
    }

    /** Public facts about a private key that {@link #check} accepted. */
    public record Facts(String fingerprint, List<String> decryptionKeyIds, List<String> userIds,
                        boolean isProtected) {
    }

    /** Parses the one private key in {@code key} (armored or binary). */
    public static OpenPGPKey parse(Secret key, String what) {
        return key.withBytes(bytes -> PgpKeys.readKey(bytes, what));
    }

    /**
     * Parses {@code key}, finds its keys that can decrypt and checks that {@code passphrase} unlocks them.
     *
     * @throws OpenPgpKeyException if the key is damaged, public only, has no key that can decrypt, or the
     *                             passphrase is wrong or missing
     */
    public static Facts check(Secret key, @Nullable Secret passphrase, String what) {
        OpenPGPKey parsed = parse(key, what);
        String fingerprint = PgpKeys.hex(parsed.getFingerprint());
        List<OpenPGPSecretKey> candidates = decryptionKeys(parsed);
        if (candidates.isEmpty()) {
            throw new OpenPgpKeyException(Reason.NO_ENCRYPTION_KEY, what + " (" + PgpKeys.describe(parsed)
                + ") holds no private key that can decrypt (only signing keys, or stubs without secret material)",
                fingerprint, null);
        }
        boolean isProtected = false;
        boolean unlocked = false;
        List<String> ids = new ArrayList<>();
        for (OpenPGPSecretKey candidate : candidates) {
            ids.add(PgpKeys.keyId(candidate.getKeyIdentifier().getKeyId()));
            if (!candidate.isLocked()) {
                unlocked = true;
                continue;
            }
            isProtected = true;
            if (passphrase != null && passphrase.withChars(candidate::isPassphraseCorrect)) {
                unlocked = true;
            }
        }
        if (!unlocked) {
            throw new OpenPgpKeyException(Reason.WRONG_PASSPHRASE, passphrase == null
                ? what + " (" + fingerprint + ") is protected by a passphrase, and none was given"
                : "the passphrase does not unlock " + what + " (" + fingerprint + ")", fingerprint, null);
        }
        return new Facts(fingerprint, List.copyOf(ids), List.copyOf(PgpKeys.userIds(parsed)), isProtected);
    }

    /** The secret keys of {@code key} that hold secret material of an algorithm that can decrypt. */
    public static List<OpenPGPSecretKey> decryptionKeys(OpenPGPKey key) {
        List<OpenPGPSecretKey> keys = new ArrayList<>();
        for (OpenPGPSecretKey secret : key.getSecretKeys().values()) {
            if (secret.getPGPSecretKey().isPrivateKeyEmpty()) {
                continue;   // a gnu-dummy stub, as gpg --export-secret-subkeys writes for the primary key
            }
            if (secret.getPGPSecretKey().getPublicKey().isEncryptionKey()) {
                keys.add(secret);
            }
        }
        return keys;
    }

    /**
     * Unlocks {@code secret} with {@code passphrase} (ignored if the key is not protected).
     *
     * @return the private key, or {@code null} if the passphrase does not unlock it
     */
    public static @Nullable PGPPrivateKey unlock(OpenPGPSecretKey secret, @Nullable Secret passphrase)
        throws PGPException {
        if (!secret.isLocked()) {
            return secret.unlock().getKeyPair().getPrivateKey();
        }
        if (passphrase == null) {
            return null;
        }
        // One key derivation, not two: unlock() itself fails on a wrong passphrase (the secret key's checksum).
        OpenPGPPrivateKey unlocked = passphrase.withChars(chars -> {
            try {
                return secret.unlock(chars);
            } catch (PGPException e) {
                return null;
            }
        });
        return unlocked == null ? null : unlocked.getKeyPair().getPrivateKey();
    }
}
