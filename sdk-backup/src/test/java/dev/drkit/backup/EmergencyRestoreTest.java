package dev.drkit.backup;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.drkit.backup.Engines.describe;
import static dev.drkit.backup.Pipelines.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the script of docs/emergency-restore.md, exactly as written there, with the real gpg, zstd, tar, sha256sum
 * and jq, against backups drkit made, and checks the result; and shows the script fails on a damaged backup.
 */
class EmergencyRestoreTest {

    private static final Path DOC = Path.of("..", "docs", "emergency-restore.md");
    /** Small parts, so that a test backup has several. */
    private static final int PARTS = 16 * 1024;
    private static Path gnupgHome;

    @BeforeAll
    static void requireTools() throws IOException {
        for (String tool : List.of("bash", "gpg", "zstd", "tar", "sha256sum", "jq")) {
            assumeTrue(ExternalTools.onPath(tool), tool + " is not on PATH: skipping the emergency restore test");
        }
        gnupgHome = Files.createTempDirectory("gnupg", PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
    }

    @AfterAll
    static void stopAgent() throws Exception {
        if (gnupgHome != null) {
            run(List.of("gpgconf", "--kill", "gpg-agent"), Map.of());
            try (var paths = Files.walk(gnupgHome)) {
                paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void theDocumentedScriptRestoresADirectoryBackup(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("vault");
        Files.createDirectories(source.resolve("conf/tls"));
        Files.write(source.resolve("conf/vault.hcl"), "storage \"raft\" {}\n".getBytes(StandardCharsets.UTF_8));
        Files.write(source.resolve("conf/tls/key with spaces.pem"), sample(5000, 1));
        Files.write(source.resolve("raft.db"), sample(300_000, 2));
        Files.createSymbolicLink(source.resolve("current"), Path.of("conf"));
        Path backup = store(dir, BackupSource.directory(source));
        Path restore = Files.createDirectory(dir.resolve("restore"));

        Result result = script(backup, restore);

        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(result.output).contains("restored");
        Map<String, String> restored = describe(restore);
        Map<String, String> original = describe(source);
        assertThat(restored.keySet()).isEqualTo(original.keySet());
        assertThat(Files.readAllBytes(restore.resolve("raft.db"))).isEqualTo(Files.readAllBytes(source.resolve(
            "raft.db")));
        assertThat(Files.readSymbolicLink(restore.resolve("current"))).isEqualTo(Path.of("conf"));
    }

    @Test
    void theDocumentedScriptRestoresAFileBackup(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dump.sql");
        Files.write(file, sample(200_000, 3));
        Path backup = store(dir, BackupSource.file(file));
        Path restore = Files.createDirectory(dir.resolve("restore"));

        Result result = script(backup, restore);

        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(Files.readAllBytes(restore.resolve("dump.sql"))).isEqualTo(Files.readAllBytes(file));
    }

    @Test
    void theDocumentedScriptWritesAStreamUnderTheLastPartOfItsNameOnly(@TempDir Path dir) throws Exception {
        byte[] dump = sample(100_000, 9);
        // a database named "../a/b": the manifest's name is not a path to write to
        Path backup = store(dir, BackupSource.stream("../a/b.dump", () -> new java.io.ByteArrayInputStream(dump)));
        Path restore = Files.createDirectory(dir.resolve("restore"));

        Result result = script(backup, restore);

        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(Files.readAllBytes(restore.resolve("b.dump"))).isEqualTo(dump);
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).doesNotContain("a");
        }
    }

    @Test
    void theDocumentedScriptFailsOnADamagedBackup(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dump.sql");
        Files.write(file, sample(200_000, 4));
        Path backup = store(dir, BackupSource.file(file));
        byte[] data = Files.readAllBytes(backup.resolve("data.pgp"));
        data[data.length / 2] ^= 1;
        Files.write(backup.resolve("data.pgp"), data);
        Path restore = Files.createDirectory(dir.resolve("restore"));

        assertThat(script(backup, restore).exitCode).isNotZero();
        assertThat(restore).isEmptyDirectory();
    }

    @Test
    void theDocumentedScriptRestoresADirectoryBackupInParts(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("vault");
        Files.createDirectories(source.resolve("conf"));
        Files.write(source.resolve("conf/key with spaces.pem"), sample(5000, 6));
        Files.write(source.resolve("raft.db"), sample(300_000, 7));
        Path backup = store(dir, BackupSource.directory(source), PARTS);
        assertThat(backup.resolve("data.pgp")).doesNotExist();
        assertThat(backup.resolve("data.00003.pgp")).exists();
        Path restore = Files.createDirectory(dir.resolve("restore"));

        Result result = script(backup, restore);

        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(describe(restore)).isEqualTo(describe(source));
    }

    @Test
    void theDocumentedScriptRestoresAFileBackupInParts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dump.sql");
        Files.write(file, sample(200_000, 8));
        Path backup = store(dir, BackupSource.file(file), PARTS);
        Path restore = Files.createDirectory(dir.resolve("restore"));

        Result result = script(backup, restore);

        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(Files.readAllBytes(restore.resolve("dump.sql"))).isEqualTo(Files.readAllBytes(file));
    }

    @Test
    void theDocumentedScriptFailsOnADamagedOrReorderedPart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dump.sql");
        Files.write(file, sample(200_000, 9));
        Path backup = store(dir, BackupSource.file(file), PARTS);
        Path part = backup.resolve("data.00001.pgp");
        byte[] original = Files.readAllBytes(part);
        byte[] damaged = original.clone();
        damaged[damaged.length / 2] ^= 1;
        Files.write(part, damaged);
        Path restore = Files.createDirectory(dir.resolve("restore"));

        assertThat(script(backup, restore).exitCode).isNotZero();
        assertThat(restore).isEmptyDirectory();

        Files.write(part, Files.readAllBytes(backup.resolve("data.00002.pgp")));
        Files.write(backup.resolve("data.00002.pgp"), original);

        assertThat(script(backup, restore).exitCode).isNotZero();
        assertThat(restore).isEmptyDirectory();
    }

    @Test
    void theDocumentedScriptRestoresAnUncompressedDirectoryBackup(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("vault");
        Files.createDirectories(source.resolve("conf"));
        Files.write(source.resolve("conf/key with spaces.pem"), sample(5000, 10));
        Files.write(source.resolve("raft.db"), sample(300_000, 11));
        Path backup = store(dir, BackupSource.directory(source), 0, Compression.none());
        assertThat(Files.readString(backup.resolve("manifest.json")))
            .contains("\"compression\":{\"algorithm\":\"none\"}");
        Path restore = Files.createDirectory(dir.resolve("restore"));

        Result result = script(backup, restore);

        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(result.output).contains("restored");
        assertThat(describe(restore)).isEqualTo(describe(source));
    }

    @Test
    void theDocumentedScriptRestoresAnUncompressedFileBackupAlsoInPartsAndFailsOnADamagedOne(@TempDir Path dir)
        throws Exception {
        Path file = dir.resolve("dump.sql");
        Files.write(file, sample(200_000, 12));
        for (int partBytes : new int[] {0, PARTS}) {
            Path backup = store(dir, BackupSource.file(file), partBytes, Compression.none());
            Path restore = Files.createDirectory(dir.resolve("restore-" + partBytes));

            Result result = script(backup, restore);

            assertThat(result.exitCode).as(result.output).isZero();
            assertThat(Files.readAllBytes(restore.resolve("dump.sql"))).isEqualTo(Files.readAllBytes(file));

            // A damaged one still fails, and writes nothing.
            Path data = backup.resolve(partBytes == 0 ? "data.pgp" : "data.00001.pgp");
            byte[] bytes = Files.readAllBytes(data);
            bytes[bytes.length / 2] ^= 1;
            Files.write(data, bytes);
            Path again = Files.createDirectory(dir.resolve("restore-damaged-" + partBytes));
            assertThat(script(backup, again).exitCode).isNotZero();
            assertThat(again).isEmptyDirectory();
        }
    }

    @Test
    void theDocumentedScriptRestoresADirectoryBackupWhoseEntriesAreInTheirOwnObject(@TempDir Path dir)
        throws Exception {
        Path source = dir.resolve("tree");
        Files.createDirectories(source.resolve("sub"));
        for (int i = 0; i < 300; i++) {
            Files.write(source.resolve((i % 3 == 0 ? "sub/" : "") + "file-" + i), sample(100 + i, i));
        }
        for (int partBytes : new int[] {0, PARTS}) {
            InMemoryBackupStore store = new InMemoryBackupStore();
            Path backup = laidOut(dir.resolve("store-" + partBytes), store,
                Engines.engine(store).partBytes(partBytes).manifestLimit(8 * 1024).build()
                    .backup(BackupSource.directory(source)).id());
            assertThat(backup.resolve(BackupManifest.ENTRIES_OBJECT_NAME)).exists();
            Path restore = Files.createDirectory(dir.resolve("restore-" + partBytes));

            Result result = script(backup, restore);

            assertThat(result.exitCode).as(result.output).isZero();
            assertThat(describe(restore)).isEqualTo(describe(source));
            Result checksum = run(List.of("bash", "-c", "tail -c +44 manifest.json | head -c -166 | sha256sum"),
                Map.of(), backup);
            assertThat(checksum.output.trim()).startsWith(BackupManifest.parse(Files.readAllBytes(
                backup.resolve("manifest.json"))).bodySha256() + " ");

            Path entries = backup.resolve(BackupManifest.ENTRIES_OBJECT_NAME);
            byte[] damaged = Files.readAllBytes(entries);
            damaged[damaged.length / 2] ^= 0x01;
            Files.write(entries, damaged);
            Result refused = script(backup, Files.createDirectory(dir.resolve("restore-damaged-" + partBytes)));
            assertThat(refused.exitCode).as(refused.output).isNotZero();
            assertThat(refused.output).doesNotContain("restored").contains("entries.jsonl");
        }
    }

    @Test
    void theManifestChecksumCommandMatchesTheManifest(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("f"), sample(1000, 5));
        Path backup = store(dir, BackupSource.file(file));

        Result result = run(List.of("bash", "-c", "tail -c +44 manifest.json | head -c -166 | sha256sum"),
            Map.of(), backup);

        assertThat(result.output.trim()).startsWith(BackupManifest.parse(Files.readAllBytes(
            backup.resolve("manifest.json"))).bodySha256() + " ");
    }

    /** Backs {@code source} up and lays the backup out as a filesystem store does: a directory of its objects. */
    private static Path store(Path dir, BackupSource source) throws IOException {
        return store(dir, source, 0);
    }

    private static Path store(Path dir, BackupSource source, int partBytes) throws IOException {
        return store(dir, source, partBytes, null);
    }

    private static Path store(Path dir, BackupSource source, int partBytes, Compression compression)
        throws IOException {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine.Builder engine = Engines.engine(store).partBytes(partBytes);
        if (compression != null) {
            engine.compression(compression);
        }
        String id = engine.build().backup(source).id();
        return laidOut(dir.resolve("store"), store, id);
    }

    /** Backup {@code id} of {@code store} as a filesystem store lays it out under {@code root}. */
    private static Path laidOut(Path root, InMemoryBackupStore store, String id) throws IOException {
        Path backup = Files.createDirectories(root.resolve(id));
        for (String object : store.objects(id)) {
            Files.write(backup.resolve(object), store.bytes(id, object));
        }
        return backup;
    }

    private static Result script(Path backup, Path restore) throws Exception {
        Path passfile = restore.resolveSibling("passphrase");
        Files.write(passfile, "correct horse battery staple\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(passfile, PosixFilePermissions.fromString("rw-------"));
        return run(List.of("bash", "-c", documentedScript()), Map.of("BACKUP", backup.toString(), "PASSFILE",
            passfile.toString(), "RESTORE", restore.toString(), "GNUPGHOME", gnupgHome.toString()));
    }

    static String documentedScript() throws IOException {
        String doc = Files.readString(DOC);
        int begin = doc.indexOf("<!-- emergency-restore:begin -->");
        int end = doc.indexOf("<!-- emergency-restore:end -->");
        assertThat(begin).as("script markers in %s", DOC).isNotNegative();
        String block = doc.substring(begin, end);
        return block.substring(block.indexOf("```sh\n") + 6, block.lastIndexOf("```"));
    }

    private static Result run(List<String> command, Map<String, String> env) throws Exception {
        return run(command, env, null);
    }

    private static Result run(List<String> command, Map<String, String> env, Path workDir) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Result(process.exitValue(), output);
    }


    private record Result(int exitCode, String output) {
    }
}
