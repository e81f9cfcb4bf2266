package dev.drkit.backup;

import dev.drkit.backup.OpenPgpKeyException.Reason;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretFileException;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.api.OpenPGPKeyReader;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Key pairs, their files, and the checks made when public and private keys are read. */
class OpenPgpKeysTest {

    @Test
    void aGeneratedPairHasAnEd25519PrimaryAndAnEncryptionSubkeyAndAFingerprintLikeGpgs() {
        OpenPgpKeyPair pair = TestKeys.protectedPair();
        RecipientKey recipient = pair.recipient();

        assertThat(pair.fingerprint()).matches("[0-9A-F]{40}").isEqualTo(recipient.fingerprint());
        assertThat(pair.encryptionKeyId()).matches("[0-9A-F]{16}").isEqualTo(recipient.encryptionKeyId());
        assertThat(pair.fingerprint()).doesNotEndWith(pair.encryptionKeyId());   // the subkey, not the primary
        assertThat(recipient.userIds()).containsExactly("Backups <ops@example.com>");
        assertThat(recipient.expiresAt()).isEmpty();
        assertThat(pair.isProtected()).isTrue();
        assertThat(pair.publicKeyArmored()).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
            .doesNotContain("Version:");
        assertThat(new String(pair.secretKeyArmored().revealBytes(), StandardCharsets.US_ASCII))
            .startsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----");
        assertThat(pair.toString()).contains(pair.fingerprint()).doesNotContain("BEGIN");
    }

    @Test
    void writeToCreatesThePublicKey0644AndThePrivateKey0600AndReadsBack(@TempDir Path dir) throws Exception {
        OpenPgpKeyPair pair = TestKeys.protectedPair();

        OpenPgpKeyPair.KeyFiles files = pair.writeTo(dir, "backup");

        assertThat(files.publicKey()).isEqualTo(dir.resolve("backup.pub.asc"));
        assertThat(files.secretKey()).isEqualTo(dir.resolve("backup.key.asc"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.secretKey())))
            .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.publicKey())))
            .isIn("rw-r--r--", "rw-r-----", "rw-------");   // 0644 narrowed by a strict umask at most
        assertThat(RecipientKey.read(files.publicKey())).isEqualTo(pair.recipient());
        try (Identity identity = Identity.fromFile(files.secretKey(), TestKeys.KEY_PASSPHRASE)) {
            assertThat(identity.fingerprint()).isEqualTo(pair.fingerprint());
            assertThat(identity.decryptionKeyIds()).containsExactly(pair.encryptionKeyId());
            assertThat(identity.isProtected()).isTrue();
            assertThat(identity.toString()).isEqualTo("Identity[" + pair.fingerprint() + "]");
        }
    }

    @Test
    void writeToNeverOverwritesAndLeavesTheOldFilesAlone(@TempDir Path dir) throws Exception {
        Path existing = dir.resolve("backup.key.asc");
        Files.writeString(existing, "old key");

        assertThatThrownBy(() -> TestKeys.unprotectedPair().writeTo(dir, "backup"))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageContaining("exists already");
        assertThat(Files.readString(existing)).isEqualTo("old key");
        assertThat(dir.resolve("backup.pub.asc")).doesNotExist();
    }

    @Test
    void writeToRefusesAMissingDirectoryAndNamesWithSlashes(@TempDir Path dir) {
        assertThatThrownBy(() -> TestKeys.unprotectedPair().writeTo(dir.resolve("missing"), "backup"))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> TestKeys.unprotectedPair().writeTo(dir, "../backup"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("name must be");
    }

    @Test
    void theGeneratorWantsAnExplicitChoiceAboutThePassphrase() {
        assertThatThrownBy(() -> OpenPgpKeyPair.generator("a <a@example.com>").generate())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("noPassphrase()");
        assertThatThrownBy(() -> OpenPgpKeyPair.generator("a <a@example.com>").noPassphrase()
            .passphrase(Secret.ofString("x", "x")).generate())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("both");
        assertThatThrownBy(() -> OpenPgpKeyPair.generator("a\nb"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpenPgpKeyPair.generator("a").passphrase(Secret.ofString("", "empty")))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anExpiredKeyIsRefusedAsARecipientButItsPrivateKeyStillDecrypts() {
        OpenPgpKeyPair pair = OpenPgpKeyPair.generator("Old <old@example.com>").noPassphrase()
            .created(Instant.now().minus(Duration.ofDays(10))).validFor(Duration.ofDays(2)).generate();

        assertThatThrownBy(pair::recipient)
            .isInstanceOfSatisfying(OpenPgpKeyException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.EXPIRED);
                assertThat(e.context()).containsEntry("fingerprint", pair.fingerprint());
            })
            .hasMessageContaining("expired on");
        assertThat(Identity.of(pair.secretKeyArmored()).decryptionKeyIds()).containsExactly(pair.encryptionKeyId());
    }

    @Test
    void aRevokedKeyIsRefusedAsARecipient() throws Exception {
        OpenPgpKeyPair pair = OpenPgpKeyPair.generator("Revoked <revoked@example.com>").noPassphrase()
            .created(Instant.now().minus(Duration.ofHours(1))).generate();
        PGPSecretKey primary = new OpenPGPKeyReader().parseKey(pair.secretKeyArmored().revealBytes())
            .getPGPSecretKeyRing().getSecretKey();
        PGPSignatureGenerator generator = new PGPSignatureGenerator(
            new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA512),
            primary.getPublicKey());
        generator.init(PGPSignature.KEY_REVOCATION, primary.extractPrivateKey(null));
        PGPPublicKey revoked = PGPPublicKey.addCertification(primary.getPublicKey(),
            generator.generateCertification(primary.getPublicKey()));
        PGPPublicKeyRing ring = PGPPublicKeyRing.insertPublicKey(
            new PGPPublicKeyRing(pair.recipient().encoded(), new org.bouncycastle.openpgp.operator.bc
                .BcKeyFingerprintCalculator()), revoked);

        assertThatThrownBy(() -> RecipientKey.parse(ring.getEncoded()))
            .isInstanceOfSatisfying(OpenPgpKeyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REVOKED))
            .hasMessageContaining("revoked");
    }

    @Test
    void aPrivateKeyIsRefusedAsARecipientSoItNeverSitsOnTheBackupHost() {
        byte[] secret = TestKeys.unprotectedPair().secretKeyArmored().revealBytes();

        assertThatThrownBy(() -> RecipientKey.parse(secret))
            .isInstanceOfSatisfying(OpenPgpKeyException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_A_PUBLIC_KEY))
            .hasMessageContaining("public key only");
    }

    @Test
    void aPublicKeyIsRefusedAsAnIdentity() {
        Secret publicKey = Secret.ofString(TestKeys.unprotectedPair().publicKeyArmored(), "public");

        assertThatThrownBy(() -> Identity.of(publicKey))
            .isInstanceOfSatisfying(OpenPgpKeyException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_A_PRIVATE_KEY));
    }

    @Test
    void aWrongOrMissingKeyPassphraseIsReportedWhenTheIdentityIsMade() {
        Secret key = TestKeys.protectedPair().secretKeyArmored();

        assertThatThrownBy(() -> Identity.of(key, Secret.ofString("not it", "wrong")))
            .isInstanceOfSatisfying(OpenPgpKeyException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE))
            .hasMessageContaining("does not unlock")
            .hasMessageNotContaining("not it");
        assertThatThrownBy(() -> Identity.of(key))
            .isInstanceOfSatisfying(OpenPgpKeyException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE))
            .hasMessageContaining("none was given");
    }

    @Test
    void damagedKeyBytesAreReportedAsDamaged() {
        String armored = TestKeys.unprotectedPair().publicKeyArmored();
        String truncated = armored.substring(0, armored.length() / 2) + "\n-----END PGP PUBLIC KEY BLOCK-----\n";

        for (byte[] bad : new byte[][] {"not a key".getBytes(StandardCharsets.US_ASCII),
            truncated.getBytes(StandardCharsets.US_ASCII), new byte[0], {(byte) 0x99, 0x01}}) {
            assertThatThrownBy(() -> RecipientKey.parse(bad))
                .isInstanceOfSatisfying(OpenPgpKeyException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.DAMAGED));
            assertThatThrownBy(() -> Identity.of(Secret.ofBytes(bad, "bad")))
                .isInstanceOfSatisfying(OpenPgpKeyException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.DAMAGED));
        }
    }

    @Test
    void aFileWithTwoKeysIsRefusedNamingBoth() {
        byte[] both = (TestKeys.unprotectedPair().publicKeyArmored() + TestKeys.otherPair().publicKeyArmored())
            .getBytes(StandardCharsets.US_ASCII);

        assertThatThrownBy(() -> RecipientKey.parse(both))
            .isInstanceOf(OpenPgpKeyException.class)
            .hasMessageContaining(TestKeys.unprotectedPair().fingerprint())
            .hasMessageContaining(TestKeys.otherPair().fingerprint());
    }

    @Test
    void aPrivateKeyFileOthersCanReadIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("loose.key.asc");
        Files.write(file, TestKeys.unprotectedPair().secretKeyArmored().revealBytes());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> Identity.fromFile(file)).isInstanceOf(SecretFileException.class);
    }

    @Test
    void aBinaryKeyWorksAsWellAsAnArmoredOne() {
        RecipientKey key = TestKeys.unprotectedPair().recipient();

        assertThat(RecipientKey.parse(key.encoded())).isEqualTo(key);
        assertThat(RecipientKey.parse(key.armored())).isEqualTo(key);
        assertThat(key.toString()).isEqualTo("RecipientKey[" + key.fingerprint() + ", Fast <fast@example.com>]");
    }
}
