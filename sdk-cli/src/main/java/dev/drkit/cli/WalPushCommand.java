package dev.drkit.cli;

import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalPushResult;
import dev.drkit.backup.store.BackupStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code drkit wal-push %p}: archives one WAL file into drkit's encrypted WAL store; PostgreSQL's
 * {@code archive_command}. Exit 0 when archived (or archived already with identical content), 1 when the archive
 * holds the name with different content, 2 on a usage error, 3 when the file or store cannot be read or written.
 */
@Command(name = "wal-push", mixinStandardHelpOptions = true,
    description = {"Archives one WAL file (a segment, .partial, .history or .backup file) into a WAL store: "
        + "zstd-compressed, encrypted as OpenPGP, with its size and SHA-256 recorded. For archive_command:",
        "  archive_command = 'drkit wal-push --store /archive/wal --passphrase-file /etc/drkit/wal.pass %p'",
        "The same name again with identical content succeeds; with different content it is refused (exit 1)."})
final class WalPushCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    KeyOptions keys;

    @Option(names = "--recipient", paramLabel = "KEYFILE",
        description = "Encrypt to the public key in KEYFILE instead of a passphrase, so this host cannot read the"
            + " archive.")
    @Nullable Path recipient;

    @Option(names = "--zstd-level", paramLabel = "N", defaultValue = "1",
        description = "zstd level 1..19 (default: ${DEFAULT-VALUE}).")
    int zstdLevel;

    @Parameters(index = "0", paramLabel = "PATH", description = "The WAL file to archive (%p); its name is kept.")
    Path walFile;

    @Override
    public Integer call() throws Exception {
        if (!WalArchive.isWalFileName(String.valueOf(walFile.getFileName()))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "PATH must name a WAL file (a segment,"
                + " .partial, .history or .backup file), but was " + walFile);
        }
        dev.drkit.backup.Compression compression;
        try {
            compression = dev.drkit.backup.Compression.zstd(zstdLevel);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--zstd-level: " + e.getMessage());
        }
        try (KeyOptions.ForBackup key = keys.forBackup(spec, recipient);
             BackupStore wal = store.open(spec)) {
            WalPushResult result = WalArchive.builder(wal).encryption(key.encryption()).compression(compression)
                .build().push(walFile);
            if (result.alreadyArchived()) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + result.walFileName()
                    + " is archived already with identical content");
                spec.commandLine().getErr().flush();
            }
            return ExitCodes.OK;
        }
    }
}
