package dev.drkit.backup.internal;

import dev.drkit.core.secret.Secret;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.CompressionAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.generators.X25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.X25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKdfParameters;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.PBESecretKeyEncryptor;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;

/**
 * Makes an OpenPGP v4 key as gpg 2.2 does with {@code --quick-gen-key USERID future-default}: an Ed25519 primary
 * key (EdDSA, algorithm 22) that certifies and signs, and a Curve25519 ECDH subkey (algorithm 18, KDF SHA-256 and
 * AES-128 key wrap, gpg's parameters) that encrypts. The secret keys are protected with AES-256 under iterated and
 * salted SHA-256 S2K at the largest count OpenPGP can express, which gpg 2.2 reads; or not at all.
 */
public final class KeyGeneration {

    /** OpenPGP's largest S2K count byte: 65,011,712 bytes hashed. */
    static final int S2K_COUNT_CODE = 0xFF;

    private KeyGeneration() {
    }

    /** A generated key: both halves armored, and the facts about it. */
    public record Generated(String fingerprint, String encryptionKeyId, byte[] publicKeyArmored,
                            Secret secretKeyArmored) {
    }

    /**
     * Generates a key pair.
     *
     * @param passphrase protects the secret keys, or {@code null} for none
     * @param validFor   how long the key is valid from {@code created}, or {@code null} for no expiry
     */
    public static Generated generate(String userId, @Nullable Secret passphrase, Instant created,
                                     @Nullable Duration validFor) {
        SecureRandom random = new SecureRandom();
        // OpenPGP times have whole seconds; truncate so the self-signatures match the keys exactly.
        Date time = Date.from(Instant.ofEpochSecond(created.getEpochSecond()));
        try {
            Ed25519KeyPairGenerator ed = new Ed25519KeyPairGenerator();
            ed.init(new Ed25519KeyGenerationParameters(random));
            PGPKeyPair primary = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.EDDSA_LEGACY,
                ed.generateKeyPair(), time);
            X25519KeyPairGenerator x = new X25519KeyPairGenerator();
            x.init(new X25519KeyGenerationParameters(random));
            PGPKeyPair encryption = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.ECDH,
                new PGPKdfParameters(HashAlgorithmTags.SHA256, SymmetricKeyAlgorithmTags.AES_128),
                x.generateKeyPair(), time);

            PGPSignatureSubpacketGenerator primaryPackets = new PGPSignatureSubpacketGenerator();
            primaryPackets.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
            primaryPackets.setPreferredSymmetricAlgorithms(false, new int[] {
                SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.AES_192, SymmetricKeyAlgorithmTags.AES_128});
            primaryPackets.setPreferredHashAlgorithms(false, new int[] {
                HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA384, HashAlgorithmTags.SHA256});
            // drkit compresses with zstd before encrypting: ask other tools not to compress again.
            primaryPackets.setPreferredCompressionAlgorithms(false, new int[] {CompressionAlgorithmTags.UNCOMPRESSED});
            primaryPackets.setFeature(false, Features.FEATURE_MODIFICATION_DETECTION);
            primaryPackets.setPrimaryUserID(false, true);
            PGPSignatureSubpacketGenerator subkeyPackets = new PGPSignatureSubpacketGenerator();
            subkeyPackets.setKeyFlags(true, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
            if (validFor != null) {
                primaryPackets.setKeyExpirationTime(true, validFor.getSeconds());
                subkeyPackets.setKeyExpirationTime(true, validFor.getSeconds());
            }

            PGPDigestCalculator sha1 = new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1);
            PGPKeyRingGenerator generator = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary,
                userId, sha1, primaryPackets.generate(), null,
                new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA512), null);
            generator.addSubKey(encryption, subkeyPackets.generate(), null);
            PGPSecretKeyRing secretRing = generator.generateSecretKeyRing();
            PGPPublicKeyRing publicRing = generator.generatePublicKeyRing();
            if (passphrase != null) {
                secretRing = protect(secretRing, passphrase, random);
            }

            String fingerprint = PgpKeys.hex(publicRing.getPublicKey().getFingerprint());
            String encryptionKeyId = PgpKeys.keyId(encryption.getKeyID());
            byte[] publicArmored = PgpKeys.armor(publicRing.getEncoded());
            WipingBuffer secretBinary = new WipingBuffer();
            WipingBuffer secretArmored = new WipingBuffer();
            try {
                secretRing.encode(secretBinary);
                try (var armored = org.bouncycastle.bcpg.ArmoredOutputStream.builder().clearHeaders()
                    .build(secretArmored)) {
                    secretBinary.writeTo(armored);
                }
                return new Generated(fingerprint, encryptionKeyId, publicArmored,
                    secretArmored.toSecret("private key " + fingerprint.substring(fingerprint.length() - 16)));
            } finally {
                secretBinary.wipe();
                secretArmored.wipe();
            }
        } catch (PGPException e) {
            throw new IllegalStateException("OpenPGP key generation failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Encrypts each secret key with its own encryptor (its own S2K salt and IV). One encryptor shared by the
     * primary key and the subkey, as {@code PGPKeyRingGenerator} would use it, left the subkey unreadable in Bouncy
     * Castle 1.86 (its checksum failed on unlock).
     */
    private static PGPSecretKeyRing protect(PGPSecretKeyRing ring, Secret passphrase, SecureRandom random)
        throws PGPException {
        List<PGPSecretKey> keys = new ArrayList<>();
        for (PGPSecretKey key : ring) {
            keys.add(passphrase.withChars(chars -> {
                try {
                    PBESecretKeyEncryptor encryptor = new BcPBESecretKeyEncryptorBuilder(
                        SymmetricKeyAlgorithmTags.AES_256,
                        new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA256), S2K_COUNT_CODE)
                        .setSecureRandom(random).build(chars);
                    // With a SHA-1 checksum calculator the key is written with S2K usage 254 (integrity-checked),
                    // as gpg writes it, rather than 255 with its two-byte sum.
                    return PGPSecretKey.copyWithNewPassword(key, null, encryptor,
                        new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1));
                } catch (PGPException e) {
                    throw new IllegalStateException("OpenPGP key generation failed: " + e.getMessage(), e);
                }
            }));
        }
        return new PGPSecretKeyRing(keys);
    }

    /** A byte buffer whose contents can be overwritten, for secret key bytes on their way into a Secret. */
    private static final class WipingBuffer extends ByteArrayOutputStream {
        WipingBuffer() {
            super(16 * 1024);   // larger than any key made here, so the buffer is never copied and left behind
        }

        Secret toSecret(String label) {
            byte[] copy = Arrays.copyOf(buf, count);
            try {
                return Secret.ofBytes(copy, label);
            } finally {
                Arrays.fill(copy, (byte) 0);
            }
        }

        void wipe() {
            Arrays.fill(buf, (byte) 0);
            count = 0;
        }
    }
}
