package dev.drkit.backup.internal;

import dev.drkit.backup.Identity;
import dev.drkit.core.secret.Secret;
import org.bouncycastle.bcpg.AEADEncDataPacket;
import org.bouncycastle.bcpg.S2K;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.OpenPGPKey.OpenPGPSecretKey;
import org.bouncycastle.openpgp.operator.PBEDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.PGPDataDecryptor;
import org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What a reader of a backup split into parts derives once and reuses for every part: the keys derived from a
 * passphrase (one iterated S2K per salt, and all parts of a backup share one salt) and the unlocked private keys
 * of an identity (whose own S2K runs once). A fresh cache per stream gives the single-message behaviour.
 * Thread-safe. {@link #close()} wipes the derived keys.
 */
public final class KeyCache implements AutoCloseable {

    private final Map<String, byte[]> passphraseKeys = new HashMap<>();
    private final Map<Long, PGPPrivateKey> privateKeys = new HashMap<>();
    private @Nullable OpenPGPKey parsedKey;
    private @Nullable Secret parsedFrom;
    private int derivations;

    /** A decryptor factory for {@code passphrase} that derives each distinct S2K's key once. */
    PBEDataDecryptorFactory passphraseFactory(Secret passphrase) {
        PGPDigestCalculatorProvider digests = digests();
        return new CachingFactory(passphrase, digests);
    }

    /** How many keys were derived from a passphrase so far (for tests: one per backup, not per part). */
    public synchronized int derivations() {
        return derivations;
    }

    synchronized OpenPGPKey parse(Identity identity) {
        if (parsedKey == null || parsedFrom != identity.key()) {
            parsedKey = PrivateKeys.parse(identity.key(), "the private key");
            parsedFrom = identity.key();
            privateKeys.clear();
        }
        return parsedKey;
    }

    /** The unlocked private key, or {@code null} if the passphrase does not unlock it; unlocked once. */
    synchronized @Nullable PGPPrivateKey unlock(OpenPGPSecretKey candidate, @Nullable Secret passphrase)
        throws PGPException {
        long id = candidate.getKeyIdentifier().getKeyId();
        PGPPrivateKey key = privateKeys.get(id);
        if (key == null) {
            key = PrivateKeys.unlock(candidate, passphrase);
            if (key != null) {
                privateKeys.put(id, key);
            }
        }
        return key;
    }

    List<OpenPGPSecretKey> decryptionKeys(OpenPGPKey key) {
        return PrivateKeys.decryptionKeys(key);
    }

    private synchronized byte[] passphraseKey(Secret passphrase, PGPDigestCalculatorProvider digests, int algorithm,
                                              S2K s2k) throws PGPException {
        String cacheKey;
        try {
            cacheKey = algorithm + ":" + HexFormat.of().formatHex(s2k.getEncoded());
        } catch (IOException e) {
            throw new PGPException("cannot encode the S2K specifier", e);
        }
        byte[] key = passphraseKeys.get(cacheKey);
        if (key == null) {
            // Bouncy Castle reads the passphrase array lazily, so derive while the copy exists.
            key = passphrase.withChars(chars -> {
                try {
                    return new JcePBEDataDecryptorFactoryBuilder(digests).build(chars)
                        .makeKeyFromPassPhrase(algorithm, s2k);
                } catch (PGPException e) {
                    throw new IllegalStateException(e);
                }
            });
            passphraseKeys.put(cacheKey, key);
            derivations++;
        }
        return key.clone();
    }

    @Override
    public synchronized void close() {
        passphraseKeys.values().forEach(k -> Arrays.fill(k, (byte) 0));
        passphraseKeys.clear();
        privateKeys.clear();
        parsedKey = null;
        parsedFrom = null;
    }

    private static PGPDigestCalculatorProvider digests() {
        try {
            return new JcaPGPDigestCalculatorProviderBuilder().build();
        } catch (PGPException e) {
            throw new IllegalStateException("no OpenPGP digest provider", e);
        }
    }

    /** A passphrase decryptor factory whose key derivation goes through the cache; the rest is Bouncy Castle's. */
    private final class CachingFactory extends PBEDataDecryptorFactory {
        private final Secret passphrase;
        private final PGPDigestCalculatorProvider digests;
        /** Everything but the key derivation, which never touches the (empty) passphrase. */
        private final PBEDataDecryptorFactory delegate;

        CachingFactory(Secret passphrase, PGPDigestCalculatorProvider digests) {
            super(new char[0], digests);
            this.passphrase = passphrase;
            this.digests = digests;
            this.delegate = new JcePBEDataDecryptorFactoryBuilder(digests).build(new char[0]);
        }

        @Override
        public byte[] makeKeyFromPassPhrase(int keyAlgorithm, S2K s2k) throws PGPException {
            try {
                return passphraseKey(passphrase, digests, keyAlgorithm, s2k);
            } catch (IllegalStateException e) {
                if (e.getCause() instanceof PGPException) {
                    throw (PGPException) e.getCause();
                }
                throw e;
            }
        }

        @Override
        public byte[] recoverSessionData(int keyAlgorithm, byte[] key, byte[] seckKeyData) throws PGPException {
            return delegate.recoverSessionData(keyAlgorithm, key, seckKeyData);
        }

        @Override
        public byte[] recoverAEADEncryptedSessionData(org.bouncycastle.bcpg.SymmetricKeyEncSessionPacket keyData,
                                                      byte[] ikm) throws PGPException {
            return delegate.recoverAEADEncryptedSessionData(keyData, ikm);
        }

        @Override
        public PGPDataDecryptor createDataDecryptor(boolean withIntegrityPacket, int encAlgorithm, byte[] key)
            throws PGPException {
            return delegate.createDataDecryptor(withIntegrityPacket, encAlgorithm, key);
        }

        @Override
        public PGPDataDecryptor createDataDecryptor(AEADEncDataPacket aeadEncDataPacket, PGPSessionKey sessionKey)
            throws PGPException {
            return delegate.createDataDecryptor(aeadEncDataPacket, sessionKey);
        }

        @Override
        public PGPDataDecryptor createDataDecryptor(SymmetricEncIntegrityPacket seipd, PGPSessionKey sessionKey)
            throws PGPException {
            return delegate.createDataDecryptor(seipd, sessionKey);
        }
    }
}
