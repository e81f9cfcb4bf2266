package dev.drkit.backup.store;

import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.PassphraseEncryption;
import dev.drkit.backup.postgres.NoSuchWalFileException;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalConflictException;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The WAL archive over an {@link S3Store}, against the local S3-compatible server the store's tests use. */
class WalArchiveS3Test {

    private static final Secret PASSPHRASE = Secret.ofString("s3 wal passphrase", "wal");
    static S3TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.get();
    }

    @Test
    void pushesFetchesAndRefusesOtherContentInAnS3Store(@TempDir Path dir) throws Exception {
        String prefix = "wal/" + UUID.randomUUID();
        byte[] content = new byte[3 << 20];
        new SplittableRandom(7).nextBytes(content);
        Path segment = dir.resolve("000000010000000000000005");
        Files.write(segment, content);
        try (BackupStore store = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).build()) {
            WalArchive archive = WalArchive.builder(store)
                .encryption(PassphraseEncryption.builder(PASSPHRASE).s2kBytes(65_536).build())
                .decryptionKey(DecryptionKey.passphrase(PASSPHRASE)).build();

            assertThat(archive.push(segment).alreadyArchived()).isFalse();
            assertThat(archive.push(segment).alreadyArchived()).isTrue();
            archive.fetch("000000010000000000000005", dir.resolve("fetched"));
            assertThat(Files.readAllBytes(dir.resolve("fetched"))).isEqualTo(content);
            assertThat(archive.list()).containsExactly("000000010000000000000005");
            assertThatThrownBy(() -> archive.fetch("00000002.history", dir.resolve("h")))
                .isInstanceOf(NoSuchWalFileException.class);

            content[0] ^= 1;
            Path other = Files.createDirectory(dir.resolve("other")).resolve("000000010000000000000005");
            Files.write(other, content);
            assertThatThrownBy(() -> archive.push(other)).isInstanceOf(WalConflictException.class);
        }
    }
}
