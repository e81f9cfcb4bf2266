package dev.drkit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.secrets.TokenInfo;
import dev.drkit.secrets.VaultAuth;
import dev.drkit.secrets.VaultAuthException;
import dev.drkit.secrets.VaultClient;
import dev.drkit.secrets.VaultConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code drkit secrets}: HashiCorp Vault, as drkit's sdk-secrets uses it.
 */
@Command(name = "secrets", mixinStandardHelpOptions = true,
    description = "HashiCorp Vault: check that an AppRole can log in.",
    subcommands = {SecretsCommand.Check.class})
final class SecretsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw Drkit.missingSubcommand(spec);
    }

    /**
     * {@code drkit secrets check}: logs in with the AppRole files and reports the token's TTL, whether it is
     * renewable, and its policies; never a token or secret. The token is revoked before exiting. Exit 0 when the
     * login worked, 1 when Vault refused it, 2 on a usage error, 3 when Vault is unreachable or sealed or a file is
     * missing or readable by others.
     */
    @Command(name = "check", mixinStandardHelpOptions = true,
        description = "Logs in to Vault with an AppRole (role and secret ID read from files only their owner may read)"
            + " and reports the token's TTL, renewable flag and policies. No secret is printed.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:logged in", "1:Vault refused the login", "2:usage error",
            "3:Vault unreachable or sealed, or a file missing or too open"})
    static final class Check implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--vault-addr", required = true, paramLabel = "URL",
            description = "Vault's address, such as https://vault.example:8200.")
        String vaultAddr;

        @Option(names = "--role-id-file", required = true, paramLabel = "FILE",
            description = "File holding the AppRole role ID (mode 0600 or stricter).")
        Path roleIdFile;

        @Option(names = "--secret-id-file", required = true, paramLabel = "FILE",
            description = "File holding the AppRole secret ID (mode 0600 or stricter).")
        Path secretIdFile;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "Time limit of each request to Vault, in seconds (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        @Option(names = "--json", description = "Print the result as JSON.")
        boolean json;

        @Override
        public Integer call() {
            VaultConfig config;
            try {
                if (timeoutSeconds < 1 || timeoutSeconds > 300) {
                    throw new IllegalArgumentException("--timeout must be between 1 and 300, but was " + timeoutSeconds);
                }
                config = VaultConfig.builder(new URI(vaultAddr), VaultAuth.appRoleFiles(roleIdFile, secretIdFile))
                    .name("drkit-cli")
                    .requestTimeout(Duration.ofSeconds(timeoutSeconds))
                    .connectTimeout(Duration.ofSeconds(Math.min(timeoutSeconds, 5)))
                    .policies(ResiliencePolicies.builder("drkit-cli").maxAttempts(2)
                        .initialBackoff(Duration.ofMillis(200)).build())
                    .build();
            } catch (URISyntaxException | IllegalArgumentException e) {
                String why = e instanceof URISyntaxException ? "--vault-addr is not a URL" : e.getMessage();
                throw new CommandLine.ParameterException(spec.commandLine(), why);
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ObjectNode report = new ObjectMapper().createObjectNode();
            report.put("vaultAddr", config.address().toString());
            try (VaultClient client = VaultClient.start(config)) {
                if (!client.isLoggedIn()) {
                    report.put("loggedIn", false);
                    report.put("error", "Vault at " + config.address() + " is unreachable or sealed");
                    print(out, err, report, false);
                    return ExitCodes.ENVIRONMENT;
                }
                TokenInfo token = client.lookupToken();
                report.put("loggedIn", true);
                // A token that never expires has no TTL to print (its Duration is the largest there is).
                report.put("expires", token.expires());
                if (token.expires()) {
                    report.put("ttlSeconds", token.ttl().toSeconds());
                } else {
                    report.putNull("ttlSeconds");
                }
                report.put("renewable", token.renewable());
                token.policies().forEach(report.putArray("policies")::add);
                print(out, err, report, true);
                return ExitCodes.OK;
            } catch (VaultAuthException e) {
                report.put("loggedIn", false);
                report.put("error", e.getMessage());
                print(out, err, report, false);
                return ExitCodes.DATA;
            }
        }

        private void print(PrintWriter out, PrintWriter err, ObjectNode report, boolean ok) {
            if (json) {
                out.println(report.toPrettyString());
            } else if (ok) {
                out.printf("%-12s %s%n", "Vault", report.get("vaultAddr").asText());
                out.printf("%-12s %s%n", "login", "ok");
                out.printf("%-12s %s%n", "token TTL", report.get("expires").asBoolean()
                    ? report.get("ttlSeconds").asLong() + "s" : "none (the token never expires)");
                out.printf("%-12s %s%n", "renewable", report.get("renewable").asBoolean() ? "yes" : "no");
                out.printf("%-12s %s%n", "policies", String.join(", ",
                    new ObjectMapper().convertValue(report.get("policies"), String[].class)));
            } else {
                err.println("drkit secrets check: " + report.get("error").asText());
            }
            out.flush();
            err.flush();
        }
    }
}
