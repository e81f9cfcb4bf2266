package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * drkit rotate and list on a store holding backups of several sources: each source is a series of its own, and a
 * manifest that cannot be read is reported without hiding the other backups or letting rotate delete anything.
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
