package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.SourceKind;
import dev.drkit.backup.store.BackupStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
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
     * Java reads as the working directory, is refused too: it is a mistake far more often than a wish.
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
