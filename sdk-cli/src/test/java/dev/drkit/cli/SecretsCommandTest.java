package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.secrets.vault.SimulatedVault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code drkit secrets check} against the simulated Vault. */
class SecretsCommandTest {

    @TempDir
    Path dir;

    private final SimulatedVault vault = SimulatedVault.start();
    private final SimulatedVault.AppRole role = vault.appRole("cli", SimulatedVault.AppRoleSettings.of(
        List.of("orders-read"), Duration.ofSeconds(1200), Duration.ofSeconds(3600)));
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void stop() {
        vault.close();
    }

    @Test
    void reportsTtlRenewableAndPoliciesAsJsonAndRevokesItsToken() throws Exception {
        String secretId = vault.newSecretId(role);
        int code = run("secrets", "check", "--vault-addr", vault.address().toString(),
            "--role-id-file", file("role-id", role.roleId(), "rw-------").toString(),
            "--secret-id-file", file("secret-id", secretId, "rw-------").toString(), "--json");

        assertThat(code).as(err.toString()).isZero();
        JsonNode report = new ObjectMapper().readTree(out.toString());
        assertThat(report.get("loggedIn").asBoolean()).isTrue();
        assertThat(report.get("ttlSeconds").asLong()).isBetween(1100L, 1200L);
        assertThat(report.get("expires").asBoolean()).isTrue();
        assertThat(report.get("renewable").asBoolean()).isTrue();
        assertThat(report.get("policies").toString()).contains("default", "orders-read");
        assertThat(out.toString() + err).doesNotContain(role.roleId()).doesNotContain(secretId).doesNotContain("hvs.");
        assertThat(vault.liveTokensOf(role)).isZero();
    }

    @Test
    void printsAReadableReport() throws Exception {
        int code = run("secrets", "check", "--vault-addr", vault.address().toString(),
            "--role-id-file", file("role-id", role.roleId(), "rw-------").toString(),
            "--secret-id-file", file("secret-id", vault.newSecretId(role), "rw-------").toString());
        assertThat(code).isZero();
        assertThat(out.toString()).contains("login        ok").contains("renewable    yes").contains("orders-read");
    }

    @Test
    void reportsATokenThatNeverExpiresAsSuchRatherThanAsAHugeTtl() throws Exception {
        SimulatedVault.AppRole forever = vault.appRole("forever", SimulatedVault.AppRoleSettings.of(
            List.of("orders-read"), Duration.ZERO, Duration.ZERO));
        Path roleId = file("forever-role-id", forever.roleId(), "rw-------");

        int text = run("secrets", "check", "--vault-addr", vault.address().toString(), "--role-id-file",
            roleId.toString(), "--secret-id-file", file("s1", vault.newSecretId(forever), "rw-------").toString());
        String printed = out.toString();
        out.getBuffer().setLength(0);
        int json = run("secrets", "check", "--vault-addr", vault.address().toString(), "--role-id-file",
            roleId.toString(), "--secret-id-file", file("s2", vault.newSecretId(forever), "rw-------").toString(),
            "--json");

        assertThat(text).as(err.toString()).isZero();
        assertThat(json).as(err.toString()).isZero();
        assertThat(printed).contains("token TTL    none (the token never expires)");
        JsonNode report = new ObjectMapper().readTree(out.toString());
        assertThat(report.get("expires").asBoolean()).isFalse();
        assertThat(report.get("ttlSeconds").isNull()).isTrue();
    }

    @Test
    void exitsOneWhenVaultRefusesTheLogin() throws Exception {
        int code = run("secrets", "check", "--vault-addr", vault.address().toString(),
            "--role-id-file", file("role-id", role.roleId(), "rw-------").toString(),
            "--secret-id-file", file("secret-id", "00000000-0000-0000-0000-000000000000", "rw-------").toString());
        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains("refused").doesNotContain("00000000-0000");
    }

    @Test
    void exitsThreeWhenVaultIsUnreachableOrAFileIsTooOpen() throws Exception {
        Path roleId = file("role-id", role.roleId(), "rw-------");
        Path secretId = file("secret-id", vault.newSecretId(role), "rw-------");
        Path open = file("open-secret-id", vault.newSecretId(role), "rw-r--r--");

        assertThat(run("secrets", "check", "--vault-addr", vault.address().toString(), "--role-id-file",
            roleId.toString(), "--secret-id-file", open.toString())).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("chmod 600");

        vault.down();
        assertThat(run("secrets", "check", "--vault-addr", vault.address().toString(), "--role-id-file",
            roleId.toString(), "--secret-id-file", secretId.toString(), "--timeout", "1")).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(err.toString()).contains("unreachable");
    }

    @Test
    void exitsTwoOnUsageErrors() throws Exception {
        assertThat(run("secrets", "check", "--vault-addr", vault.address().toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(run("secrets", "check", "--vault-addr", "ftp://x/y", "--role-id-file", "a", "--secret-id-file", "b"))
            .isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("address must be http(s)");
    }

    private int run(String... args) {
        picocli.CommandLine cli = Drkit.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private Path file(String name, String content, String perms) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }
}
