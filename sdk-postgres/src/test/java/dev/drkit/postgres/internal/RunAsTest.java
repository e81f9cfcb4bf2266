package dev.drkit.postgres.internal;

import dev.drkit.core.EnvironmentException;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunAsTest {

    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final Path RUNUSER = Path.of("/usr/sbin/runuser");

    @Test
    void runsProgramsDirectlyWhenTheJvmIsNotRoot() {
        RunAs runAs = RunAs.detect(false, "postgres", Map.of("DRKIT_PG_USER", "nobody"), tool -> Optional.of(SETPRIV));

        assertThat(runAs.switchesUser()).isFalse();
        assertThat(runAs.ownerName()).isNull();
        assertThat(runAs.wrap(List.of("initdb", "-D", "x"))).containsExactly("initdb", "-D", "x");
    }

    @Test
    void prefersSetprivWithNumericIdsAndTheUsersGroups() {
        RunAs runAs = RunAs.detect(true, null, Map.of("DRKIT_PG_USER", "nobody"), tool -> Optional.of(SETPRIV));
        OsUser nobody = OsUser.lookup("nobody").orElseThrow();

        assertThat(runAs.ownerName()).isEqualTo("nobody");
        assertThat(runAs.wrap(List.of("postgres", "-D", "x"))).containsExactly("/usr/bin/setpriv",
            "--reuid=" + nobody.uid(), "--regid=" + nobody.gid(), "--init-groups", "--", "postgres", "-D", "x");
    }

    @Test
    void fallsBackToRunuserKeepingTheExplicitEnvironment() {
        RunAs runAs = RunAs.detect(true, "nobody", Map.of(),
            tool -> tool.equals("runuser") ? Optional.of(RUNUSER) : Optional.empty());

        assertThat(runAs.wrap(List.of("pg_ctl"))).containsExactly("/usr/sbin/runuser", "--preserve-environment",
            "-u", "nobody", "--", "pg_ctl");
    }

    @Test
    void choosesPostgresThenNobodyWhenNoUserIsNamed() {
        RunAs runAs = RunAs.detect(true, null, Map.of(), tool -> Optional.of(SETPRIV));

        String expected = OsUser.lookup("postgres").isPresent() ? "postgres" : "nobody";
        assertThat(runAs.ownerName()).isEqualTo(expected);
    }

    @Test
    void explainsWhatIsMissingWhenItCannotLeaveRoot() {
        assertThatThrownBy(() -> RunAs.detect(true, "no-such-user-here", Map.of(), tool -> Optional.of(SETPRIV)))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageContaining("the user 'no-such-user-here'")
            .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> RunAs.detect(true, "root", Map.of(), tool -> Optional.of(SETPRIV)))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageContaining("has uid 0");
        assertThatThrownBy(() -> RunAs.detect(true, "nobody", Map.of(), tool -> Optional.empty()))
            .isInstanceOf(EnvironmentException.class)
            .hasMessageContaining("neither setpriv nor runuser");
    }

    @Test
    void reallyRunsAsTheOtherUserWithOnlyTheExplicitEnvironmentWhenRoot() {
        org.junit.jupiter.api.Assumptions.assumeTrue(RunAs.isRoot(), "only root can switch users");
        OsUser nobody = OsUser.lookup("nobody").orElseThrow();
        List<RunAs> ways = new java.util.ArrayList<>(List.of(RunAs.detect("nobody")));
        if (java.nio.file.Files.isExecutable(RUNUSER)) {
            ways.add(RunAs.runuser(RUNUSER, nobody));
        }
        for (RunAs runAs : ways) {
            ProcessRunner runner = new ProcessRunner("test", runAs, Path.of("/usr/bin"), Path.of("/"));

            ProcessRunner.Result result = runner.run(List.of("sh", "-c", "id -un; env | sort"),
                Map.of("PGPASSFILE", "/x/pgpass"), java.time.Duration.ofSeconds(10));

            assertThat(result.succeeded()).as(runAs + ": " + result.output()).isTrue();
            List<String> lines = result.output().lines().toList();
            assertThat(lines.get(0)).as(runAs.toString()).isEqualTo("nobody");
            assertThat(lines).as(runAs.toString()).contains("PGPASSFILE=/x/pgpass", "LC_ALL=C", "HOME=/")
                .noneMatch(l -> l.startsWith("PGPASSWORD=") || l.startsWith("JAVA_HOME=") || l.startsWith("MAVEN"));
        }
    }
}
