package dev.drkit.postgres;

import dev.drkit.postgres.internal.RunAs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * When the JVM is root, the server's user must not be able to redirect what root later writes, reads or deletes
 * in a cluster's directory (by renaming entries or putting symbolic links in their place).
 */
class ServerUserIsolationTest {

    private Path victim;

    @BeforeEach
    void rootOnlyWithAVictim() throws Exception {
        assumeTrue(RunAs.isRoot(), "only a root JVM runs the server as another user");
        // Outside /tmp's sticky bit, world-readable: what an attacker would point a link at.
        victim = Files.createTempDirectory(Path.of("/var/tmp"), "drkit-victim-");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(victim.resolve("important"), "root's data\n");
    }

    @AfterEach
    void removeVictim() throws Exception {
        if (victim != null) {
            dev.drkit.postgres.internal.Trees.deleteQuietly(victim);
        }
    }

    /** Runs {@code script} with sh as the server's user: what that user could do on its own. */
    private static int asServerUser(String script) throws Exception {
        String user = PgCluster.serverUser().orElseThrow();
        Process p = new ProcessBuilder("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--",
            "sh", "-c", script).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    @Test
    void keepsTheClusterDirectoryFromTheServersUser() throws Exception {
        try (PgCluster cluster = PgCluster.create(PgClusterConfig.forTests().toBuilder().name("isolated").build())) {
            Path dir = cluster.directory();
            assertThat(Files.getAttribute(dir, "unix:uid")).isEqualTo(0);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx--x--x");
            assertThat(Files.getAttribute(cluster.logFile(), "unix:uid")).isEqualTo(0);

            assertThat(asServerUser("mv '" + cluster.logFile() + "' '" + dir + "/moved'")).isNotZero();
            assertThat(asServerUser("ln -s '" + victim + "' '" + dir + "/planted'")).isNotZero();
            assertThat(asServerUser("mv '" + cluster.dataDirectory() + "' '" + dir + "/data.away'")).isNotZero();
            // What it must own, it does.
            assertThat(asServerUser("touch '" + cluster.dataDirectory() + "/probe' '"
                + cluster.socketDirectory() + "/probe'")).isZero();
        }
    }

    @Test
    void aReplicasCredentialDirectoryCannotBeSwappedForALink() throws Exception {
        try (PgCluster primary = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("cred-swap").build())) {
            PgCluster replica = primary.createReplica(ReplicaOptions.builder("cred-swap-r").build());
            Path credentials;
            try (Stream<Path> s = Files.list(replica.directory())) {
                credentials = s.filter(p -> p.getFileName().toString().startsWith("drkit-replication-"))
                    .findFirst().orElseThrow();
            }
            String c = credentials.toString();
            int swapped = asServerUser("mv '" + c + "' '" + c + ".away' && ln -s '" + victim + "' '" + c + "'");

            replica.close();

            assertThat(swapped).isNotZero();
            assertThat(victim.resolve("important")).hasContent("root's data\n");
        }
    }

    @Test
    void neverWritesThroughALinkInTheDataDirectory() throws Exception {
        try (PgCluster cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("conf-link").build())) {
            Path data = cluster.dataDirectory();
            // The name root used to write the new drkit.conf under before renaming it into place.
            assertThat(asServerUser("ln -s '" + victim.resolve("important") + "' '" + data + "/drkit.conf.tmp'"))
                .isZero();

            cluster.applySettings(java.util.Map.of("work_mem", "8MB"));

            assertThat(victim.resolve("important")).hasContent("root's data\n");
            assertThat(data.resolve("drkit.conf")).isRegularFile();
            assertThat(cluster.queryValue("SHOW work_mem")).contains("8MB");
        }
    }
}
