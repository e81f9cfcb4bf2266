package dev.drkit.backup.postgres;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archive_command and restore_command lines docs/pitr.md shows, with their shell parts and quoting, are the
 * ones drkit's generators write: an operator who copies the page gets what the code would have written.
 */
class PitrDocsCommandLinesTest {

    private static String page() throws IOException {
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
            Path page = p.resolve("docs/pitr.md");
            if (Files.isRegularFile(page)) {
                return Files.readString(page);
            }
        }
        throw new IllegalStateException("no docs/pitr.md above " + System.getProperty("user.dir"));
    }

    @Test
    void theReadAheadRestoreCommandIsTheGeneratorsLine() throws IOException {
        String line = WalReadAhead.restoreCommand(Path.of("/var/lib/drkit/read-ahead"), Path.of("/archive/wal"),
            "drkit wal-fetch --spool /var/lib/drkit/read-ahead --store /archive/wal"
                + " --passphrase-file /etc/drkit/wal.pass %f %p");

        assertThat(page()).contains("\nrestore_command = '" + line + "'\n");
    }

    @Test
    void theSpoolArchiveCommandsForADirectoryAndAnS3StoreAreTheGeneratorsLines() throws IOException {
        String directory = WalSpool.archiveCommand(Path.of("/var/lib/drkit/spool"), Path.of("/archive/wal"),
            "drkit wal-push --spool /var/lib/drkit/spool --store /archive/wal --passphrase-file /etc/drkit/wal.pass %p");
        String s3 = WalSpool.archiveCommand(Path.of("/var/lib/drkit/spool"), null,
            "drkit wal-push --spool /var/lib/drkit/spool --store s3://backups/wal/main --s3-region eu-west-1"
                + " --passphrase-file /etc/drkit/wal.pass %p");

        assertThat(page()).contains("\narchive_command = '" + directory + "'\n")
            .contains("\narchive_command = '" + s3 + "'\n");
    }
}
