package dev.drkit.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A training run for the {@code drkit} command's class-data sharing archive: runs the short commands that are
 * started once per WAL file or per check ({@code --version}, {@code keygen}, {@code wal-push} and
 * {@code wal-fetch} with a key pair and with a passphrase, {@code pitr verify}) and the backup commands an operator
 * times ({@code backup}, {@code list}, {@code verify --full} and {@code restore} of a small directory) once each, in
 * this one JVM, over a scratch directory that it deletes afterwards; their output is discarded. Run under
 * {@code -XX:DumpLoadedClassList=LIST}, the JVM lists the classes these commands loaded; {@code java -Xshare:dump
 * -XX:SharedClassListFile=LIST -XX:SharedArchiveFile=FILE} archives them, and {@code -XX:SharedArchiveFile=FILE}
 * maps them at the next start instead of reading and verifying them from the jar again. The {@code drkit} launcher
 * script does this once per build and JDK.
 *
 * <p>Exit code 0 when every command gave the exit code expected of it, 1 otherwise (the archive is still
 * usable, only less complete).
 */
public final class StartupTraining {

    /** A WAL segment's name; its content is zeros, so {@code pitr verify} reads one page and reports a fault. */
    static final String SEGMENT = "000000010000000000000001";

    private StartupTraining() {
    }

    public static void main(String[] args) throws IOException {
        System.exit(run() ? 0 : 1);
    }

    /** Runs the commands; true when each exited as expected. */
    static boolean run() throws IOException {
        Path dir = Files.createTempDirectory("drkit-training",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Path segment = dir.resolve("pg_wal").resolve(SEGMENT);
            Files.createDirectories(segment.getParent());
            try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
                file.setLength(16L * 1024 * 1024);
            }
            Path pass = Files.createFile(dir.resolve("pass"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(pass, "training only\n", StandardCharsets.UTF_8);
            String keys = dir.resolve("keys").toString();
            Files.createDirectories(Path.of(keys));
            String recipientStore = dir.resolve("wal-keys").toString();
            String passphraseStore = dir.resolve("wal-pass").toString();
            // wal-push never creates its store
            Files.createDirectories(Path.of(recipientStore));
            Files.createDirectories(Path.of(passphraseStore));
            List<Boolean> results = new ArrayList<>();
            results.add(command(0, "--version"));
            results.add(command(0, "keygen", "--out", keys, "--name", "training", "--no-passphrase"));
            results.add(command(0, "wal-push", "--store", recipientStore,
                "--recipient", keys + "/training.pub.asc", segment.toString()));
            results.add(command(0, "wal-fetch", "--store", recipientStore,
                "--identity", keys + "/training.key.asc", SEGMENT, dir.resolve("fetched-1").toString()));
            results.add(command(0, "wal-push", "--store", passphraseStore, "--passphrase-file", pass.toString(),
                segment.toString()));
            results.add(command(0, "wal-fetch", "--store", passphraseStore, "--passphrase-file", pass.toString(),
                SEGMENT, dir.resolve("fetched-2").toString()));
            results.add(command(ExitCodes.NOT_FOUND, "wal-fetch", "--store", passphraseStore,
                "--passphrase-file", pass.toString(), "000000010000000000000002", dir.resolve("absent").toString()));
            results.add(command(ExitCodes.DATA, "pitr", "verify", "--archive", segment.getParent().toString()));
            results.addAll(backupCommands(dir, pass));
            return !results.contains(false);
        } finally {
            delete(dir);
        }
    }

    /** A backup of a small directory, then list, full verification and restore of it. */
    private static List<Boolean> backupCommands(Path dir, Path pass) throws IOException {
        Path source = dir.resolve("source");
        Files.createDirectories(source.resolve("conf"));
        Files.writeString(source.resolve("conf").resolve("app.properties"), "name=training\n".repeat(1000),
            StandardCharsets.UTF_8);
        Files.write(source.resolve("data.bin"), new byte[64 * 1024]);
        String store = dir.resolve("store").toString();
        List<Boolean> results = new ArrayList<>();
        results.add(command(0, "backup", "--store", store, "--source", source.toString(),
            "--passphrase-file", pass.toString()));
        Optional<String> id;
        try (Stream<Path> backups = Files.list(Path.of(store))) {
            id = backups.map(p -> p.getFileName().toString()).filter(name -> !name.startsWith(".")).findFirst();
        }
        results.add(id.isPresent());
        if (id.isPresent()) {
            results.add(command(0, "list", "--store", store));
            results.add(command(0, "verify", "--store", store, "--id", id.get(), "--full",
                "--passphrase-file", pass.toString()));
            results.add(command(0, "restore", "--store", store, "--id", id.get(),
                "--target", dir.resolve("restored").toString(), "--passphrase-file", pass.toString()));
        }
        return results;
    }

    private static boolean command(int expected, String... args) {
        CommandLine cli = Drkit.commandLine(args);
        PrintWriter discard = new PrintWriter(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        cli.setOut(discard);
        cli.setErr(discard);
        return cli.execute(args) == expected;
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
