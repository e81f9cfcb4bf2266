package dev.drkit.cli;

import dev.drkit.backup.BackupVerificationException;
import dev.drkit.backup.postgres.WalArchive;
import dev.drkit.backup.postgres.WalPushResult;
import dev.drkit.backup.postgres.WalReadAhead;
import dev.drkit.backup.postgres.WalSpool;
import dev.drkit.backup.store.BackupStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code drkit wal-push %p}: archives one WAL file into drkit's encrypted WAL store; PostgreSQL's
 * {@code archive_command}. Exit 0 when archived (or archived already with identical content), 1 when the archive
 * holds the name with different content, 2 on a usage error, 3 when the file or store cannot be read or written.
 *
 * <p>With {@code --spool DIR}, one run also pushes up to {@code --batch} - 1 other files PostgreSQL has marked
 * ready, oldest first, and leaves a marker for each in the spool once it is committed, which the
 * {@code archive_command}'s shell test ({@link WalSpool#archiveCommand}) uses to answer for them without a JVM.
 * The exit code is that of the file asked for: a failure among the others ends the batch with a line on standard
 * error and leaves no marker for that file, so PostgreSQL asks for it later and gets the error then. The other files
 * are pushed on {@code --parallel} threads (default 1: one push already keeps two cores busy, compressing on one and
 * encrypting and writing on the other); their markers are written in order,
 * none after the first file that failed.
 */
@Command(name = "wal-push", mixinStandardHelpOptions = true,
    description = {"Archives one WAL file (a segment, .partial, .history or .backup file) into a WAL store: "
        + "zstd-compressed, encrypted as OpenPGP, with its size and SHA-256 recorded. For archive_command:",
        "  archive_command = 'drkit wal-push --store /archive/wal --passphrase-file /etc/drkit/wal.pass %%p'",
        "The same name again with identical content succeeds; with different content it is refused (exit 1).",
        "With --spool, one run also pushes other files PostgreSQL marked ready and leaves a marker per file that the"
            + " archive_command tests in the shell before starting a JVM (docs/pitr.md has the exact form):",
        "  archive_command = '{ test \"$(stat -c %%%%d:%%%%i:%%%%s:%%%%.9Y %%p && cat /archive/wal/%%f/wal.json)\" ="
            + " \"$(cat /spool/%%f.ok)\"; } 2>/dev/null && rm -f /spool/%%f.ok"
            + " || drkit wal-push --spool /spool --store /archive/wal --passphrase-file /etc/drkit/wal.pass %%p'",
        "With an s3:// store the shell cannot read the store's record, so its test compares the file only:",
        "  archive_command = '{ test \"$(stat -c %%%%d:%%%%i:%%%%s:%%%%.9Y %%p)\" = \"$(head -n 1 /spool/%%f.ok)\"; }"
            + " 2>/dev/null && rm -f /spool/%%f.ok || drkit wal-push --spool /spool --store s3://bucket/wal"
            + " --passphrase-file /etc/drkit/wal.pass %%p'"})
final class WalPushCommand implements Callable<Integer> {

    /** Files per run with {@code --spool} unless {@code --batch} says otherwise. */
    static final int DEFAULT_BATCH = 16;
    /**
     * Threads pushing the other files with {@code --spool} unless {@code --parallel} says otherwise: one, because a
     * single push already runs on two threads, and two at once measured no faster on two cores.
     */
    static final int DEFAULT_PARALLEL = 1;

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

    @Option(names = "--spool", paramLabel = "DIR",
        description = "Also push other WAL files that PostgreSQL marked ready (pg_wal/archive_status/*.ready,"
            + " oldest first) and leave a marker per file in DIR (created 0700) once it is in the store, for the"
            + " archive_command's shell test. One spool per server.")
    @Nullable Path spool;

    @Option(names = "--batch", paramLabel = "N",
        description = "With --spool: push at most N files per run, the one asked for included (default: "
            + DEFAULT_BATCH + ").")
    @Nullable Integer batch;

    @Option(names = "--parallel", paramLabel = "N",
        description = "With --spool: push up to N of the other files at once, each on its own thread (default: 1;"
            + " each push already compresses on one thread and encrypts and writes on another).")
    @Nullable Integer parallel;

    @Parameters(index = "0", paramLabel = "PATH", description = "The WAL file to archive (%%p); its name is kept.")
    Path walFile;

    /**
     * PostgreSQL archives whole segments only, so a segment's name on a file of another size is a truncated copy
     * (or not WAL): archiving it would put a file in the archive that no recovery can use.
     */
    private void refuseTruncatedSegment() throws java.io.IOException {
        String name = String.valueOf(walFile.getFileName());
        if (name.matches("[0-9A-F]{24}") && Files.isRegularFile(walFile)) {
            long size = Files.size(walFile);
            if (!WalReadAhead.isSegmentSize(size)) {
                throw new BackupVerificationException(name, "segment size", null, Long.toString(size), "WAL file "
                    + walFile + " is " + size + " bytes under a segment's name, but a segment is a power of two from"
                    + " 1 MiB to 1 GiB: it is truncated or not a segment, and was not archived");
            }
        }
    }

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
        if (batch != null && spool == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch needs --spool: the other files"
                + " pushed are answered for from the spool's markers");
        }
        if (parallel != null && spool == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel needs --spool: it is how many"
                + " of the other ready files are pushed at once");
        }
        if (parallel != null && (parallel < 1 || parallel > 64)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel must be between 1 and 64, but"
                + " was " + parallel);
        }
        if (batch != null && (batch < 1 || batch > 10_000)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch must be between 1 and 10000, but"
                + " was " + batch);
        }
        refuseTruncatedSegment();
        PrintWriter err = spec.commandLine().getErr();
        try (KeyOptions.ForBackup key = keys.forBackup(spec, recipient);
             BackupStore wal = store.openExisting(spec, "wal-push does not create it, so that an archive whose"
                 + " file system is not mounted is not filled on the local disk instead: make it first (mkdir -m 0700,"
                 + " owned by the server's user)");
             WalArchive archive = WalArchive.builder(wal).encryption(key.encryption()).compression(compression)
                 .build()) {
            WalSpool markers = spool == null ? null : WalSpool.open(spool);
            String name = String.valueOf(walFile.getFileName());
            if (markers != null) {
                // PostgreSQL asks for this file now: whatever its marker said, it is answered by this push
                markers.remove(name);
            }
            WalPushResult result = archive.push(walFile);
            if (result.alreadyArchived()) {
                err.println(spec.qualifiedName() + ": " + result.walFileName()
                    + " is archived already with identical content");
            }
            if (markers != null) {
                pushOthers(markers, archive, walFile, err);
            }
            err.flush();
            return ExitCodes.OK;
        }
    }

    /**
     * Pushes other ready files, oldest first, up to the batch size, on a small pool of threads ({@code --parallel}):
     * each file's entry is committed on its own. The markers are written in the files' order, each only after its
     * file's commit, and none after the first file that failed: so the markers left are those of a sequential batch
     * that stopped at that file. After a failure no further file is started; those already started finish (their
     * entries are committed, unmarked; PostgreSQL's next call finds them archived with identical content).
     */
    private void pushOthers(WalSpool markers, WalArchive archive, Path asked, PrintWriter err) {
        Path walDirectory = asked.toAbsolutePath().getParent();
        String askedName = String.valueOf(asked.getFileName());
        int limit = (batch == null ? DEFAULT_BATCH : batch) - 1;
        int marked = 0;
        String failure = null;
        try {
            List<Path> todo = new ArrayList<>();
            for (String other : WalSpool.readyFiles(walDirectory)) {
                if (todo.size() >= limit) {
                    break;
                }
                Path file = walDirectory.resolve(other);
                if (!other.equals(askedName) && !markers.isMarked(file, archive)) {
                    todo.add(file);
                }
            }
            int threads = parallel != null ? parallel
                : Math.min(DEFAULT_PARALLEL, Runtime.getRuntime().availableProcessors());
            Batch pushes = new Batch(todo, Math.max(1, Math.min(threads, todo.size())), markers, archive);
            try {
                for (int i = 0; i < todo.size(); i++) {
                    pushes.await(i).marker().ifPresent(markers::mark);
                    marked++;
                }
            } finally {
                pushes.stop();
            }
            markers.prune(walDirectory);
        } catch (RuntimeException | Error e) {
            // only drkit's messages are printed: this goes to the server log
            failure = ErrorReporter.describe(e);
        }
        if (failure != null) {
            // the file asked for is archived: its exit code stands; the failing file gets its error when asked for
            err.println(spec.qualifiedName() + ": " + askedName + " is archived; pushing the other ready files"
                + " stopped after " + marked + ": " + failure);
        }
    }

    /**
     * The other files of a batch, pushed oldest first on {@code threads} threads; each file's outcome is awaited in
     * order. No file is started after one has failed or {@link #stop()} was called.
     */
    private static final class Batch {
        private final List<Path> files;
        private final List<CompletableFuture<WalSpool.Pushed>> outcomes = new ArrayList<>();
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final List<Thread> workers = new ArrayList<>();

        Batch(List<Path> files, int threads, WalSpool spool, WalArchive archive) {
            this.files = files;
            for (int i = 0; i < files.size(); i++) {
                outcomes.add(new CompletableFuture<>());
            }
            for (int t = 0; t < threads; t++) {
                Thread worker = new Thread(() -> {
                    int index;
                    while (!stopped.get() && (index = next.getAndIncrement()) < files.size()) {
                        try {
                            outcomes.get(index).complete(spool.push(archive, files.get(index)));
                        } catch (RuntimeException | Error e) {
                            stopped.set(true);
                            outcomes.get(index).completeExceptionally(e);
                        }
                    }
                }, "drkit-wal-push-" + (t + 1));
                worker.setDaemon(true);
                workers.add(worker);
                worker.start();
            }
        }

        /** The outcome of file {@code index}: what its push returned, or what it threw. */
        WalSpool.Pushed await(int index) {
            try {
                return outcomes.get(index).get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException) {
                    throw (RuntimeException) e.getCause();
                }
                if (e.getCause() instanceof Error) {
                    throw (Error) e.getCause();
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while pushing " + files.get(index).getFileName(), e);
            }
        }

        /** Starts no further file and waits for those begun: each is committed or not, never half-written. */
        void stop() {
            stopped.set(true);
            boolean interrupted = false;
            for (Thread worker : workers) {
                while (true) {
                    try {
                        worker.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
