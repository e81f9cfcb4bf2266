package dev.drkit.cli;

import dev.drkit.backup.postgres.NoSuchWalFileException;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.core.DrkitException;
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
 * {@code drkit wal-fetch %f %p}: restores one WAL file from drkit's encrypted WAL store; PostgreSQL's
 * {@code restore_command}. Exit 0 when fetched and checked, 4 (quietly) when the archive has no such file, 1 when
 * it is damaged or the key does not open it, 2 on a usage error, 3 when the store or destination cannot be used.
 * A directory store is opened read-only: a read-only mount of an archive serves a restore, and nothing is written
 * into the store.
 */
@Command(name = "wal-fetch", mixinStandardHelpOptions = true,
    description = {"Fetches one WAL file from a WAL store: decrypted, decompressed and checked against the size and"
        + " SHA-256 recorded at push, into a temporary file beside PATH that is then renamed to PATH. For"
        + " restore_command:",
        "  restore_command = 'drkit wal-fetch --store /archive/wal --passphrase-file /etc/drkit/wal.pass %f %p'",
        "Exit 4, printing nothing, when the archive has no such file (PostgreSQL asks for files that do not exist)."})
final class WalFetchCommand implements Callable<Integer> {

    /** With {@code --stop-recovery-on-damage}: an exit status PostgreSQL treats as fatal for recovery. */
    static final int STOP_RECOVERY = 126;

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    KeyOptions keys;

    @Option(names = "--identity", paramLabel = "KEYFILE",
        description = "The private key (KEYFILE, mode 0600) for an archive pushed to public-key recipients; "
            + "the passphrase options unlock it if it is protected.")
    @Nullable Path identity;

    @Option(names = "--stop-recovery-on-damage",
        description = "Exit 126 instead of 1 when the file is damaged or the key does not open it. PostgreSQL takes"
            + " any exit status below 126 as 'file not found' and, at the end of the archive, ends recovery there;"
            + " from 126 on it stops recovery with FATAL.")
    boolean stopRecoveryOnDamage;

    @Parameters(index = "0", paramLabel = "NAME", description = "The WAL file's name in the archive (%f).")
    String name;

    @Parameters(index = "1", paramLabel = "PATH", description = "Where to write it (%p).")
    Path destination;

    @Override
    public Integer call() throws Exception {
        if (!WalArchive.isWalFileName(name)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "NAME must be a WAL file name (a segment,"
                + " .partial, .history or .backup file), but was \"" + name.replaceAll("\\p{Cntrl}", "?") + "\"");
        }
        try (KeyOptions.ForRestore key = keys.forRestore(spec, identity);
             BackupStore wal = store.openForReading(spec)) {
            try {
                WalArchive.builder(wal).decryptionKey(key.key()).build().fetch(name, destination);
            } catch (NoSuchWalFileException missing) {
                return ExitCodes.NOT_FOUND;
            } catch (DrkitException e) {
                if (!stopRecoveryOnDamage || e.kind() != DrkitException.Kind.DATA) {
                    throw e;
                }
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
                spec.commandLine().getErr().flush();
                return STOP_RECOVERY;
            }
            return ExitCodes.OK;
        }
    }
}
