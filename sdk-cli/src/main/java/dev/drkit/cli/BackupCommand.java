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
    EventLogOption events;

    @Mixin
    StoreOptions store;

    @Option(names = "--source", required = true, paramLabel = "PATH", description = "The file or directory to back up.")
    Path source;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label recorded in the manifest (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--zstd-level", paramLabel = "N", defaultValue = "3",
        description = "zstd level 1..19, or 0 for no compression (default: ${DEFAULT-VALUE}).")
    int zstdLevel;

    /** {@code --zstd-threads} unless given: the cores, up to this many; none on a single core. */
    static final int MAX_DEFAULT_ZSTD_THREADS = 4;

    @Option(names = "--zstd-threads", paramLabel = "N",
        description = "Threads of its own that zstd compresses with, 0..64; 0 compresses on the thread that reads "
            + "the source (default: the cores, at most " + MAX_DEFAULT_ZSTD_THREADS + ", or 0 on a single core). The "
            + "output is one zstd frame either way.")
    @Nullable Integer zstdThreads;

    @Option(names = "--part-size", paramLabel = "SIZE", defaultValue = "0",
        description = "Cut the compressed stream into parts of SIZE (bytes, or with KiB or MiB, e.g. 4MiB), each "
            + "its own OpenPGP message, encrypted by several threads at once; 0 (the default) writes one message.")
    String partSize;

    @Option(names = "--threads", paramLabel = "N",
        description = "How many parts are encrypted at once with --part-size (default: the cores, within 32 MiB "
            + "of parts in flight).")
    @Nullable Integer threads;

    @Mixin
    KeyOptions keys;

    @Option(names = "--recipient", paramLabel = "KEYFILE",
        description = "Encrypt to the public key in KEYFILE (drkit keygen, or gpg --export) instead of a "
            + "passphrase, so this host cannot read its own backups.")
    @Nullable Path recipient;

    @Option(names = "--temp-dir", paramLabel = "DIR",
        description = "Where a directory of more than about 40,000 entries keeps their list (about 200 bytes each, "
            + "mode 0600) while its data is written; removed when the backup ends (default: java.io.tmpdir).")
    @Nullable Path tempDir;

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
        int compressionThreads = zstdThreads != null ? zstdThreads : defaultZstdThreads();
        if (compressionThreads < 0 || compressionThreads > 64) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--zstd-threads: must be between 0 and 64, "
                + "but was " + zstdThreads);
        }
        int partBytes;
        try {
            partBytes = parseSize(partSize);
            if (partBytes != 0 && (partBytes < BackupEngine.MIN_PART_BYTES || partBytes > BackupEngine.MAX_PART_BYTES)) {
                throw new IllegalArgumentException("must be 0 (one message) or between " + BackupEngine.MIN_PART_BYTES
                    + " bytes and " + BackupEngine.MAX_PART_BYTES / (1024 * 1024) + "MiB, but was " + partSize);
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--part-size: " + e.getMessage());
        }
        if (threads != null && (threads < 1 || threads > 256)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads: must be between 1 and 256, "
                + "but was " + threads);
        }
        BackupEngine.Builder builder;
        try (KeyOptions.ForBackup key = keys.forBackup(spec, recipient);
             BackupStore backups = store.open(spec)) {
            builder = events.applyTo(BackupEngine.builder(backups)).encryption(key.encryption())
                .compression(compression).compressionThreads(compressionThreads);
            builder.partBytes(partBytes);
            if (threads != null) {
                builder.threads(threads);
            }
            if (tempDir != null) {
                builder.temporaryDirectory(tempDir);
            }
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

    /**
     * zstd's own threads unless {@code --zstd-threads} says otherwise: compressing is the slowest stage of a backup,
     * and with it off the reading thread a 2-core machine backed up 1 GiB about 20% faster (docs/benchmarks.md).
     */
    static int defaultZstdThreads() {
        int cores = Runtime.getRuntime().availableProcessors();
        return cores < 2 ? 0 : Math.min(cores, MAX_DEFAULT_ZSTD_THREADS);
    }

    /** {@code 0}, {@code 4194304}, {@code 512KiB} or {@code 4MiB}: a size in bytes. */
    static int parseSize(String text) {
        String value = text.trim();
        long unit = 1;
        if (value.endsWith("KiB")) {
            unit = 1024;
            value = value.substring(0, value.length() - 3);
        } else if (value.endsWith("MiB")) {
            unit = 1024 * 1024;
            value = value.substring(0, value.length() - 3);
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(value), unit);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (bytes, or a number with KiB or MiB)");
        }
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
        }
        return (int) bytes;
    }
}
