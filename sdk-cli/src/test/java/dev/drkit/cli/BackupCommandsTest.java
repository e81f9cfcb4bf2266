package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.store.TestMount;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** drkit backup, list, verify and restore against a directory store, as an operator runs them. */
class BackupCommandsTest {


    private static final String PASSPHRASE = "cli passphrase, never an argument";

    private static CliRun drkit(String... args) {
        return CliRun.of(args);
    }

    private static Path passphraseFile(Path dir, String passphrase) throws IOException {
        Path file = dir.resolve("passphrase-" + passphrase.length());
        Files.writeString(file, passphrase + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static Path source(Path dir) throws IOException {
        Path source = dir.resolve("vault");
        Files.createDirectories(source.resolve("conf"));
        Files.writeString(source.resolve("conf/vault.hcl"), "storage \"raft\" {}\n");
        Files.writeString(source.resolve("unseal.txt"), "keys");
        return source;
    }

    @Test
    void backsUpListsVerifiesAndRestores(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path pass = passphraseFile(dir, PASSPHRASE);
        Path source = source(dir);

        CliRun backup = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--label",
            "app=vault", "--passphrase-file", pass.toString(), "--json");
        assertThat(backup.code).as(backup.err).isZero();
        String id = new ObjectMapper().readTree(backup.out).get("id").asText();

        CliRun list = drkit("list", "--store", "file:" + store, "--json");
        JsonNode listed = new ObjectMapper().readTree(list.out);
        CliRun quick = drkit("verify", "--store", store.toString(), "--id", id);
        CliRun full = drkit("verify", "--store", store.toString(), "--all", "--full", "--passphrase-file",
            pass.toString(), "--json");
        Path target = dir.resolve("restored");
        CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target", target.toString(),
            "--passphrase-file", pass.toString());

        assertThat(list.code).isZero();
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).at("/labels/app").asText()).isEqualTo("vault");
        assertThat(quick.code).as(quick.err).isZero();
        assertThat(quick.out).contains(id + "  ok  (quick)");
        assertThat(full.code).as(full.err).isZero();
        assertThat(new ObjectMapper().readTree(full.out).get("passed").asBoolean()).isTrue();
        assertThat(restore.code).as(restore.err).isZero();
        assertThat(target.resolve("conf/vault.hcl")).hasContent("storage \"raft\" {}");
        assertThat(String.join("", backup.out, backup.err, list.out, full.out, restore.out, restore.err))
            .doesNotContain(PASSPHRASE);
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] content = new byte[size];
        new java.util.Random(seed).nextBytes(content);
        return content;
    }

    /** A backup of {@code content} as the file app.dump; its id. */
    private static String backupOf(Path dir, Path store, Path pass, byte[] content) throws IOException {
        Path file = Files.write(dir.resolve("app.dump"), content);
        CliRun backup = drkit("backup", "--store", store.toString(), "--source", file.toString(), "--passphrase-file",
            pass.toString());
        assertThat(backup.code).as(backup.err).isZero();
        return backup.out.strip();
    }

    /** drkit in a child JVM, for what writes to the process's own standard output; standard error apart. */
    private static CliRun drkitProcess(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "-cp", System.getProperty("java.class.path"), Drkit.class.getName()));
        command.addAll(List.of(args));
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return new CliRun(process.exitValue(), new String(out, StandardCharsets.ISO_8859_1), Files.readString(err));
    }

    @Test
    void aStreamBackupRestoresToStandardOutputByteForByte(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path pass = passphraseFile(dir, PASSPHRASE);
        byte[] content = new byte[3 << 20];
        new java.util.Random(7).nextBytes(content);
        Path file = Files.write(dir.resolve("app.dump"), content);
        CliRun backup = drkit("backup", "--store", store.toString(), "--source", file.toString(), "--passphrase-file",
            pass.toString());
        assertThat(backup.code).as(backup.err).isZero();
        String id = backup.out.strip();

        CliRun restore = drkitProcess(dir, "restore", "--store", store.toString(), "--id", id, "--target", "-",
            "--passphrase-file", pass.toString());

        assertThat(restore.code).as(restore.err).isZero();
        assertThat(restore.out.getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(content);
        assertThat(restore.err).contains("restored " + id + " to standard output (" + content.length + " bytes");
    }

    @Test
    void aDamagedBackupToStandardOutputExitsOneAtTheEnd(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path pass = passphraseFile(dir, PASSPHRASE);
        byte[] content = randomBytes(1 << 20, 8);
        String id = backupOf(dir, store, pass, content);
        Path data = store.resolve(id).resolve("data.pgp");
        byte[] stored = Files.readAllBytes(data);
        stored[stored.length - 64] ^= 0x01;
        Files.write(data, stored);

        CliRun restore = drkitProcess(dir, "restore", "--store", store.toString(), "--id", id, "--target", "-",
            "--passphrase-file", pass.toString());

        assertThat(restore.code).isEqualTo(ExitCodes.DATA);
        assertThat(restore.err).contains(id).doesNotContain("restored " + id);
    }

    @Test
    void aDirectoryBackupToStandardOutputIsAUsageError(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);

        CliRun restore = drkitProcess(dir, "restore", "--store", store.toString(), "--id", id, "--target", "-",
            "--passphrase-file", passphraseFile(dir, PASSPHRASE).toString());

        assertThat(restore.code).isEqualTo(ExitCodes.USAGE);
        assertThat(restore.err).contains("is of a directory");
        assertThat(restore.out).isEmpty();
    }

    @Test
    void aWrongPassphraseIsOneLineAndExitOneAndTheTargetStays(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.writeString(target.resolve("old"), "old");

        CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target", target.toString(),
            "--passphrase-file", passphraseFile(dir, "wrong").toString());
        CliRun verify = drkit("verify", "--store", store.toString(), "--id", id, "--full", "--passphrase-file",
            passphraseFile(dir, "wrong").toString());

        assertThat(restore.code).isEqualTo(ExitCodes.DATA);
        assertThat(restore.err).startsWith("drkit restore: ").hasLineCount(1);
        assertThat(target.resolve("old")).hasContent("old");
        assertThat(verify.code).isEqualTo(ExitCodes.DATA);
        assertThat(verify.out).contains("FAILED");
    }

    @Test
    void aDamagedBackupFailsQuickVerificationWithExitOne(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        Path data = store.resolve(id).resolve("data.pgp");
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length / 2] ^= 1;
        Files.write(data, bytes);

        CliRun verify = drkit("verify", "--store", store.toString(), "--all");

        assertThat(verify.code).isEqualTo(ExitCodes.DATA);
        assertThat(verify.out).contains(id + "  FAILED").contains("SHA-256 of data.pgp");
        assertThat(verify.err).contains("1 of 1 backups failed verification");
    }

    @Test
    void verifyingAllOfAStoreThatHoldsNoBackupFailsInsteadOfPassingOnNothing(@TempDir Path dir) throws Exception {
        Path emptyMountPoint = Files.createDirectory(dir.resolve("backups"));

        CliRun verify = drkit("verify", "--store", emptyMountPoint.toString(), "--all");

        assertThat(verify.code()).as(verify.toString()).isEqualTo(ExitCodes.DATA);
        assertThat(verify.err()).contains("holds no backup, so none was verified");
        assertThat(verify.out()).isEmpty();
    }

    @Test
    void anUnwritableTargetIsExitThree(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        Path file = Files.writeString(dir.resolve("a-file"), "x");

        CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target",
            file.resolve("target").toString(), "--passphrase-env", "DRKIT_TEST_UNSET_VARIABLE");
        CliRun restoreWithKey = drkit("restore", "--store", store.toString(), "--id", id, "--target",
            file.resolve("target").toString(), "--passphrase-file", passphraseFile(dir, PASSPHRASE).toString());

        assertThat(restore.code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(restore.err).contains("--passphrase-env").contains("not set");
        assertThat(restoreWithKey.code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(restoreWithKey.err).startsWith("drkit restore: Restore of backup " + id + " failed");
    }

    @Test
    void aPassphraseGivenInPlaceOfItsFilesNameIsNeverRepeated(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path source = Files.writeString(dir.resolve("source"), "data");
        // --passphrase-file "$PASSPHRASE": words, or base64 that holds a '/'
        String words = "correct horse battery staple";
        String base64 = "c2VjcmV0/IHBhc3NwaHJhc2U+b2Y=";
        Path missingFile = dir.resolve("no-such-passphrase-file");

        CliRun byWords = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-file", words);
        CliRun byBase64 = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-file", base64);
        CliRun byMissingFile = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-file", missingFile.toString());

        assertThat(List.of(byWords, byBase64, byMissingFile)).extracting(CliRun::code)
            .containsOnly(ExitCodes.ENVIRONMENT);
        assertThat(byWords.err).contains("Secret file not found", "not shown", "./NAME").doesNotContain(words);
        assertThat(byBase64.err).contains("Secret file not found", "not shown").doesNotContain(base64)
            .doesNotContain("c2VjcmV0");
        assertThat(byMissingFile.err).as("a name in an existing directory is shown")
            .contains("Secret file " + missingFile + " does not exist");
        assertThat(store).doesNotExist();
    }

    @Test
    void aPassphraseGivenInPlaceOfItsVariablesNameIsNeverRepeated(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path source = Files.writeString(dir.resolve("source"), "data");
        // --passphrase-env "$PASSPHRASE": openssl rand -base64 ends in '=', and -hex can look like a name
        String base64 = "c2VjcmV0IHBhc3NwaHJhc2Ugb2YgdGhlIGJhY2t1cHM=";
        String hex = "deadbeef0123456789abcdef0123456789";

        CliRun notAName = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-env", base64);
        CliRun notSet = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--passphrase-env", hex);

        assertThat(notAName.code).as(notAName.err).isEqualTo(ExitCodes.USAGE);
        assertThat(notAName.err).contains("--passphrase-env takes the name of an environment variable")
            .doesNotContain(base64);
        assertThat(notSet.code).as(notSet.err).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(notSet.err).contains("--passphrase-env names is not set").doesNotContain(hex);
        assertThat(store).doesNotExist();
    }

    @Test
    void aRestoreWithoutRoomForItIsExitThreeAndTheTargetStays(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path pass = passphraseFile(dir, PASSPHRASE);
        byte[] content = randomBytes(2 << 20, 9);
        String id = backupOf(dir, store, pass, content);
        Path small = Files.createDirectory(dir.resolve("small"));
        TestMount tmpfs = TestMount.tmpfs(small, "1m");
        Assumptions.assumeTrue(tmpfs != null, "cannot mount a 1 MiB tmpfs here (needs root and a permissive sandbox)");
        try (tmpfs) {
            Path target = Files.writeString(small.resolve("app.dump"), "yesterday's dump");

            CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target", target.toString(),
                "--passphrase-file", pass.toString());

            assertThat(restore.code).isEqualTo(ExitCodes.ENVIRONMENT);
            assertThat(restore.err).startsWith("drkit restore: Restore of backup " + id + " refused: its data needs"
                + " at least 2.0 MiB (" + content.length + " bytes)").contains("Nothing was written");
            assertThat(restore.err.strip().lines()).hasSize(1);
            assertThat(target).hasContent("yesterday's dump");
            try (Stream<Path> entries = Files.list(small)) {
                assertThat(entries).containsExactly(target);
            }
        }
    }

    @Test
    void usageErrorsAreExitTwo(@TempDir Path dir) throws Exception {
        Path pass = passphraseFile(dir, PASSPHRASE);
        Path source = source(dir);
        List<CliRun> runs = new ArrayList<>();

        runs.add(drkit("backup", "--store", "s3://Not_A_Bucket/prefix", "--source", source.toString(),
            "--passphrase-file", pass.toString()));
        runs.add(drkit("backup", "--store", dir.resolve("s").toString(), "--source", source.toString()));
        runs.add(drkit("backup", "--store", dir.resolve("s").toString(), "--source", source.toString(),
            "--recipient", pass.toString(), "--passphrase-file", pass.toString()));
        runs.add(drkit("backup", "--store", dir.resolve("s").toString(), "--source", source.toString(),
            "--passphrase", "on-the-command-line"));
        runs.add(drkit("verify", "--store", dir.resolve("s").toString()));
        runs.add(drkit("list", "--store", "ftp://user:secret@host/x"));
        runs.add(drkit("backup", "--store", dir.resolve("s").toString(), "--source", source.toString(),
            "--passphrase-file", pass.toString(), "--label", "bad key=x"));
        runs.add(drkit("backup", "--store", " ", "--source", source.toString(), "--passphrase-file", pass.toString()));
        runs.add(drkit("list", "--store", "s3:///x"));

        assertThat(runs).extracting(CliRun::code).containsOnly(ExitCodes.USAGE);
        assertThat(runs.get(0).err).contains("not a valid s3://bucket/prefix URI");
        assertThat(runs.get(2).err).contains("either --recipient or a passphrase option");
        assertThat(runs.get(3).err).contains("Unknown option");
        assertThat(runs.get(5).err).contains("unknown store scheme").doesNotContain("secret");
        assertThat(runs.get(7).err).contains("--store is empty");
        assertThat(runs.get(8).err).contains("must name a bucket");
        // an empty --store would have been the working directory
        assertThat(Path.of("").toAbsolutePath()).isDirectoryNotContaining(
            p -> p.getFileName().toString().matches("\\d{8}T.*|\\.lock"));
    }

    @Test
    void listVerifyAndRestoreWriteNothingIntoTheStore(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        // Only a writer creates the lock file: without it the store is as a read-only mount of it would be.
        Files.delete(store.resolve(".lock"));
        Map<String, String> before = tree(store);
        Path pass = passphraseFile(dir, PASSPHRASE);

        List<CliRun> runs = List.of(
            drkit("list", "--store", store.toString()),
            drkit("verify", "--store", store.toString(), "--all"),
            drkit("verify", "--store", store.toString(), "--id", id, "--full", "--passphrase-file", pass.toString()),
            drkit("restore", "--store", store.toString(), "--id", id, "--target", dir.resolve("t").toString(),
                "--passphrase-file", pass.toString()));

        for (CliRun run : runs) {
            assertThat(run.code).as(run.err).isZero();
        }
        assertThat(tree(store)).as("names, sizes and times of everything in the store").isEqualTo(before)
            .doesNotContainKey(".lock");
    }

    @Test
    void readingAStoreThatDoesNotExistFailsAndCreatesNothing(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-store");

        CliRun list = drkit("list", "--store", missing.toString());
        CliRun verify = drkit("verify", "--store", missing.toString(), "--all");

        assertThat(list.code).isNotZero();
        assertThat(list.err).contains(missing + " does not exist");
        assertThat(verify.code).isNotZero();
        assertThat(missing).doesNotExist();
    }

    /** Every path under {@code root} with its size and modification time. */
    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                entries.put(root.relativize(path).toString(), Files.size(path) + " "
                    + Files.getLastModifiedTime(path).toMillis());
            }
        }
        return entries;
    }

    private static String backup(Path dir, Path store) throws IOException {
        CliRun backup = drkit("backup", "--store", store.toString(), "--source", source(dir).toString(),
            "--passphrase-file", passphraseFile(dir, PASSPHRASE).toString());
        assertThat(backup.code).as(backup.err).isZero();
        return backup.out.trim();
    }

    @Test
    void aMissingTargetWithEarlierDataBesideItIsRestoredWithAWarningNamingTheNewest(@TempDir Path dir)
        throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        Path pass = passphraseFile(dir, PASSPHRASE);
        // What a restore killed between its two renames leaves: the old data aside, no target.
        Path parent = Files.createDirectory(dir.resolve("srv"));
        for (String aside : List.of("vault.pre-restore-20261201T000000Z-9", "vault.pre-restore-20261201T000000Z-10",
            "vault.pre-restore-20261130T235959Z-11", "vault.pre-restore-old")) {
            Files.writeString(Files.createDirectory(parent.resolve(aside)).resolve("unseal.txt"), aside);
        }
        Path target = parent.resolve("vault");

        CliRun restore = drkitProcess(dir, "restore", "--store", store.toString(), "--id", id, "--target",
            target.toString(), "--passphrase-file", pass.toString());
        CliRun again = drkitProcess(dir, "restore", "--store", store.toString(), "--id", id, "--target",
            target.toString(), "--passphrase-file", pass.toString());

        assertThat(restore.code).as(restore.err).isZero();
        assertThat(restore.err).contains("WARN", "restoring backup " + id + " to " + target + ", which does not exist",
            "(newest: " + parent.resolve("vault.pre-restore-20261201T000000Z-10") + ")");
        assertThat(target.resolve("unseal.txt")).hasContent("keys");
        assertThat(parent.resolve("vault.pre-restore-20261201T000000Z-10/unseal.txt"))
            .hasContent("vault.pre-restore-20261201T000000Z-10");
        assertThat(again.code).as(again.err).isZero();
        assertThat(again.err).as("the target exists: nothing to warn of").doesNotContain("which does not exist");
    }

    @Test
    void aDirectoryOfManyEntriesKeepsTheirListInTheTemporaryDirectoryItIsGiven(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path pass = passphraseFile(dir, PASSPHRASE);
        // Names of about 90 bytes pass the manifest's 8 MiB of entries with some 32,000 files; longer ones would
        // need fewer, but tar names past 100 bytes are slow to write.
        for (int i = 0; i < 33_000; i++) {
            Path sub = Files.createDirectories(dir.resolve("tree").resolve("d" + i / 1000));
            Files.writeString(sub.resolve(String.format("%05d-", i) + "f".repeat(80)), "");
        }
        Path spool = Files.createDirectory(dir.resolve("spool"));
        Path missing = dir.resolve("no-such-directory");

        CliRun refused = drkit("backup", "--store", store.toString(), "--source", dir.resolve("tree").toString(),
            "--temp-dir", missing.toString(), "--passphrase-file", pass.toString());
        CliRun backup = drkit("backup", "--store", store.toString(), "--source", dir.resolve("tree").toString(),
            "--temp-dir", spool.toString(), "--passphrase-file", pass.toString());

        assertThat(refused.code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(refused.err).contains("could not be kept in a temporary file in " + missing, "nothing was kept",
            "--temp-dir");
        assertThat(refused.err.strip().lines()).hasSize(1);
        assertThat(backup.code).as(backup.err).isZero();
        String id = backup.out.trim();
        assertThat(store.resolve(id).resolve("entries.jsonl")).isNotEmptyFile();
        try (Stream<Path> backups = Files.list(store)) {
            assertThat(backups.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")))
                .as("the refused backup left nothing").containsExactly(id);
        }
        assertThat(spool).as("the list is removed when the backup ends").isEmptyDirectory();
        CliRun verify = drkit("verify", "--store", store.toString(), "--id", id, "--full", "--passphrase-file",
            pass.toString());
        assertThat(verify.code).as(verify.err).isZero();
    }

    @Test
    void partSizeCutsTheBackupIntoPartsThatRestore(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path pass = passphraseFile(dir, PASSPHRASE);
        Path file = dir.resolve("random.bin");
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(11).nextBytes(data);
        Files.write(file, data);

        CliRun backup = drkit("backup", "--store", store.toString(), "--source", file.toString(), "--part-size",
            "1MiB", "--threads", "2", "--zstd-threads", "2", "--passphrase-file", pass.toString());
        assertThat(backup.code).as(backup.err).isZero();
        String id = backup.out.trim();
        List<String> parts;
        try (var listing = Files.list(store.resolve(id))) {
            parts = listing.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("data."))
                .sorted().toList();
        }
        Path target = dir.resolve("restored.bin");
        CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target", target.toString(),
            "--passphrase-file", pass.toString());

        assertThat(parts).hasSizeGreaterThanOrEqualTo(3).startsWith("data.00000.pgp", "data.00001.pgp");
        assertThat(restore.code).as(restore.err).isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(data);
        assertThat(BackupCommand.parseSize("512KiB")).isEqualTo(512 * 1024);
        assertThat(BackupCommand.parseSize("4194304")).isEqualTo(4 * 1024 * 1024);
    }

    @Test
    void aRootOrEmptyTargetIsAUsageError(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String id = backup(dir, store);
        Path pass = passphraseFile(dir, PASSPHRASE);

        for (String root : List.of("/", "/..", "//", dir + "/../../../../../../../..")) {
            CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target", root,
                "--passphrase-file", pass.toString());
            assertThat(restore.code).as(root + ": " + restore.err).isEqualTo(ExitCodes.USAGE);
            assertThat(restore.err).as(root).contains("is the root directory")
                .doesNotContain("internal error");
        }

        // An empty --target would be the working directory, swapped aside: refused before any store is opened (this
        // store does not exist, so without the check the failure would be an environment error instead).
        CliRun empty = drkit("restore", "--store", dir.resolve("no-store").toString(), "--id", id, "--target", "",
            "--passphrase-file", pass.toString());
        assertThat(empty.code).as(empty.err).isEqualTo(ExitCodes.USAGE);
        assertThat(empty.err).contains("--target is empty");
    }

    @Test
    void aMalformedBackupIdIsAUsageErrorNamingTheRule(@TempDir Path dir) throws Exception {
        Path pass = passphraseFile(dir, PASSPHRASE);
        Path store = Files.createDirectory(dir.resolve("s"));
        List<CliRun> runs = List.of(
            drkit("verify", "--store", store.toString(), "--id", "a/b"),
            drkit("verify", "--store", store.toString(), "--id", "../s/x"),
            drkit("restore", "--store", store.toString(), "--id", "a/b", "--target", dir.resolve("t").toString(),
                "--passphrase-file", pass.toString()),
            drkit("pg", "verify", "--store", store.toString(), "--id", "a/b", "--passphrase-file", pass.toString()));

        for (CliRun run : runs) {
            assertThat(run.code).as(run.err).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err).contains("a backup id must be 1 to 128 characters of [A-Za-z0-9._-]")
                .doesNotContain("internal error");
        }
        assertThat(dir.resolve("t")).doesNotExist();
    }

    @Test
    void verifyAllReportsABackupMissingItsDataAndGoesOnToTheNext(@TempDir Path dir) throws Exception {
        Path pass = passphraseFile(dir, PASSPHRASE);
        Path source = source(dir);
        Path store = dir.resolve("s");
        CliRun first = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--passphrase-file",
            pass.toString());
        CliRun second = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--passphrase-file",
            pass.toString());
        String damaged = first.out.strip();
        Files.delete(store.resolve(damaged).resolve("data.pgp"));

        CliRun verify = drkit("verify", "--store", store.toString(), "--all");

        assertThat(verify.code).isEqualTo(ExitCodes.DATA);
        assertThat(verify.out).contains(damaged + "  FAILED: ").contains("data.pgp")
            .contains(second.out.strip() + "  ok");
        assertThat(verify.err).contains("1 of 2 backups failed verification");
    }

    @Test
    void aBadPartSizeOrThreadCountIsExitTwo(@TempDir Path dir) throws Exception {
        Path pass = passphraseFile(dir, PASSPHRASE);
        Path source = source(dir);
        Path store = dir.resolve("s");
        CliRun unit = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--part-size",
            "4MB", "--passphrase-file", pass.toString());
        CliRun tiny = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--part-size",
            "100", "--passphrase-file", pass.toString());
        CliRun threads = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--part-size",
            "1MiB", "--threads", "0", "--passphrase-file", pass.toString());
        CliRun zstdThreads = drkit("backup", "--store", store.toString(), "--source", source.toString(),
            "--zstd-threads", "65", "--passphrase-file", pass.toString());
        // (2^44 + 4) MiB wraps to 4 MiB in a long
        CliRun overflow = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--part-size",
            "17592186044420MiB", "--passphrase-file", pass.toString());

        assertThat(List.of(unit.code, tiny.code, threads.code, zstdThreads.code, overflow.code))
            .containsOnly(ExitCodes.USAGE);
        assertThat(overflow.err).contains("--part-size: '17592186044420MiB' is out of range");
        assertThat(zstdThreads.err).contains("--zstd-threads: must be between 0 and 64");
        assertThat(unit.err).contains("--part-size: '4MB' is not a size");
        assertThat(tiny.err).contains("--part-size: ");
        assertThat(threads.err).contains("--threads: ");
        assertThat(store).doesNotExist();
    }

    @Test
    void backupPrintsOnlyTheIdWithoutJson(@TempDir Path dir) throws Exception {
        assertThat(backup(dir, dir.resolve("store"))).matches("\\d{8}T\\d{6}Z-[0-9a-f]{8}");
        assertThat(new String(Files.readAllBytes(dir.resolve("store")
            .resolve(backup(dir, dir.resolve("store"))).resolve("manifest.json")), StandardCharsets.UTF_8))
            .contains("\"name\":\"vault\"").doesNotContain(dir.toString());
    }

    @Test
    void backsUpToAPublicKeyAndRestoresOnlyWithThePrivateKey(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path source = source(dir);
        dev.drkit.backup.OpenPgpKeyPair.KeyFiles keys;
        try (dev.drkit.backup.OpenPgpKeyPair pair =
                 dev.drkit.backup.OpenPgpKeyPair.generator("Backups <ops@example.com>").noPassphrase().generate()) {
            keys = pair.writeTo(dir, "backup");
        }
        Path pass = passphraseFile(dir, PASSPHRASE);

        CliRun backup = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--recipient",
            keys.publicKey().toString(), "--json");
        assertThat(backup.code).as(backup.err).isZero();
        String id = new ObjectMapper().readTree(backup.out).get("id").asText();
        CliRun full = drkit("verify", "--store", store.toString(), "--id", id, "--full", "--identity",
            keys.secretKey().toString());
        CliRun withPassphrase = drkit("restore", "--store", store.toString(), "--id", id, "--target",
            dir.resolve("wrong").toString(), "--passphrase-file", pass.toString());
        Path target = dir.resolve("restored");
        CliRun restore = drkit("restore", "--store", store.toString(), "--id", id, "--target", target.toString(),
            "--identity", keys.secretKey().toString());
        CliRun both = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--recipient",
            keys.publicKey().toString(), "--passphrase-file", pass.toString());

        assertThat(full.code).as(full.err).isZero();
        assertThat(full.out).contains(id + "  ok  (full)");
        assertThat(withPassphrase.code).isEqualTo(ExitCodes.DATA);
        assertThat(withPassphrase.err.strip()).doesNotContain("\n").contains("key");
        assertThat(Files.exists(dir.resolve("wrong"))).isFalse();
        assertThat(restore.code).as(restore.err).isZero();
        assertThat(Files.readString(target.resolve("conf/vault.hcl"))).isEqualTo("storage \"raft\" {}\n");
        assertThat(both.code).isEqualTo(ExitCodes.USAGE);

        CliRun notAKey = drkit("backup", "--store", store.toString(), "--source", source.toString(), "--recipient",
            pass.toString());
        assertThat(notAKey.code).isEqualTo(ExitCodes.DATA);
        assertThat(notAKey.err.strip()).startsWith("drkit backup: ").doesNotContain("\n").doesNotContain(PASSPHRASE);
    }

    @Test
    void backupVerifyRotateAndRestoreAppendToTheEventLogTheyAreGiven(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path events = dir.resolve("events.jsonl");
        Path pass = passphraseFile(dir, PASSPHRASE);
        String earlier = backup(dir, store);

        CliRun backup = drkit("backup", "--store", store.toString(), "--source", source(dir).toString(),
            "--passphrase-file", pass.toString(), "--event-log", events.toString());
        CliRun verify = drkit("verify", "--store", store.toString(), "--all", "--full", "--passphrase-file",
            pass.toString(), "--event-log", events.toString());
        CliRun rotate = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--event-log",
            events.toString());
        CliRun restore = drkit("restore", "--store", store.toString(), "--id", backup.out.trim(), "--target",
            dir.resolve("restored").toString(), "--passphrase-file", pass.toString(), "--event-log", events.toString());

        assertThat(backup.code).as(backup.err).isZero();
        assertThat(restore.code).as(restore.err).isZero();
        assertThat(verify.code).as(verify.err).isZero();
        assertThat(rotate.code).as(rotate.err).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(events)) {
            lines.add(new ObjectMapper().readTree(line));
        }
        List<String> logged = lines.stream().map(l -> l.get("event").asText() + " " + l.get("backupId").asText())
            .toList();
        assertThat(logged).hasSize(5);
        assertThat(logged.get(0)).isEqualTo("backup " + backup.out.trim());
        assertThat(logged.subList(1, 3)).containsExactlyInAnyOrder("verify " + earlier, "verify " + backup.out.trim());
        assertThat(logged.get(3)).isEqualTo("delete " + earlier);
        assertThat(logged.get(4)).isEqualTo("restore " + backup.out.trim());
        assertThat(Files.readString(events)).doesNotContain(PASSPHRASE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(events))).isEqualTo("rw-------");
    }

    @Test
    void rotateKeepsWhatThePolicyKeepsAndADryRunDeletesNothing(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(backup(dir, store));
        }
        Path events = dir.resolve("events.jsonl");

        CliRun dryRun = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--dry-run");
        CliRun listedAfterDryRun = drkit("list", "--store", store.toString());
        CliRun rotate = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--event-log",
            events.toString(), "--json");
        CliRun listed = drkit("list", "--store", store.toString(), "--json");
        CliRun keepsNothing = drkit("rotate", "--store", store.toString(), "--keep-daily", "0");

        assertThat(dryRun.code).as(dryRun.err).isZero();
        assertThat(dryRun.out).contains("keep   " + ids.get(2), "delete " + ids.get(0), "2 would be deleted");
        for (String id : ids) {
            assertThat(listedAfterDryRun.out).contains(id);
        }
        assertThat(rotate.code).as(rotate.err).isZero();
        JsonNode result = new ObjectMapper().readTree(rotate.out);
        assertThat(result.get("deleted")).extracting(JsonNode::asText).containsExactly(ids.get(0), ids.get(1));
        assertThat(result.get("bytesFreed").asLong()).isPositive();
        JsonNode remaining = new ObjectMapper().readTree(listed.out);
        assertThat(remaining).hasSize(1);
        assertThat(remaining.get(0).get("id").asText()).isEqualTo(ids.get(2));
        assertThat(Files.readAllLines(events)).hasSize(2).allMatch(line -> line.contains("\"event\":\"delete\""));
        assertThat(keepsNothing.code).isEqualTo(ExitCodes.USAGE);
        assertThat(keepsNothing.err).contains("keep nothing");
    }
}
