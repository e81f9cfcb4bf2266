package dev.drkit.cli;

import dev.drkit.backup.postgres.NoSuchWalFileException;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalReadAhead;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code drkit wal-fetch %f %p}: restores one WAL file from drkit's encrypted WAL store; PostgreSQL's
 * {@code restore_command}. Exit 0 when fetched and checked, 4 (quietly) when the archive has no such file, 1 when
 * it is damaged or the key does not open it, 2 on a usage error, 3 when the store or destination cannot be used;
 * 126 instead of 1, 2 or 3 with {@code --stop-recovery-on-error}, which is the default when the server that runs it
 * is in archive recovery ({@link #inArchiveRecovery}).
 * A directory store is opened read-only: a read-only mount of an archive serves a restore, and nothing is written
 * into the store.
 *
 * <p>With {@code --spool DIR}, a run that serves a segment also fetches the next {@code --read-ahead} segments into
 * the spool, which the shell part of the {@code restore_command} then moves into place without starting a JVM
 * ({@link WalReadAhead}). The exit code is that of the file asked for: the segments fetched ahead never change it.
 */
@Command(name = "wal-fetch", mixinStandardHelpOptions = true,
    description = {"Fetches one WAL file from a WAL store: decrypted, decompressed and checked against the size and"
        + " SHA-256 recorded at push, into a temporary file beside PATH that is then renamed to PATH. For"
        + " restore_command:",
        "  restore_command = 'drkit wal-fetch --store /archive/wal --passphrase-file /etc/drkit/wal.pass %%f %%p'",
        "Exit 4, printing nothing, when the archive has no such file (PostgreSQL asks for files that do not exist).",
        "With --spool, one run also fetches the segments after the one asked for into the spool, and the shell answers"
            + " for them without starting a JVM:",
        // the line WalReadAhead.restoreCommand makes (a test holds them equal): the boot id check keeps a file
        // spooled before a crash of the host, which may hold zeros, from being served
        "  restore_command = '{ test -f /spool/%%f && test ! -h /spool/%%f && cmp -s /spool/%%f.record"
            + " /archive/wal/%%f/wal.json && read -r drkit_boot < /proc/sys/kernel/random/boot_id"
            + " && read -r drkit_spool_boot < /spool/.boot && test \"$drkit_boot\" = \"$drkit_spool_boot\""
            + " && mv -f /spool/%%f %%p && rm -f /spool/%%f.record; } 2>/dev/null || drkit wal-fetch --spool /spool"
            + " --store /archive/wal --passphrase-file /etc/drkit/wal.pass %%f %%p'"})
final class WalFetchCommand implements Callable<Integer> {

    /** With {@code --stop-recovery-on-error}: an exit status PostgreSQL treats as fatal for recovery. */
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

    @Option(names = {"--stop-recovery-on-error", "--stop-recovery-on-damage"}, negatable = true,
        description = "Exit 126 on any failure but 'no such file': a damaged file, a key that does not open it, a"
            + " store that cannot be reached or read, a full disk, a wrong option. PostgreSQL takes any exit status"
            + " below 126 as 'file not found' and, at the end of the archive, ends recovery there and promotes; from"
            + " 126 on it stops recovery with FATAL. On by default when run by a server in archive recovery (the"
            + " working directory is a data directory with recovery.signal and no standby.signal), off otherwise: a"
            + " standby falls back to streaming. (--stop-recovery-on-damage is the older name.)")
    @Nullable Boolean stopRecoveryOnError;

    @Option(names = "--spool", paramLabel = "DIR",
        description = "Fetch the segments after the one asked for into DIR (created 0700 if missing; one per server),"
            + " for restore_command's shell part to move into place. The file asked for is taken from DIR when it is"
            + " there.")
    @Nullable Path spool;

    @Option(names = "--read-ahead", paramLabel = "N",
        description = "With --spool: fetch up to N segments ahead (default: " + WalReadAhead.DEFAULT_SEGMENTS
            + "; 0 to " + WalReadAhead.MAX_SEGMENTS + ").")
    @Nullable Integer readAhead;

    @Option(names = "--parallel", paramLabel = "N",
        description = "With --spool: fetch up to N segments ahead at once (default: the number of processors, at most"
            + " 4; 1 to 64).")
    @Nullable Integer parallel;

    @Parameters(index = "0", paramLabel = "NAME", description = "The WAL file's name in the archive (%%f).")
    String name;

    @Parameters(index = "1", paramLabel = "PATH", description = "Where to write it (%%p).")
    Path destination;

    @Override
    public Integer call() throws Exception {
        boolean stopRecovery = stopRecoveryOnError != null ? stopRecoveryOnError
            : inArchiveRecovery(Path.of("").toAbsolutePath());
        if (!stopRecovery) {
            return fetch();
        }
        try {
            return fetch();
        } catch (Exception | Error e) {
            // Any exit below 126 would read as "no such file" and could end recovery early: Errors too.
            // The kind in words, for whoever reads the server log (and a drill that classifies its failure).
            String kind = e instanceof CommandLine.ParameterException ? "usage error"
                : e instanceof DrkitException d && d.kind() == DrkitException.Kind.ENVIRONMENT ? "environment error"
                : e instanceof DrkitException ? "data error" : "internal error";
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + (e instanceof CommandLine.ParameterException
                ? e.getMessage() : ErrorReporter.describe(e)) + " (" + kind + ", exit " + STOP_RECOVERY
                + ": recovery stops here)");
            spec.commandLine().getErr().flush();
            return STOP_RECOVERY;
        }
    }

    /**
     * The exit code for a command line that picocli could not parse: {@link #STOP_RECOVERY} when it asks for it,
     * since a mistyped {@code restore_command} must not read as "no such file" either.
     */
    static int usageExitCode(String[] args, int usual) {
        if (args.length == 0 || !args[0].equals("wal-fetch")) {
            return usual;
        }
        // the last of the options decides, as picocli's parse would have
        for (int i = args.length - 1; i > 0; i--) {
            if (args[i].equals("--stop-recovery-on-error") || args[i].equals("--stop-recovery-on-damage")) {
                return STOP_RECOVERY;
            }
            if (args[i].equals("--no-stop-recovery-on-error") || args[i].equals("--no-stop-recovery-on-damage")) {
                return usual;
            }
        }
        return inArchiveRecovery(Path.of("").toAbsolutePath()) ? STOP_RECOVERY : usual;
    }

    /**
     * Whether {@code directory} is the data directory of a server in archive recovery: PostgreSQL runs
     * {@code restore_command} in its data directory, and {@code recovery.signal} without {@code standby.signal}
     * asks for a recovery that ends, and promotes, at the first file the command does not deliver. A standby
     * ({@code standby.signal}) keeps asking and falls back to streaming, so a failure there is better taken as
     * "not yet".
     */
    static boolean inArchiveRecovery(Path directory) {
        return Files.isRegularFile(directory.resolve("PG_VERSION"))
            && Files.exists(directory.resolve("recovery.signal"))
            && !Files.exists(directory.resolve("standby.signal"));
    }

    private int fetch() throws Exception {
        if (!WalArchive.isWalFileName(name)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "NAME must be a WAL file name (a segment,"
                + " .partial, .history or .backup file), but was \"" + name.replaceAll("\\p{Cntrl}", "?") + "\"");
        }
        if (spool == null && (readAhead != null || parallel != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--read-ahead and --parallel need --spool:"
                + " the segments fetched ahead wait there");
        }
        if (readAhead != null && (readAhead < 0 || readAhead > WalReadAhead.MAX_SEGMENTS)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--read-ahead must be between 0 and "
                + WalReadAhead.MAX_SEGMENTS + ", but was " + readAhead);
        }
        if (parallel != null && (parallel < 1 || parallel > 64)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel must be between 1 and 64, but"
                + " was " + parallel);
        }
        try (KeyOptions.ForRestore key = keys.forRestore(spec, identity);
             BackupStore wal = store.openForReading(spec);
             WalArchive archive = WalArchive.builder(wal).decryptionKey(key.key()).build()) {
            WalReadAhead ahead = spool == null ? null : openSpool(spool);
            try {
                if (!taken(ahead, archive)) {
                    archive.fetch(name, destination);
                }
            } catch (NoSuchWalFileException missing) {
                return ExitCodes.NOT_FOUND;
            }
            int count = readAhead == null ? WalReadAhead.DEFAULT_SEGMENTS : readAhead;
            if (ahead != null && count > 0) {
                int threads = parallel != null ? parallel : Math.min(4, Runtime.getRuntime().availableProcessors());
                try {
                    // the file just served is a whole segment, so its size is the cluster's segment size
                    long size = Files.size(destination);
                    if (WalReadAhead.isSegmentSize(size)) {
                        ahead.fetchAhead(archive, name, size, count, threads);
                    }
                } catch (Exception | Error e) {
                    // %p is in place: recovery would take a non-zero exit for "no such file"
                    warn("no segments fetched ahead: " + ErrorReporter.describe(e));
                }
            }
            return ExitCodes.OK;
        }
    }

    /**
     * The spool, or null after a warning when it cannot be used: recovery takes any failure as "no such file" and
     * may end there, so a spool problem must not stand between it and the archive.
     */
    private @Nullable WalReadAhead openSpool(Path directory) {
        try {
            return WalReadAhead.open(directory);
        } catch (DrkitException e) {
            warn(e.getMessage() + "; fetching without it");
            return null;
        }
    }

    /** Whether the spool held the file and it was moved into place; a spool that fails is warned about, not fatal. */
    private boolean taken(@Nullable WalReadAhead ahead, WalArchive archive) {
        if (ahead == null) {
            return false;
        }
        try {
            return ahead.take(archive, name, destination);
        } catch (DrkitException e) {
            warn(e.getMessage() + "; fetching from the store");
            return false;
        }
    }

    private void warn(String message) {
        spec.commandLine().getErr().println(spec.qualifiedName() + ": warning: " + message);
        spec.commandLine().getErr().flush();
    }
}
