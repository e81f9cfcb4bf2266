package dev.drkit.backup.internal;

import dev.drkit.core.secret.Secret;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The key that authenticates a backup's manifest, derived with HKDF-SHA256 from the OpenPGP session key of the
 * backup's data. The writer knows the session key because it chose it; a reader recovers it with the passphrase
 * or private key. So the host that takes backups to public-key recipients can authenticate its manifests without
 * being able to read older backups, and an archive swapped in from another backup (another session key) fails.
 */
public final class ManifestKeys {

    private static final byte[] INFO = "drkit manifest v1".getBytes(StandardCharsets.US_ASCII);
    /** Length of the derived key in bytes (HMAC-SHA256 key). */
    public static final int LENGTH = 32;

    private ManifestKeys() {
    }

    /** Derives the manifest key from {@code sessionKey}; the caller wipes its array. */
    public static Secret derive(byte[] sessionKey) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(sessionKey, null, INFO));
        byte[] key = new byte[LENGTH];
        hkdf.generateBytes(key, 0, LENGTH);
        try {
            return Secret.ofBytes(key, "manifest key");
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}
