package dev.drkit.postgres;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The search rules, on fake installations made of shell scripts. */
class PgBinariesTest {

    @TempDir
    Path root;

    @Test
    void takesAnExplicitDirectoryFirst() throws IOException {
        Path explicit = fakeBin("explicit", "15.4");
        fakeBin("pgbin", "16.1");

        PgBinaries found = locator().directory(explicit).environment(Map.of("PG_BIN", root.resolve("pgbin").toString()))
            .locate();

        assertThat(found.source()).isEqualTo(PgBinaries.Source.EXPLICIT);
        assertThat(found.binDirectory()).isEqualTo(explicit);
        assertThat(found.version()).isEqualTo("15.4");
        assertThat(found.majorVersion()).isEqualTo(15);
    }

    @Test
    void refusesAnExplicitDirectoryWithoutAServerInsteadOfLookingElsewhere() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));

        assertThatThrownBy(() -> locator().directory(empty).locate())
            .isInstanceOf(MissingToolException.class)
            .hasMessageContaining("PostgreSQL tool 'postgres'")
            .hasMessageContaining(empty + " (the directory given): no executable postgres");
    }

    @Test
    void takesPgBinFromTheEnvironmentBeforePgConfig() throws IOException {
        Path pgBin = fakeBin("pgbin", "16.2");
        Path configured = fakeBin("configured", "14.9");
        Path tools = fakePgConfig("tools", configured);

        PgBinaries found = locator().environment(Map.of("PG_BIN", pgBin.toString(), "PATH", tools.toString())).locate();

        assertThat(found.source()).isEqualTo(PgBinaries.Source.PG_BIN);
        assertThat(found.version()).isEqualTo("16.2");
    }

    @Test
    void asksPgConfigOnThePathForItsBinDirectory() throws IOException {
        Path configured = fakeBin("configured", "14.9");
        Path tools = fakePgConfig("tools", configured);

        PgBinaries found = locator().environment(Map.of("PATH", "/nonexistent:" + tools)).locate();

        assertThat(found.source()).isEqualTo(PgBinaries.Source.PG_CONFIG);
        assertThat(found.binDirectory()).isEqualTo(configured);
        assertThat(found.searched()).containsExactly("PG_BIN: not set");
    }

    @Test
    void takesTheHighestDebianVersionThatHasAServer() throws IOException {
        Path debian = root.resolve("usr-lib-postgresql");
        fakeBinAt(debian.resolve("13/bin"), "13.16");
        fakeBinAt(debian.resolve("15/bin"), "15.8");
        Files.createDirectories(debian.resolve("16/bin")); // client tools only
        Files.createDirectories(debian.resolve("not-a-version/bin"));

        PgBinaries found = locator().environment(Map.of()).debianRoot(debian).locate();

        assertThat(found.source()).isEqualTo(PgBinaries.Source.DEBIAN);
        assertThat(found.version()).isEqualTo("15.8");
        assertThat(found.searched()).contains(debian.resolve("16/bin") + ": no executable postgres");
    }

    @Test
    void listsEveryPlaceItLookedWhenNothingIsFound() throws IOException {
        Path tools = fakePgConfig("tools", root.resolve("gone"));

        assertThatThrownBy(() -> locator().environment(Map.of("PATH", tools.toString()))
            .debianRoot(root.resolve("no-debian")).embedded(false).locate())
            .isInstanceOf(MissingToolException.class)
            .satisfies(e -> assertThat(((MissingToolException) e).searched()).containsExactly(
                "PG_BIN: not set",
                root.resolve("gone") + " (from " + tools.resolve("pg_config") + " --bindir): no executable postgres",
                root.resolve("no-debian") + "/<N>/bin: " + root.resolve("no-debian") + " does not exist",
                "embedded binaries: not allowed by this locator"))
            .hasMessageContaining("set PG_BIN to its bin directory");
    }

    @Test
    void namesTheMissingToolWhatNeedsItAndWhereItLooked() throws IOException {
        PgBinaries found = locator().directory(fakeBin("server-only", "15.4")).locate();

        assertThat(found.hasTool("postgres")).isTrue();
        assertThat(found.findTool("pg_basebackup")).isEmpty();
        assertThatThrownBy(() -> found.tool("pg_basebackup", "creating a replica"))
            .isInstanceOf(MissingToolException.class)
            .hasMessageStartingWith("PostgreSQL tool 'pg_basebackup' (needed for creating a replica) was not found")
            .hasMessageContaining(found.binDirectory() + " (the directory given)")
            .hasMessageContaining("apt-get install postgresql-15");
        assertThatThrownBy(() -> found.tool("../bin/sh")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsVersionsOfEveryFlavour() {
        assertThat(PgBinaries.parseVersion("postgres (PostgreSQL) 15.19")).contains("15.19");
        assertThat(PgBinaries.parseVersion("postgres (PostgreSQL) 15.5 (Debian 15.5-1.pgdg120+1)")).contains("15.5");
        assertThat(PgBinaries.parseVersion("postgres (PostgreSQL) 17devel")).contains("17");
        assertThat(PgBinaries.parseVersion("postgres (PostgreSQL) 9.6.24")).contains("9.6.24");
        assertThat(PgBinaries.parseVersion("something else")).isEmpty();
    }

    private PgBinaries.Locator locator() {
        return PgBinaries.locator().cacheDirectory(root).embedded(false).debianRoot(root.resolve("no-debian"))
            .environment(Map.of());
    }

    private Path fakeBin(String name, String version) throws IOException {
        return fakeBinAt(root.resolve(name), version);
    }

    private static Path fakeBinAt(Path dir, String version) throws IOException {
        Files.createDirectories(dir);
        script(dir.resolve("postgres"), "echo 'postgres (PostgreSQL) " + version + "'");
        return dir;
    }

    private Path fakePgConfig(String name, Path bindir) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        script(dir.resolve("pg_config"), "[ \"$1\" = --bindir ] && echo '" + bindir + "'");
        return dir;
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
