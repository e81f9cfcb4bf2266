package dev.drkit.backup;

import dev.drkit.backup.BackupDecryptionException.Reason;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretFileException;
import dev.drkit.core.secret.Secrets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What drkit writes, stock gpg and zstd read, and the other way round: the emergency restore an operator does
 * with nothing but those two tools. The passphrase goes to gpg on stdin, never on its command line, and gpg runs
 * in a throwaway home directory with its passphrase cache off.
 */
class GpgInteropTest {

    private static final String PASSPHRASE_TEXT = "interop passphrase with spaces";
    private static final Secret PASSPHRASE = Secret.ofString(PASSPHRASE_TEXT, "interop");

    private static Path gnupgHome;

    @BeforeAll
    static void requireTools() throws IOException {
        assumeTrue(ExternalTools.onPath("gpg"), "gpg is not on PATH: skipping the gpg interoperability tests");
        assumeTrue(ExternalTools.onPath("zstd"), "zstd is not on PATH: skipping the gpg interoperability tests");
        gnupgHome = Files.createTempDirectory("gnupg", PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
    }

    @AfterAll
    static void stopAgent() throws Exception {
        if (gnupgHome != null) {
            // gpg started an agent for this home directory; stop it, then remove the directory.
            run(List.of("gpgconf", "--kill", "gpg-agent"), null, null);
            try (var paths = Files.walk(gnupgHome)) {
                paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void gpgAndZstdRestoreWhatDrkitEncryptedWithTheDefaultSettings(@TempDir Path dir) throws Exception {
        byte[] plaintext = sample(2_000_000, 21);
        Path encrypted = dir.resolve("backup.pgp");
        PipelineSummary summary;
        try (EncryptingStream out = BackupPipeline.encryptingStream(Files.newOutputStream(encrypted),
            PipelineSettings.of(Encryption.passphrase(PASSPHRASE)))) {
            out.write(plaintext);
            out.close();
            summary = out.summary();
        }
        assertThat(summary.ciphertextBytes()).isEqualTo(Files.size(encrypted));

        // The commands documented in the module README.
        Path compressed = dir.resolve("backup.zst");
        Result gpg = gpg(PASSPHRASE_TEXT, "--output", compressed.toString(), "--decrypt", encrypted.toString());
        assertThat(gpg.exitCode).as("gpg --decrypt: %s", gpg.stderr).isZero();
        Path restored = dir.resolve("backup");
        Result zstd = run(List.of("zstd", "-q", "-d", compressed.toString(), "-o", restored.toString()), null, null);
        assertThat(zstd.exitCode).as("zstd -d: %s", zstd.stderr).isZero();

        assertThat(Files.readAllBytes(restored)).isEqualTo(plaintext);
    }

    @Test
    void aPassphraseFileIsOneLineSoGpgOpensWhatDrkitEncryptedWithItGivenTheSameFile(@TempDir Path dir)
        throws Exception {
        Path passfile = passphraseFile(dir, "passphrase", PASSPHRASE_TEXT + "\n");
        byte[] plaintext = sample(100_000, 41);
        Path encrypted = dir.resolve("data.pgp");
        try (Secret passphrase = Secrets.fromOneLineFile(passfile)) {
            drkitEncrypt(plaintext, Encryption.passphrase(passphrase), encrypted);
        }

        // The emergency restore's gpg options, with the very file drkit read.
        Path compressed = dir.resolve("data.zst");
        Result gpg = gpgWithPassphraseFile(passfile, "--output", compressed.toString(), "--decrypt",
            encrypted.toString());
        assertThat(gpg.exitCode).as("gpg --passphrase-file --decrypt: %s", gpg.stderr).isZero();
        Path restored = dir.resolve("data");
        Result zstd = run(List.of("zstd", "-q", "-d", compressed.toString(), "-o", restored.toString()), null, null);
        assertThat(zstd.exitCode).as("zstd -d: %s", zstd.stderr).isZero();
        assertThat(Files.readAllBytes(restored)).isEqualTo(plaintext);

        // Two lines (openssl rand -base64 64 writes such a file), a Windows line end, a NUL byte.
        java.util.Map<String, String> files = java.util.Map.of(
            "two-lines", "first line of the passphrase\nsecond line\n",
            "crlf", PASSPHRASE_TEXT + "\r\n",
            "nul", "before the nul\0behind that\n");
        for (java.util.Map.Entry<String, String> file : files.entrySet()) {
            Path other = passphraseFile(dir, file.getKey(), file.getValue());
            Path otherEncrypted = dir.resolve(file.getKey() + ".pgp");
            // Read as a whole (Secrets.fromFile), the passphrase is not the one gpg reads from the same file...
            try (Secret whole = Secrets.fromFile(other)) {
                drkitEncrypt(sample(1000, 42), Encryption.passphrase(whole), otherEncrypted);
            }
            Result otherGpg = gpgWithPassphraseFile(other, "--output", dir.resolve(file.getKey()).toString(),
                "--decrypt", otherEncrypted.toString());
            assertThat(otherGpg.exitCode).as(file.getKey()).isNotZero();
            assertThat(otherGpg.stderr).as(file.getKey()).contains("Bad session key");
            // ... so a passphrase file that must be one line refuses it, naming the file and not the content.
            assertThatThrownBy(() -> Secrets.fromOneLineFile(other)).as(file.getKey())
                .isInstanceOfSatisfying(SecretFileException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SecretFileException.Reason.NOT_ONE_LINE);
                    assertThat(e.getMessage()).contains(other.toString())
                        .doesNotContain("line of the passphrase", "second line", PASSPHRASE_TEXT, "nul\0",
                            "behind that");
                });
        }
    }

    @Test
    void gpgReportsAes256IntegrityProtectionAndTheStrongS2k(@TempDir Path dir) throws Exception {
        Path encrypted = dir.resolve("backup.pgp");
        Files.write(encrypted, Pipelines.encrypt(sample(10_000, 22),
            PipelineSettings.of(Encryption.passphrase(PASSPHRASE))));

        Result packets = gpg(PASSPHRASE_TEXT, "--list-packets", encrypted.toString());

        assertThat(packets.exitCode).as("gpg --list-packets: %s", packets.stderr).isZero();
        assertThat(packets.stdout)
            .contains(":symkey enc packet: version 4, cipher 9, aead 0")  // 9 = AES-256, no AEAD
            .contains("s2k 3, hash 8")                                // iterated+salted, SHA-256
            .contains("count 65011712")
            .contains(":encrypted data packet:")
            .contains("mdc_method: 2")                                // SEIPD v1 with MDC (SHA-1)
            .contains(":literal data packet:")
            .doesNotContain(":compressed packet:")
            .doesNotContain(":aead encrypted packet:");
        assertThat(packets.stderr).contains("AES256").doesNotContain("WARNING");
    }

    @Test
    void gpgFailsOnADrkitFileWithAFlippedByteAndSaysSo(@TempDir Path dir) throws Exception {
        byte[] ciphertext = Pipelines.encrypt(sample(100_000, 23), Compression.zstd());
        ciphertext[ciphertext.length / 2] ^= 0x01;
        Path encrypted = dir.resolve("damaged.pgp");
        Files.write(encrypted, ciphertext);

        Result gpg = gpg(PASSPHRASE_FOR_FAST, "--output", dir.resolve("out").toString(), "--decrypt",
            encrypted.toString());

        assertThat(gpg.exitCode).as("an operator must check gpg's exit status").isNotZero();
    }

    @Test
    void drkitDecryptsWhatGpgEncryptedFromAZstdFile(@TempDir Path dir) throws Exception {
        byte[] plaintext = sample(500_000, 24);
        Path original = dir.resolve("data");
        Files.write(original, plaintext);
        Path compressed = dir.resolve("data.zst");
        assertThat(run(List.of("zstd", "-q", original.toString(), "-o", compressed.toString()), null, null).exitCode)
            .isZero();
        Path encrypted = dir.resolve("data.zst.gpg");
        Result gpg = gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
            "--output", encrypted.toString(), compressed.toString());
        assertThat(gpg.exitCode).as("gpg --symmetric: %s", gpg.stderr).isZero();

        try (DecryptingStream in = BackupPipeline.decryptingStream(Files.newInputStream(encrypted), PASSPHRASE)) {
            assertThat(in.readAllBytes()).isEqualTo(plaintext);
            assertThat(in.summary().ciphertextBytes()).isEqualTo(Files.size(encrypted));
        }
    }

    @Test
    void gpgFilesWithoutZstdInsideAreRefusedAsZstdAndReadAsUncompressed(@TempDir Path dir) throws Exception {
        byte[] plaintext = sample(50_000, 25);
        Path original = dir.resolve("plain");
        Files.write(original, plaintext);
        // gpg's defaults: its own ZIP compression inside the encrypted packet.
        Path encrypted = dir.resolve("plain.gpg");
        Result gpg = gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--output",
            encrypted.toString(), original.toString());
        assertThat(gpg.exitCode).as("gpg --symmetric: %s", gpg.stderr).isZero();

        assertThatThrownBy(() -> Pipelines.decrypt(Files.readAllBytes(encrypted), PASSPHRASE, Compression.zstd()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED));
        assertThat(Pipelines.decrypt(Files.readAllBytes(encrypted), PASSPHRASE, Compression.none()))
            .isEqualTo(plaintext);
    }

    @Test
    void drkitRefusesAGpgFileWithoutIntegrityProtection(@TempDir Path dir) throws Exception {
        Path original = dir.resolve("plain");
        Files.write(original, sample(1000, 26));
        Path encrypted = dir.resolve("plain.gpg");
        Result gpg = gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
            "--rfc2440", "--output", encrypted.toString(), original.toString());
        assumeTrue(gpg.exitCode == 0, "this gpg will not write a message without MDC: " + gpg.stderr);

        assertThatThrownBy(() -> Pipelines.decrypt(Files.readAllBytes(encrypted), PASSPHRASE, Compression.none()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
            .hasMessageContaining("no integrity protection");
    }

    @Test
    void drkitReportsAWrongPassphraseOnAGpgFile(@TempDir Path dir) throws Exception {
        Path original = dir.resolve("plain");
        Files.write(original, sample(1000, 27));
        Path encrypted = dir.resolve("plain.gpg");
        assertThat(gpg(PASSPHRASE_TEXT, "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
            "--output", encrypted.toString(), original.toString()).exitCode).isZero();

        assertThatThrownBy(() -> Pipelines.decrypt(Files.readAllBytes(encrypted),
            Secret.ofString("not it", "wrong"), Compression.none()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE));
    }

    // ---- public-key recipients -------------------------------------------------------------------------------

    /** The passphrase protecting the keys gpg makes in these tests. */
    private static final String GPG_KEY_PASSPHRASE = "gpg key passphrase";
    private static final java.util.Map<String, String> GPG_KEYS = new java.util.HashMap<>();

    /**
     * A key pair made by gpg itself ({@code --quick-gen-key USERID ALGORITHM default never}), once per run: its
     * fingerprint. {@code future-default} makes Ed25519 + cv25519; {@code default} makes RSA 3072 + an RSA 3072
     * encryption subkey; {@code rsa3072} makes a lone RSA primary key that only certifies and signs.
     */
    private static synchronized String gpgKey(String algorithm) throws Exception {
        String existing = GPG_KEYS.get(algorithm);
        if (existing != null) {
            return existing;
        }
        String userId = "gpg " + algorithm + " <" + algorithm + "@example.com>";
        Result made = gpg(GPG_KEY_PASSPHRASE, "--quick-gen-key", userId, algorithm, "default", "never");
        assertThat(made.exitCode).as("gpg --quick-gen-key %s: %s", algorithm, made.stderr).isZero();
        Result listed = gpg("", "--with-colons", "--list-keys", "<" + algorithm + "@example.com>");
        String fingerprint = listed.stdout.lines().filter(line -> line.startsWith("fpr:")).findFirst()
            .map(line -> line.split(":")[9]).orElseThrow(() -> new AssertionError("no fingerprint: " + listed));
        GPG_KEYS.put(algorithm, fingerprint);
        return fingerprint;
    }

    private static RecipientKey gpgPublicKey(String fingerprint) throws Exception {
        Result exported = gpg("", "--armor", "--export", fingerprint);
        assertThat(exported.exitCode).as("gpg --export: %s", exported.stderr).isZero();
        return RecipientKey.parse(exported.stdout);
    }

    private static Identity gpgPrivateKey(String fingerprint) throws Exception {
        Result exported = gpg(GPG_KEY_PASSPHRASE, "--armor", "--export-secret-keys", fingerprint);
        assertThat(exported.exitCode).as("gpg --export-secret-keys: %s", exported.stderr).isZero();
        return Identity.of(Secret.ofString(exported.stdout, "gpg-secret-key"),
            Secret.ofString(GPG_KEY_PASSPHRASE, "gpg-key-passphrase"));
    }

    private static byte[] drkitEncrypt(byte[] plaintext, Encryption encryption, Path file) throws IOException {
        try (EncryptingStream out = BackupPipeline.encryptingStream(Files.newOutputStream(file),
            PipelineSettings.of(encryption))) {
            out.write(plaintext);
        }
        return Files.readAllBytes(file);
    }

    private static byte[] drkitDecrypt(Path file, DecryptionKey key, Compression compression) throws IOException {
        try (DecryptingStream in = BackupPipeline.decryptingStream(Files.newInputStream(file), key, compression)) {
            byte[] plaintext = in.readAllBytes();
            assertThat(in.isVerified()).isTrue();
            return plaintext;
        }
    }

    /** gpg -d, then zstd -d: the stock-tools restore with a private key. */
    private static byte[] gpgAndZstdRestore(Path encrypted, Path dir, String passphrase) throws Exception {
        Path compressed = dir.resolve(encrypted.getFileName() + ".zst");
        Result gpg = gpg(passphrase, "--output", compressed.toString(), "--decrypt", encrypted.toString());
        assertThat(gpg.exitCode).as("gpg --decrypt: %s", gpg.stderr).isZero();
        Path restored = dir.resolve(encrypted.getFileName() + ".restored");
        Result zstd = run(List.of("zstd", "-q", "-d", compressed.toString(), "-o", restored.toString()), null, null);
        assertThat(zstd.exitCode).as("zstd -d: %s", zstd.stderr).isZero();
        return Files.readAllBytes(restored);
    }

    @Test
    void gpgAndZstdRestoreWhatDrkitEncryptedToAGpgMadeCurve25519Key(@TempDir Path dir) throws Exception {
        String fingerprint = gpgKey("future-default");
        RecipientKey recipient = gpgPublicKey(fingerprint);
        assertThat(recipient.fingerprint()).isEqualTo(fingerprint);
        byte[] plaintext = sample(1_000_000, 31);
        Path encrypted = dir.resolve("backup.pgp");
        drkitEncrypt(plaintext, Encryption.recipients(recipient), encrypted);

        assertThat(gpgAndZstdRestore(encrypted, dir, GPG_KEY_PASSPHRASE)).isEqualTo(plaintext);
    }

    @Test
    void gpgAndZstdRestoreWhatDrkitEncryptedToAGpgMadeRsaKey(@TempDir Path dir) throws Exception {
        String fingerprint = gpgKey("default");
        byte[] plaintext = sample(200_000, 32);
        Path encrypted = dir.resolve("backup.pgp");
        drkitEncrypt(plaintext, Encryption.recipients(gpgPublicKey(fingerprint)), encrypted);

        assertThat(gpgAndZstdRestore(encrypted, dir, GPG_KEY_PASSPHRASE)).isEqualTo(plaintext);
        assertThat(drkitDecrypt(encrypted, gpgPrivateKey(fingerprint), Compression.zstd())).isEqualTo(plaintext);
    }

    @Test
    void gpgDecryptsEachPartOfABackupToAGpgKeyAndDrkitDerivesTheKeyOncePerBackup(@TempDir Path dir)
        throws Exception {
        String fingerprint = gpgKey("future-default");
        byte[] plaintext = sample(300_000, 35);
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = BackupEngine.builder(store).encryption(Encryption.recipients(gpgPublicKey(fingerprint)))
            .partBytes(16 * 1024).threads(3).build();
        String id = engine.backup(BackupSource.stream("dump", () -> new java.io.ByteArrayInputStream(plaintext)))
            .id();
        List<DataPart> parts = engine.manifest(id).parts();
        assertThat(parts.size()).isGreaterThan(3);

        // gpg -d of each part, concatenated in order, then zstd -d: the stock-tools restore
        java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
        for (DataPart part : parts) {
            Path file = Files.write(dir.resolve(part.object()), store.bytes(id, part.object()));
            Path out = dir.resolve(part.object() + ".out");
            Result gpg = gpg(GPG_KEY_PASSPHRASE, "--output", out.toString(), "--decrypt", file.toString());
            assertThat(gpg.exitCode).as("gpg --decrypt %s: %s", part.object(), gpg.stderr).isZero();
            compressed.writeBytes(Files.readAllBytes(out));
        }
        Path zst = Files.write(dir.resolve("all.zst"), compressed.toByteArray());
        Result zstd = run(List.of("zstd", "-q", "-d", zst.toString(), "-o", dir.resolve("all").toString()), null,
            null);
        assertThat(zstd.exitCode).as("zstd -d: %s", zstd.stderr).isZero();
        assertThat(Files.readAllBytes(dir.resolve("all"))).isEqualTo(plaintext);

        Path restored = dir.resolve("restored");
        engine.restore(id, gpgPrivateKey(fingerprint), restored);
        assertThat(Files.readAllBytes(restored)).isEqualTo(plaintext);
    }

    @Test
    void everyPartOfAPassphraseBackupCarriesTheSameS2kSaltAndGpgOpensEach(@TempDir Path dir) throws Exception {
        byte[] plaintext = sample(200_000, 36);
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = BackupEngine.builder(store).encryption(Encryption.passphrase(PASSPHRASE))
            .partBytes(16 * 1024).build();
        String id = engine.backup(BackupSource.stream("dump", () -> new java.io.ByteArrayInputStream(plaintext)))
            .id();
        List<DataPart> parts = engine.manifest(id).parts();
        assertThat(parts.size()).isGreaterThan(2);

        java.util.Set<String> s2ks = new java.util.HashSet<>();
        for (DataPart part : parts) {
            Path file = Files.write(dir.resolve(part.object()), store.bytes(id, part.object()));
            Result packets = gpg(PASSPHRASE_TEXT, "--list-packets", file.toString());
            assertThat(packets.exitCode).as("gpg --list-packets %s: %s", part.object(), packets.stderr).isZero();
            String s2k = packets.stdout.lines().filter(line -> line.contains("salt")).findFirst()
                .orElseThrow(() -> new AssertionError("no S2K salt in " + packets.stdout));
            s2ks.add(s2k.trim());
            assertThat(packets.stdout).contains("mdc_method: 2").doesNotContain(":compressed packet:");
        }
        assertThat(s2ks).as("one S2K (salt and count) for the whole backup").hasSize(1);
        assertThat(s2ks.iterator().next()).contains("count 65011712");
    }

    @Test
    void gpgSeesOnePublicKeyPacketPerRecipientAes256AndMdcAndNoCompression(@TempDir Path dir) throws Exception {
        RecipientKey curve = gpgPublicKey(gpgKey("future-default"));
        RecipientKey rsa = gpgPublicKey(gpgKey("default"));
        Path encrypted = dir.resolve("backup.pgp");
        drkitEncrypt(sample(10_000, 33), Encryption.recipients(curve, rsa), encrypted);

        Result packets = gpg(GPG_KEY_PASSPHRASE, "--list-packets", encrypted.toString());

        assertThat(packets.exitCode).as("gpg --list-packets: %s", packets.stderr).isZero();
        assertThat(packets.stdout)
            .contains(":pubkey enc packet: version 3, algo 18, keyid " + curve.encryptionKeyId())
            .contains(":pubkey enc packet: version 3, algo 1, keyid " + rsa.encryptionKeyId())
            .contains(":encrypted data packet:")
            .contains("mdc_method: 2")
            .contains(":literal data packet:")
            .doesNotContain(":compressed packet:")
            .doesNotContain(":aead encrypted packet:");
        // The cipher (AES-256, algorithm 9) shows in the session key: see the manifest key test below.
        assertThat(packets.stderr).doesNotContain("WARNING");
    }

    @Test
    void theManifestKeyIsDerivedFromTheSessionKeyGpgRecovers(@TempDir Path dir) throws Exception {
        String fingerprint = gpgKey("future-default");
        Path encrypted = dir.resolve("backup.pgp");
        Secret written;
        try (EncryptingStream out = BackupPipeline.encryptingStream(Files.newOutputStream(encrypted),
            PipelineSettings.of(Encryption.recipients(gpgPublicKey(fingerprint))))) {
            out.write(sample(5_000, 34));
            written = out.manifestKey();
        }

        Result gpg = gpg(GPG_KEY_PASSPHRASE, "--show-session-key", "--output", dir.resolve("out").toString(),
            "--decrypt", encrypted.toString());
        assertThat(gpg.exitCode).as("gpg --decrypt: %s", gpg.stderr).isZero();
        java.util.regex.Matcher sessionKey = java.util.regex.Pattern.compile("session key: '9:([0-9A-F]+)'")
            .matcher(gpg.stderr);
        assertThat(sessionKey.find()).as("gpg's session key line in: %s", gpg.stderr).isTrue();
        byte[] key = java.util.HexFormat.of().parseHex(sessionKey.group(1));

        assertThat(dev.drkit.backup.internal.ManifestKeys.derive(key)).isEqualTo(written);
        try (DecryptingStream in = BackupPipeline.decryptingStream(Files.newInputStream(encrypted),
            gpgPrivateKey(fingerprint), Compression.zstd())) {
            assertThat(in.manifestKey()).isEqualTo(written);
        }
    }

    @Test
    void drkitDecryptsWhatGpgEncryptedToADrkitKeyWithAndWithoutGpgsCompression(@TempDir Path dir)
        throws Exception {
        OpenPgpKeyPair pair = TestKeys.protectedPair();
        OpenPgpKeyPair.KeyFiles files = pair.writeTo(dir, "drkit");
        Result imported = gpg("", "--import", files.publicKey().toString());
        assertThat(imported.exitCode).as("gpg --import: %s", imported.stderr).isZero();
        byte[] plaintext = sample(300_000, 35);
        Path original = dir.resolve("data");
        Files.write(original, plaintext);
        Path compressed = dir.resolve("data.zst");
        assertThat(run(List.of("zstd", "-q", original.toString(), "-o", compressed.toString()), null, null).exitCode)
            .isZero();
        Identity identity = Identity.fromFile(files.secretKey(), TestKeys.KEY_PASSPHRASE);

        Path plain = dir.resolve("data.zst.gpg");
        Result none = gpg("", "--trust-model", "always", "--recipient", pair.fingerprint(), "--compress-algo", "none",
            "--output", plain.toString(), "--encrypt", compressed.toString());
        assertThat(none.exitCode).as("gpg --encrypt: %s", none.stderr).isZero();
        assertThat(drkitDecrypt(plain, identity, Compression.zstd())).isEqualTo(plaintext);

        Path zipped = dir.resolve("data.zst.zip.gpg");
        Result zip = gpg("", "--trust-model", "always", "--recipient", pair.fingerprint(), "--compress-algo", "zip",
            "--output", zipped.toString(), "--encrypt", compressed.toString());
        assertThat(zip.exitCode).as("gpg --encrypt: %s", zip.stderr).isZero();
        assertThat(drkitDecrypt(zipped, identity, Compression.zstd())).isEqualTo(plaintext);

        Path raw = dir.resolve("data.gpg");
        Result defaults = gpg("", "--trust-model", "always", "--recipient", pair.fingerprint(),
            "--output", raw.toString(), "--encrypt", original.toString());
        assertThat(defaults.exitCode).as("gpg --encrypt: %s", defaults.stderr).isZero();
        assertThat(drkitDecrypt(raw, identity, Compression.none())).isEqualTo(plaintext);
    }

    @Test
    void aDrkitKeyImportedIntoGpgDecryptsDrkitBackups(@TempDir Path dir) throws Exception {
        OpenPgpKeyPair pair = OpenPgpKeyPair.generator("Imported <imported@example.com>")
            .passphrase(TestKeys.KEY_PASSPHRASE).generate();
        OpenPgpKeyPair.KeyFiles files = pair.writeTo(dir, "imported");
        String keyPassphrase = new String(TestKeys.KEY_PASSPHRASE.reveal());
        Result imported = gpg(keyPassphrase, "--import", files.secretKey().toString());
        assertThat(imported.exitCode).as("gpg --import: %s", imported.stderr).isZero();
        Result listed = gpg("", "--with-colons", "--list-secret-keys", pair.fingerprint());
        assertThat(listed.stdout).contains("fpr:::::::::" + pair.fingerprint() + ":")
            .containsPattern("(?m)^sec:.*:22:.*ed25519")
            .containsPattern("(?m)^ssb:.*:18:.*:e:.*cv25519");

        byte[] plaintext = sample(400_000, 36);
        Path encrypted = dir.resolve("backup.pgp");
        drkitEncrypt(plaintext, Encryption.recipients(RecipientKey.read(files.publicKey())), encrypted);

        assertThat(gpgAndZstdRestore(encrypted, dir, keyPassphrase)).isEqualTo(plaintext);
        // Forget the passphrase gpg-agent cached during the import, so the next decryption has to ask for it.
        assertThat(run(List.of("gpgconf", "--reload", "gpg-agent"), null, null).exitCode).isZero();
        Result wrong = gpg("not the passphrase", "--output", dir.resolve("wrong").toString(), "--decrypt",
            encrypted.toString());
        assertThat(wrong.exitCode).as("gpg must need the key's passphrase").isNotZero();
    }

    @Test
    void gpgRestoresABackupForARecipientAndAPassphraseWithThePassphraseAlone(@TempDir Path dir) throws Exception {
        // The recipient's private key is not in gpg's keyring: gpg skips that packet and uses the passphrase one.
        RecipientEncryption encryption = RecipientEncryption.builder()
            .recipient(TestKeys.otherPair().recipient())
            .passphrase(PassphraseEncryption.builder(PASSPHRASE).build())
            .build();
        byte[] plaintext = sample(100_000, 39);
        Path encrypted = dir.resolve("backup.pgp");
        drkitEncrypt(plaintext, encryption, encrypted);

        assertThat(gpgAndZstdRestore(encrypted, dir, PASSPHRASE_TEXT)).isEqualTo(plaintext);
        assertThat(drkitDecrypt(encrypted, TestKeys.identity(TestKeys.otherPair()), Compression.zstd()))
            .isEqualTo(plaintext);
    }

    @Test
    void aGpgKeyWithoutAnEncryptionSubkeyIsRefusedAsARecipient() throws Exception {
        String fingerprint = gpgKey("rsa3072");

        assertThatThrownBy(() -> gpgPublicKey(fingerprint))
            .isInstanceOfSatisfying(OpenPgpKeyException.class,
                e -> assertThat(e.reason()).isEqualTo(OpenPgpKeyException.Reason.NO_ENCRYPTION_KEY))
            .hasMessageContaining(fingerprint)
            .hasMessageContaining("no (sub)key that may encrypt");
    }

    @Test
    void anotherKeyFailsAsWrongKeyNamingTheGpgSubkey(@TempDir Path dir) throws Exception {
        RecipientKey recipient = gpgPublicKey(gpgKey("future-default"));
        Path encrypted = dir.resolve("backup.pgp");
        drkitEncrypt(sample(1000, 37), Encryption.recipients(recipient), encrypted);

        assertThatThrownBy(() -> drkitDecrypt(encrypted, TestKeys.identity(TestKeys.otherPair()), Compression.zstd()))
            .isInstanceOfSatisfying(BackupDecryptionException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.WRONG_KEY);
                assertThat(e.recipientKeyIds()).containsExactly(recipient.encryptionKeyId());
            })
            .hasMessageContaining(recipient.encryptionKeyId());
    }

    @Test
    void aTamperedBackupForAGpgKeyFailsAsDamagedInDrkitAndInGpg(@TempDir Path dir) throws Exception {
        String fingerprint = gpgKey("future-default");
        Path encrypted = dir.resolve("backup.pgp");
        byte[] ciphertext = drkitEncrypt(sample(100_000, 38), Encryption.recipients(gpgPublicKey(fingerprint)),
            encrypted);
        ciphertext[ciphertext.length / 2] ^= 0x10;
        Files.write(encrypted, ciphertext);

        assertThatThrownBy(() -> drkitDecrypt(encrypted, gpgPrivateKey(fingerprint), Compression.zstd()))
            .isInstanceOfSatisfying(BackupDecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.DAMAGED));
        Result gpg = gpg(GPG_KEY_PASSPHRASE, "--output", dir.resolve("out").toString(), "--decrypt",
            encrypted.toString());
        assertThat(gpg.exitCode).isNotZero();
    }

    /** The passphrase {@link Pipelines#encrypt} uses. */
    private static final String PASSPHRASE_FOR_FAST = "correct horse battery staple";

    private static Result gpg(String passphrase, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", gnupgHome.toString(), "--batch",
            "--no-tty", "--yes", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--no-symkey-cache"));
        command.addAll(List.of(args));
        return run(command, passphrase + "\n", gnupgHome);
    }

    /** gpg as the emergency restore runs it: {@code --passphrase-file}, nothing on stdin. */
    private static Result gpgWithPassphraseFile(Path passfile, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", gnupgHome.toString(), "--batch",
            "--no-tty", "--yes", "--pinentry-mode", "loopback", "--passphrase-file", passfile.toString(),
            "--no-symkey-cache"));
        command.addAll(List.of(args));
        return run(command, null, gnupgHome);
    }

    private static Path passphraseFile(Path dir, String name, String content) throws IOException {
        Path file = dir.resolve(name + ".passphrase");
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static Result run(List<String> command, String stdin, Path home) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (home != null) {
            builder.environment().put("GNUPGHOME", home.toString());
        } else if (gnupgHome != null) {
            builder.environment().put("GNUPGHOME", gnupgHome.toString());
        }
        Process process = builder.start();
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        var stdout = readAsync(process.getInputStream());
        var stderr = readAsync(process.getErrorStream());
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command.get(0));
        }
        return new Result(process.exitValue(), stdout.get(), stderr.get());
    }

    private static java.util.concurrent.CompletableFuture<String> readAsync(InputStream stream) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
    }


    private record Result(int exitCode, String stdout, String stderr) {
    }
}
