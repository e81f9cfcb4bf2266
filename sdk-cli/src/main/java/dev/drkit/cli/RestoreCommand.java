package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.SourceKind;
import dev.drkit.backup.store.BackupStore;
import dev.drkit.core.EnvironmentException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/** {@code drkit restore}: restores a backup to a target, verified before it replaces anything. */
@Command(name = "restore", mixinStandardHelpOptions = true,
    description = {"Restores a backup to TARGET: written beside it, verified completely, then swapped in; what was "
        + "at TARGET is kept as TARGET.pre-restore-<time>. Restore elsewhere to test a backup.",
        "With --target -, a file or stream backup is written to standard output as it is decrypted, for a consumer"
            + " such as pg_restore; its checksums are known only at its end, so on a non-zero exit discard what the"
            + " consumer made of it."})
final class RestoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    EventLogOption events;

    @Mixin
    StoreOptions store;

    @Option(names = "--id", required = true, paramLabel = "ID", converter = BackupIdConverter.class,
        description = "The backup to restore.")
    String id;

    @Option(names = "--target", required = true, paramLabel = "PATH",
        description = "Where to restore it; - for standard output (a file or stream backup).")
    Path target;

    @Mixin
    KeyOptions keys;

    @Option(names = "--identity", paramLabel = "KEYFILE",
        description = "The private key (KEYFILE, mode 0600) for backups made to public-key recipients; "
            + "the passphrase options unlock it if it is protected.")
    @Nullable Path identity;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        boolean toStandardOutput = target.toString().equals("-");
        if (!toStandardOutput) {
            checkTarget();
        }
        try (KeyOptions.ForRestore key = keys.forRestore(spec, identity);
             BackupStore backups = store.openForReading(spec)) {
            BackupEngine engine = events.applyTo(BackupEngine.builder(backups)).build();
            if (toStandardOutput) {
                return toStandardOutput(engine, key);
            }
            RestoreResult result = engine.restore(id, key.key(), target);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                com.fasterxml.jackson.databind.node.ObjectNode node =
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
                node.put("backupId", result.backupId());
                node.put("target", result.target().toString());
                result.previous().ifPresent(p -> node.put("previous", p.toString()));
                node.put("plaintextBytes", result.plaintextBytes());
                node.put("entries", result.entries());
                out.println(node);
            } else {
                out.println("restored " + result.backupId() + " to " + result.target()
                    + result.previous().map(p -> "; the previous data is at " + p).orElse(""));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /**
     * A restore writes beside its target and renames it into place, so the target must be a name inside a directory:
     * not {@code /} (or a path that normalizes to it, such as {@code /..}), which has neither. An empty path, which
     * Java reads as the working directory, is refused too: it is a mistake far more often than a wish. The target must
     * not be a directory store's root, a directory that holds it, or a path inside it (the restore would move the
     * store aside, or write into it), compared as real paths, so that a link or {@code ..} does not hide it; nor the
     * data directory of a running PostgreSQL. All of this is checked before anything is read, written or moved.
     */
    private void checkTarget() {
        if (target.toString().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--target is empty; give the path to restore"
                + " to (. for the current directory, which is then replaced), or - for standard output");
        }
        Path absolute = target.toAbsolutePath().normalize();
        if (absolute.getParent() == null || absolute.getFileName() == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--target " + target + " is the root "
                + "directory, which a restore cannot replace (it writes beside the target and renames it into place); "
                + "give a new or existing path inside a directory, such as /srv/restored, or - for standard output");
        }
        // the entry the restore replaces: the target's name in its parent's real directory (a link is moved aside,
        // not followed)
        Path replaced = StoreOptions.realEntry(absolute);
        Path storeRoot = StoreOptions.directoryOf(store.store);
        if (storeRoot != null) {
            Path root = StoreOptions.realPath(storeRoot);
            String which = root.equals(storeRoot.toAbsolutePath().normalize()) ? "" : " (" + root + ")";
            if (replaced.equals(root)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--target " + target + " is the store "
                    + store.store + which + " itself; restore to a path outside the store");
            }
            if (root.startsWith(replaced)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--target " + target + " holds the store "
                    + store.store + which + ", which the restore would move aside; restore to a path outside the"
                    + " store");
            }
            if (replaced.startsWith(root)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--target " + target + " is inside the "
                    + "store " + store.store + which + ", whose files only drkit writes; restore to a path outside the"
                    + " store");
            }
        }
        OptionalLong pid = livePostmaster(target);
        if (pid.isPresent()) {
            throw new EnvironmentException("--target " + target + " is the data directory of a running PostgreSQL"
                + " (its postmaster.pid names process " + pid.getAsLong() + ", which is running): stop PostgreSQL"
                + " first, or restore to another path", Map.of("file", target.toString()), null);
        }
    }

    /**
     * The process id in {@code directory}'s {@code postmaster.pid} if that process runs ({@code /proc/<pid>} exists);
     * empty when there is no such file, it cannot be read, or it is stale.
     */
    static OptionalLong livePostmaster(Path directory) {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return OptionalLong.empty();
        }
        String first;
        try (BufferedReader reader = Files.newBufferedReader(pidFile, StandardCharsets.US_ASCII)) {
            first = reader.readLine();
        } catch (IOException | UncheckedIOException e) {
            return OptionalLong.empty();
        }
        // the first line is the postmaster's pid; a single-user backend writes it negated
        String pid = first == null ? "" : first.strip().replaceFirst("^-", "");
        if (!pid.matches("[1-9][0-9]{0,9}")) {
            return OptionalLong.empty();
        }
        return Files.exists(Path.of("/proc", pid)) ? OptionalLong.of(Long.parseLong(pid)) : OptionalLong.empty();
    }

    /**
     * The data to standard output, through the raw descriptor (a PrintStream would hide a broken pipe); the summary
     * to standard error.
     */
    private int toStandardOutput(BackupEngine engine, KeyOptions.ForRestore key) {
        if (engine.info(id).manifest().sourceKind() == SourceKind.DIRECTORY) {
            throw new CommandLine.ParameterException(spec.commandLine(), "backup " + id + " is of a directory:"
                + " --target - takes only a file or stream backup; give a directory to restore it into");
        }
        OutputStream stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20);
        long bytes = engine.restore(id, key.key(), stdout);
        PrintWriter err = spec.commandLine().getErr();
        if (json) {
            com.fasterxml.jackson.databind.node.ObjectNode node =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            node.put("backupId", id);
            node.put("target", "-");
            node.put("plaintextBytes", bytes);
            err.println(node);
        } else {
            err.println("restored " + id + " to standard output (" + bytes + " bytes, checked)");
        }
        err.flush();
        return ExitCodes.OK;
    }
}
