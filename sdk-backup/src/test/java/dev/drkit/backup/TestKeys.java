package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

/**
 * Key pairs for tests, generated once per JVM: key generation with the strong S2K costs about a second, and every
 * unlock of a protected key costs a key derivation, so tests that loop use the unprotected pair.
 */
final class TestKeys {

    static final Secret KEY_PASSPHRASE = Secret.ofString("key passphrase for tests", "key-passphrase");

    private static OpenPgpKeyPair protectedPair;
    private static OpenPgpKeyPair unprotectedPair;
    private static OpenPgpKeyPair otherPair;

    private TestKeys() {
    }

    /** A pair protected by {@link #KEY_PASSPHRASE}. */
    static synchronized OpenPgpKeyPair protectedPair() {
        if (protectedPair == null) {
            protectedPair = OpenPgpKeyPair.generator("Backups <ops@example.com>").passphrase(KEY_PASSPHRASE)
                .generate();
        }
        return protectedPair;
    }

    /** An unprotected pair. */
    static synchronized OpenPgpKeyPair unprotectedPair() {
        if (unprotectedPair == null) {
            unprotectedPair = OpenPgpKeyPair.generator("Fast <fast@example.com>").noPassphrase().generate();
        }
        return unprotectedPair;
    }

    /** Another unprotected pair, for "wrong key" cases. */
    static synchronized OpenPgpKeyPair otherPair() {
        if (otherPair == null) {
            otherPair = OpenPgpKeyPair.generator("Someone else <other@example.com>").noPassphrase().generate();
        }
        return otherPair;
    }

    static Identity identity(OpenPgpKeyPair pair) {
        return pair.isProtected() ? Identity.of(pair.secretKeyArmored(), KEY_PASSPHRASE)
            : Identity.of(pair.secretKeyArmored());
    }
}
