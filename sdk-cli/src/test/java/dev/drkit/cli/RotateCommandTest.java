package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * drkit rotate and list on a store holding backups of several sources: each source is a series of its own, and a
 * manifest that cannot be read is reported without hiding the other backups or letting rotate delete anything; a
 * backup that cannot be deleted does not stop the others; warnings and usage errors are one line each.
 */
class RotateCommandTest {

    private static CliRun drkit(String... args) {
        return CliRun.of(args);
    }

    private static String backup(Path dir, Path store, Path source, String... labels) throws IOException {
        Path pass = dir.resolve("passphrase");
        if (!Files.exists(pass)) {
            Files.writeString(pass, "rotate test passphrase\n");
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        }
        List<String> args = new ArrayList<>(List.of("backup", "--store", store.toString(), "--source",
            source.toString(), "--passphrase-file", pass.toString()));
        for (String label : labels) {
            args.add("--label");
            args.add(label);
        }
        CliRun backup = drkit(args.toArray(String[]::new));
        assertThat(backup.code).as(backup.err).isZero();
        return backup.out.trim();
    }

    /** The directory {@code src} and the file {@code a.txt}. */
    private static Path[] sources(Path dir) throws IOException {
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("app.conf"), "port = 8200\n");
        Path file = dir.resolve("a.txt");
        Files.writeString(file, "a file on its own\n");
        return new Path[] {src, file};
    }

    private static List<String> listedIds(Path store) throws IOException {
        CliRun list = drkit("list", "--store", store.toString(), "--json");
        assertThat(list.code).as(list.err).isZero();
        List<String> ids = new ArrayList<>();
        new ObjectMapper().readTree(list.out).forEach(node -> ids.add(node.get("id").asText()));
        return ids;
    }

    @Test
    void keepLastOneKeepsTheOnlyBackupOfADirectoryBesideAFilesBackup(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path[] sources = sources(dir);
        String directory = backup(dir, store, sources[0]);
        String file = backup(dir, store, sources[1]);
        String newerFile = backup(dir, store, sources[1]);

        CliRun dryRun = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--dry-run");
        CliRun rotate = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--json");

        assertThat(dryRun.code).as(dryRun.err).isZero();
        assertThat(dryRun.out).contains("series directory src (1 backup)\n  keep   " + directory + "  last 1",
            "series file a.txt (2 backups)", "2 series; dry run: 1 would be deleted");
        assertThat(rotate.code).as(rotate.err).isZero();
        JsonNode result = new ObjectMapper().readTree(rotate.out);
        assertThat(result.get("groupBy").asText()).isEqualTo("source");
        assertThat(result.get("series")).extracting(JsonNode::asText)
            .containsExactlyInAnyOrder("directory src", "file a.txt");
        assertThat(result.get("deleted")).extracting(JsonNode::asText).containsExactly(file);
        assertThat(listedIds(store)).containsExactlyInAnyOrder(directory, newerFile);
    }

    @Test
    void groupByNoneRotatesTheWholeStoreAsOneSeriesAsBefore(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path[] sources = sources(dir);
        String directory = backup(dir, store, sources[0]);
        String file = backup(dir, store, sources[1]);

        CliRun rotate = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--group-by", "none",
            "--json");

        assertThat(rotate.code).as(rotate.err).isZero();
        JsonNode result = new ObjectMapper().readTree(rotate.out);
        assertThat(result.get("groupBy").asText()).isEqualTo("none");
        assertThat(result.get("series")).extracting(JsonNode::asText).containsExactly("");
        assertThat(result.get("deleted")).hasSize(1);
        List<String> left = listedIds(store);
        assertThat(left).hasSize(1);
        assertThat(List.of(directory, file)).contains(left.get(0));
    }

    @Test
    void labelsSelectWhichBackupsARotationTouches(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path[] sources = sources(dir);
        String a1 = backup(dir, store, sources[0], "host=a");
        String b1 = backup(dir, store, sources[0], "host=b");
        String a2 = backup(dir, store, sources[0], "host=a");
        String b2 = backup(dir, store, sources[0], "host=b");

        CliRun rotate = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--label", "host=a", "--json");
        CliRun list = drkit("list", "--store", store.toString(), "--json");

        assertThat(rotate.code).as(rotate.err).isZero();
        JsonNode result = new ObjectMapper().readTree(rotate.out);
        assertThat(result.get("labels").get("host").asText()).isEqualTo("a");
        assertThat(result.get("decisions")).extracting(d -> d.get("id").asText()).containsExactlyInAnyOrder(a1, a2);
        assertThat(result.get("deleted")).hasSize(1);
        List<String> left = listedIds(store);
        assertThat(left).hasSize(3).contains(b1, b2);
        assertThat(new ObjectMapper().readTree(list.out).get(0).get("series").asText()).isEqualTo("directory src");
    }

    @Test
    void aBadGroupByIsAUsageError(@TempDir Path dir) {
        CliRun rotate = drkit("rotate", "--store", dir.resolve("store").toString(), "--group-by", "host");

        assertThat(rotate.code).isEqualTo(ExitCodes.USAGE);
        assertThat(rotate.err).contains("must be source or none");
    }

    @Test
    void aKeepTagThatIsNoLabelIsAUsageErrorNamingTheForm(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path[] sources = sources(dir);
        String first = backup(dir, store, sources[0], "pinned=yes");
        String second = backup(dir, store, sources[0]);

        CliRun plain = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--keep-tag", "pinned");
        CliRun comma = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--keep-tag", "env=a,b");

        for (CliRun run : List.of(plain, comma)) {
            assertThat(run.code).as(run.err).isEqualTo(ExitCodes.USAGE);
            assertThat(run.out).isEmpty();
            assertThat(run.err.strip()).doesNotContain("\n").startsWith("drkit rotate: --keep-tag '")
                .contains("a keep-tag is KEY=VALUE, like --keep-tag pinned=yes");
        }
        assertThat(comma.err).contains("'b' is not KEY=VALUE");
        assertThat(listedIds(store)).containsExactly(first, second);
    }

    @Test
    void aKeepTagRuleOrALabelThatMatchesNoBackupIsWarnedAboutOnStandardError(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path[] sources = sources(dir);
        String first = backup(dir, store, sources[0], "host=a");
        String second = backup(dir, store, sources[0], "host=a");

        CliRun keepTag = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--keep-tag", "pinned=yes",
            "--dry-run");
        CliRun typo = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--label", "hots=a");

        assertThat(keepTag.code).as(keepTag.err).isZero();
        assertThat(keepTag.err.lines()).containsExactly("drkit rotate: warning: keep-tag rule 'pinned=yes' matches"
            + " none of the 2 backups rotated, so it keeps nothing; rotate matches a backup's labels as tags"
            + " KEY=VALUE (a label whose value has a comma or whitespace is no tag)");
        assertThat(typo.code).as(typo.err).isZero();
        assertThat(typo.out).contains("0 series; 0 deleted");
        assertThat(typo.err.lines()).containsExactly(
            "drkit rotate: warning: labels {hots=a} select none of the 2 backups in the store; nothing was rotated");
        assertThat(listedIds(store)).containsExactly(first, second);
    }

    /** A backup dated in the future (a wrong clock): the newest real backup stays, and rotate warns. */
    @Test
    void aBackupDatedInTheFutureLeavesTheNewestRealBackupAndIsWarnedAbout(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        Path[] sources = sources(dir);
        String older = backup(dir, store, sources[0]);
        String newest = backup(dir, store, sources[0]);
        String future;
        try (FileSystemStore files = FileSystemStore.open(store);
             Secret passphrase = Secret.ofString("rotate test passphrase", "passphrase")) {
            BackupEngine wrongClock = BackupEngine.builder(files).encryption(Encryption.passphrase(passphrase))
                .clock(Clock.fixed(Instant.parse("2099-01-01T00:00:00Z"), ZoneOffset.UTC)).build();
            future = wrongClock.backup(BackupSource.directory(sources[0])).id();
        }

        CliRun rotate = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--json");

        assertThat(rotate.code).as(rotate.err).isZero();
        assertThat(rotate.err.lines()).singleElement().asString()
            .startsWith("drkit rotate: warning: 1 backup is dated after now (")
            .contains(future + " at 2099-01-01T00:00:00Z", "the newest backup not dated in the future is kept");
        JsonNode result = new ObjectMapper().readTree(rotate.out);
        assertThat(result.get("deleted")).extracting(JsonNode::asText).containsExactly(older);
        assertThat(result.get("warnings")).hasSize(1);
        assertThat(listedIds(store)).containsExactly(newest, future);
    }

    /** An immutable backup directory, as an S3 object lock would be: the others are still deleted, and reported. */
    @Test
    void aBackupThatCannotBeDeletedIsReportedTheOthersAreDeletedAndTheExitCodeIsThree(@TempDir Path dir)
        throws Exception {
        Path store = dir.resolve("store");
        Path[] sources = sources(dir);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(backup(dir, store, sources[0]));
        }
        Path locked = store.resolve(ids.get(0));
        assumeTrue(immutable(locked, true), "chattr +i needs root (CAP_LINUX_IMMUTABLE) and ext4, xfs or btrfs");
        try {
            CliRun json = drkit("rotate", "--store", store.toString(), "--keep-last", "2", "--json");
            CliRun text = drkit("rotate", "--store", store.toString(), "--keep-last", "2");

            assertThat(json.code).as(json.err).isEqualTo(ExitCodes.ENVIRONMENT);
            assertThat(json.err.strip()).doesNotContain("\n")
                .startsWith("drkit rotate: Store " + store + ": rotation could not delete 1 of 2 backups")
                .contains(ids.get(0) + " (", "1 deleted");
            JsonNode result = new ObjectMapper().readTree(json.out);
            assertThat(result.get("deleted")).extracting(JsonNode::asText).containsExactly(ids.get(1));
            assertThat(result.get("failed")).singleElement().satisfies(failed -> {
                assertThat(failed.get("id").asText()).isEqualTo(ids.get(0));
                assertThat(failed.get("reason").asText()).isNotBlank();
            });
            // The next rotation is not blocked: it reports the same backup and deletes nothing else.
            assertThat(text.code).as(text.err).isEqualTo(ExitCodes.ENVIRONMENT);
            assertThat(text.out).contains("  failed " + ids.get(0) + "  ", "  keep   " + ids.get(3) + "  last 1",
                "1 series; 0 deleted, 1 could not be deleted, 0 bytes freed").doesNotContain("deleted " + ids.get(0));
            assertThat(text.err.strip()).doesNotContain("\n").contains("could not delete 1 of 1 backups");
        } finally {
            immutable(locked, false);
        }
        assertThat(listedIds(store)).containsExactly(ids.get(0), ids.get(2), ids.get(3));
    }

    /** Sets or clears the immutable attribute of {@code path}; whether that worked. */
    private static boolean immutable(Path path, boolean on) throws Exception {
        try {
            Process chattr = new ProcessBuilder("chattr", on ? "+i" : "-i", path.toString())
                .redirectErrorStream(true).start();
            chattr.getInputStream().readAllBytes();
            return chattr.waitFor() == 0;
        } catch (IOException e) {
            return false;                               // no chattr on this machine
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--keep-last  | -1          | '-1' is negative",
        "--keep-within| 2w          | 'w' after 2 is not a unit",
        "--zone       | Mars/Olympus| 'Mars/Olympus' is not a time zone",
        "--group-by   | host        | must be source or none",
    })
    void badOptionValuesAreOneLineUsageErrors(String option, String value, String message, @TempDir Path dir) {
        CliRun rotate = drkit("rotate", "--store", dir.resolve("store").toString(), option, value);

        assertThat(rotate.code).isEqualTo(ExitCodes.USAGE);
        assertThat(rotate.err.strip()).doesNotContain("\n")
            .startsWith("drkit rotate: invalid value for option '" + option + "': ").contains(message);
        assertThat(dir.resolve("store")).doesNotExist();
    }

    /** Two healthy backups, one with a garbage manifest, and a foreign directory named like a backup. */
    private static List<String> storeWithUnreadableManifests(Path dir, Path store) throws IOException {
        Path[] sources = sources(dir);
        String first = backup(dir, store, sources[0]);
        String damaged = backup(dir, store, sources[1]);
        String last = backup(dir, store, sources[1]);
        Files.writeString(store.resolve(damaged).resolve("manifest.json"), "garbage");
        String foreign = "20991231T000000Z-00000000";
        Files.createDirectories(store.resolve(foreign));
        Files.writeString(store.resolve(foreign).resolve("manifest.json"), "{\"not\": \"a manifest\"}");
        return List.of(first, damaged, last, foreign);
    }

    @Test
    void listShowsTheHealthyBackupsMarksTheUnreadableOnesAndExitsOne(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        List<String> ids = storeWithUnreadableManifests(dir, store);

        CliRun list = drkit("list", "--store", store.toString());
        CliRun json = drkit("list", "--store", store.toString(), "--json");

        assertThat(list.code).isEqualTo(ExitCodes.DATA);
        assertThat(list.out).contains(ids.get(0) + "  directory", ids.get(2) + "  file",
            ids.get(1) + "  UNREADABLE  ", ids.get(3) + "  UNREADABLE  ");
        assertThat(list.err.strip()).doesNotContain("\n")
            .startsWith("drkit list: 2 of 4 backups cannot be read (" + ids.get(1) + ", " + ids.get(3) + ")");
        assertThat(json.code).isEqualTo(ExitCodes.DATA);
        JsonNode listed = new ObjectMapper().readTree(json.out);
        assertThat(listed).extracting(node -> node.get("id").asText()).containsExactly(ids.get(0), ids.get(2));
        assertThat(json.err).contains("backup " + ids.get(1) + " is unreadable: ", "backup " + ids.get(3));
    }

    @Test
    void rotateRefusesToDeleteAnythingWhileAManifestCannotBeRead(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        List<String> ids = storeWithUnreadableManifests(dir, store);

        CliRun dryRun = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--group-by", "none",
            "--dry-run");
        CliRun rotate = drkit("rotate", "--store", store.toString(), "--keep-last", "1", "--group-by", "none");

        for (CliRun run : List.of(dryRun, rotate)) {
            assertThat(run.code).isEqualTo(ExitCodes.DATA);
            assertThat(run.out).isEmpty();
            assertThat(run.err.strip()).doesNotContain("\n").startsWith("drkit rotate: ")
                .contains("not rotating, nothing deleted", ids.get(1), ids.get(3));
        }
        try (var entries = Files.list(store)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsAll(ids);
        }
    }
}
