package dev.drkit.backup.internal;

import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.operator.PGPDataEncryptor;
import org.bouncycastle.openpgp.operator.PGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Bouncy Castle's JDK-backed data encryptor for AES-256 in an integrity-protected packet (SEIPD v1 with MDC:
 * what gpg 2.2 and later read, never the v5 or v6 AEAD packets), except that the CFB encryption itself is
 * {@link CfbEncryptingStream} instead of the JDK's block-at-a-time CFB. Packet framing, the random prefix and the
 * MDC stay Bouncy Castle's, so the output is the same OpenPGP message byte for byte for the same session key and
 * prefix. The counterpart of {@link FastCfbDecryptorFactory}.
 */
final class FastCfbEncryptorBuilder implements PGPDataEncryptorBuilder {

    private static final int ALGORITHM = SymmetricKeyAlgorithmTags.AES_256;

    private final JcePGPDataEncryptorBuilder standard;

    /** An AES-256 SEIPD v1 builder whose random prefix comes from {@code random}. */
    FastCfbEncryptorBuilder(SecureRandom random) {
        this.standard = new JcePGPDataEncryptorBuilder(ALGORITHM)
            .setWithIntegrityPacket(true)
            .setSecureRandom(random);
    }

    @Override
    public int getAlgorithm() {
        return standard.getAlgorithm();
    }

    @Override
    public int getAeadAlgorithm() {
        return standard.getAeadAlgorithm();
    }

    @Override
    public int getChunkSize() {
        return standard.getChunkSize();
    }

    @Override
    public boolean isV5StyleAEAD() {
        return standard.isV5StyleAEAD();
    }

    @Override
    public SecureRandom getSecureRandom() {
        return standard.getSecureRandom();
    }

    @Override
    public PGPDataEncryptor build(byte[] keyBytes) throws PGPException {
        Cipher cbc;
        byte[] firstKeyStream;
        try {
            SecretKeySpec key = new SecretKeySpec(keyBytes, "AES");
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, key);
            // OpenPGP's SEIPD v1 uses CFB with a zero IV; its first key-stream block is E(0).
            firstKeyStream = ecb.doFinal(new byte[ecb.getBlockSize()]);
            cbc = Cipher.getInstance("AES/CBC/NoPadding");
            cbc.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(firstKeyStream));
        } catch (GeneralSecurityException e) {
            throw new PGPException("cannot set up AES from the JDK: " + e.getMessage(), e);
        }
        PGPDigestCalculator mdc = new JcaPGPDigestCalculatorProviderBuilder().build().get(HashAlgorithmTags.SHA1);
        return new PGPDataEncryptor() {
            @Override
            public OutputStream getOutputStream(OutputStream out) {
                return new CfbEncryptingStream(out, cbc, firstKeyStream);
            }

            @Override
            public PGPDigestCalculator getIntegrityCalculator() {
                return mdc;     // SEIPD v1's modification detection code: SHA-1 through the JDK, as BC's own
            }

            @Override
            public int getBlockSize() {
                return cbc.getBlockSize();
            }
        };
    }

    /** The AEAD packets are not written by drkit: gpg 2.2 cannot read them. */
    @Override
    public PGPDataEncryptor build(byte[] keyBytes, byte[] associatedData) throws PGPException {
        throw new PGPException("drkit writes only integrity-protected (SEIPD v1) data, not AEAD packets");
    }

    /** Always {@code true}; asking for anything else is a programming error. */
    @Override
    public PGPDataEncryptorBuilder setWithIntegrityPacket(boolean withIntegrityPacket) {
        if (!withIntegrityPacket) {
            throw new UnsupportedOperationException("drkit writes only integrity-protected data");
        }
        return this;
    }

    @Override
    public PGPDataEncryptorBuilder setWithAEAD(int aeadAlgorithm, int chunkSize) {
        throw new UnsupportedOperationException("drkit writes only integrity-protected (SEIPD v1) data");
    }

    @Override
    public PGPDataEncryptorBuilder setUseV5AEAD() {
        throw new UnsupportedOperationException("drkit writes only integrity-protected (SEIPD v1) data");
    }

    @Override
    public PGPDataEncryptorBuilder setUseV6AEAD() {
        throw new UnsupportedOperationException("drkit writes only integrity-protected (SEIPD v1) data");
    }
}
