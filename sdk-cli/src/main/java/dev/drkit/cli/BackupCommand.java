package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.Compression;
import dev.drkit.backup.store.BackupStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code drkit backup}: backs up a file or directory into a store, encrypted; prints the new backup's id. */
@Command(name = "backup", mixinStandardHelpOptions = true,
    description = "Backs up a file or a directory tree into a store: zstd-compressed, encrypted as OpenPGP "
        + "(AES-256) that stock gpg can decrypt, with a manifest of sizes and SHA-256. Prints the new backup's id.")
final class BackupCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--source", required = true, paramLabel = "PATH", description = "The file or directory to back up.")
    Path source;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label recorded in the manifest (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--zstd-level", paramLabel = "N", defaultValue = "3",
        description = "zstd level 1..19, or 0 for no compression (default: ${DEFAULT-VALUE}).")
    int zstdLevel;

    @Mixin
    KeyOptions keys;

    @Option(names = "--recipient", paramLabel = "KEYFILE",
        description = "Encrypt to the public key in KEYFILE (drkit keygen, or gpg --export) instead of a "
            + "passphrase, so this host cannot read its own backups.")
    @Nullable Path recipient;

    @Option(names = "--json", description = "Print the backup's summary as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Compression compression;
        try {
            compression = zstdLevel == 0 ? Compression.none() : Compression.zstd(zstdLevel);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--zstd-level: " + e.getMessage());
        }
        BackupEngine.Builder builder;
        try (KeyOptions.ForBackup key = keys.forBackup(spec, recipient);
             BackupStore backups = store.open(spec)) {
            builder = BackupEngine.builder(backups).encryption(key.encryption())
                .compression(compression);
            try {
                builder.labels(labels);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--label: " + e.getMessage());
            }
            BackupSource what = Files.isDirectory(source) ? BackupSource.directory(source) : BackupSource.file(source);
            BackupInfo info = builder.build().backup(what);
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? info.toJson() : info.id());
            out.flush();
            return ExitCodes.OK;
        }
    }
}
