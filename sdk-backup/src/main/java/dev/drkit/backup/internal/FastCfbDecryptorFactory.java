package dev.drkit.backup.internal;

import org.bouncycastle.bcpg.AEADEncDataPacket;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.operator.PGPDataDecryptor;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.SessionKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.jcajce.JceSessionKeyDataDecryptorFactoryBuilder;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.io.InputStream;
import java.security.GeneralSecurityException;

/**
 * Bouncy Castle's JDK-backed decryptor factory for a known session key, except that integrity-protected AES data
 * (SEIPD v1, what drkit and gpg write) is decrypted by {@link CfbDecryptingStream} instead of the JDK's
 * block-at-a-time CFB. Packet parsing, the quick check and the MDC stay Bouncy Castle's; every other algorithm
 * and packet version goes to Bouncy Castle unchanged.
 */
final class FastCfbDecryptorFactory implements SessionKeyDataDecryptorFactory {

    private final SessionKeyDataDecryptorFactory delegate;

    private FastCfbDecryptorFactory(SessionKeyDataDecryptorFactory delegate) {
        this.delegate = delegate;
    }

    /** A factory for {@code sessionKey}. Never log it: a session key's {@code toString} shows the key. */
    static SessionKeyDataDecryptorFactory forSessionKey(PGPSessionKey sessionKey) {
        return new FastCfbDecryptorFactory(new JceSessionKeyDataDecryptorFactoryBuilder().build(sessionKey));
    }

    @Override
    public PGPSessionKey getSessionKey() {
        return delegate.getSessionKey();
    }

    @Override
    public PGPDataDecryptor createDataDecryptor(boolean withIntegrityPacket, int encAlgorithm, byte[] key)
        throws PGPException {
        PGPDataDecryptor standard = delegate.createDataDecryptor(withIntegrityPacket, encAlgorithm, key);
        if (!withIntegrityPacket || !isAes(encAlgorithm)) {
            // Without integrity protection OpenPGP resynchronises CFB after the prefix: leave that to BC.
            return standard;
        }
        Cipher ecb;
        try {
            ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        } catch (GeneralSecurityException e) {
            throw new PGPException("cannot set up AES from the JDK: " + e.getMessage(), e);
        }
        byte[] zeroIv = new byte[ecb.getBlockSize()];
        return new PGPDataDecryptor() {
            @Override
            public InputStream getInputStream(InputStream in) {
                return new CfbDecryptingStream(in, ecb, zeroIv);
            }

            @Override
            public int getBlockSize() {
                return standard.getBlockSize();
            }

            @Override
            public PGPDigestCalculator getIntegrityCalculator() {
                return standard.getIntegrityCalculator();
            }
        };
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

    private static boolean isAes(int algorithm) {
        return algorithm == SymmetricKeyAlgorithmTags.AES_128 || algorithm == SymmetricKeyAlgorithmTags.AES_192
            || algorithm == SymmetricKeyAlgorithmTags.AES_256;
    }
}
