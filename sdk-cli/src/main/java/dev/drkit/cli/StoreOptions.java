package dev.drkit.cli;

import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The {@code --store URI} option the backup commands share: a path or {@code file:} URI opens a filesystem store;
 * {@code s3://bucket/prefix} names an S3 store, not supported by this build yet.
 */
final class StoreOptions {

    @Option(names = "--store", required = true, paramLabel = "URI",
        description = "Where backups are kept: a directory path or file: URI (s3://bucket/prefix is not supported yet).")
    String store;

    /** Opens the store; a URI this build cannot open is a usage error (exit 2). */
    BackupStore open(CommandSpec spec) {
        String value = store.trim();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("s3://")) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "--store: S3 stores (s3://...) are not supported by this drkit yet; use a directory");
        }
        Path root;
        if (lower.startsWith("file:")) {
            try {
                root = Path.of(URI.create(value));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "--store: not a valid file: URI: " + value);
            }
        } else if (value.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "--store: unknown store scheme in " + value.replaceAll("//[^/@]*@", "//***@")
                    + "; use a directory path or file: URI");
        } else {
            root = Path.of(value);
        }
        return FileSystemStore.open(root);
    }
}
