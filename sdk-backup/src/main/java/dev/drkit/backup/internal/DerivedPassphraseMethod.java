package dev.drkit.backup.internal;

import dev.drkit.backup.PassphraseEncryption;
import org.bouncycastle.bcpg.ContainedPacket;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.operator.PGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A passphrase method whose S2K runs once: Bouncy Castle picks the salt on the first derivation and keeps it, so
 * every message it is added to carries the same salt and count in its session key packet, and the key derived once
 * fits them all. Each message still gets its own random session key, wrapped under that key (Bouncy Castle's
 * generator forces a session key). Used for the parts of one backup and for the files of one WAL push batch.
 * Thread-safe. {@link #wipe()} clears the derived key.
 */
public final class DerivedPassphraseMethod extends JcePBEKeyEncryptionMethodGenerator {

    private byte[] key;
    private int keyAlgorithm = -1;

    private DerivedPassphraseMethod(char[] passphrase, PGPDigestCalculator digest, int s2kCountCode) {
        super(passphrase, digest, s2kCountCode);
    }

    /**
     * Derives the AES-256 key from the passphrase now (the one expensive step), with a fresh random salt.
     *
     * @throws IllegalArgumentException if the passphrase is empty
     * @throws IOException              if the derivation fails
     */
    public static DerivedPassphraseMethod derive(PassphraseEncryption settings, SecureRandom random)
        throws IOException {
        if (settings.passphrase().length() == 0) {
            throw new IllegalArgumentException("passphrase must not be empty");
        }
        try {
            PGPDigestCalculator digest = new JcaPGPDigestCalculatorProviderBuilder().build()
                .get(HashAlgorithmTags.SHA256);
            // Derive now, while the passphrase copy exists; Bouncy Castle keeps the array and reads it lazily.
            return settings.passphrase().withChars(chars -> {
                DerivedPassphraseMethod method = new DerivedPassphraseMethod(chars, digest,
                    settings.s2kCountCode());
                method.setSecureRandom(random);
                try {
                    method.getKey(SymmetricKeyAlgorithmTags.AES_256);
                } catch (PGPException e) {
                    throw new IllegalStateException("the passphrase key could not be derived", e);
                }
                return method;
            });
        } catch (PGPException e) {
            throw new IOException("OpenPGP encryption could not start: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized byte[] getKey(int encAlgorithm) throws PGPException {
        if (key == null || keyAlgorithm != encAlgorithm) {
            if (key != null) {
                throw new PGPException("the passphrase key was derived for another cipher");
            }
            key = super.getKey(encAlgorithm);
            keyAlgorithm = encAlgorithm;
        }
        return key.clone();
    }

    @Override
    public synchronized ContainedPacket generate(PGPDataEncryptorBuilder builder, byte[] sessionInfo)
        throws PGPException {
        return super.generate(builder, sessionInfo);
    }

    /** Clears the derived key; the method must not be used afterwards. */
    public synchronized void wipe() {
        if (key != null) {
            Arrays.fill(key, (byte) 0);
        }
    }
}
