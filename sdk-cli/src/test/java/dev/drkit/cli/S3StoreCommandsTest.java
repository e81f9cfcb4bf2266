package dev.drkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.store.S3TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * drkit backup, list, verify, restore and rotate with an {@code s3://} store, against the local S3-compatible
 * server sdk-backup's tests start (never AWS). Credentials come from the AWS SDK's default chain: system properties
 * in this JVM, the standard environment variables in a child process.
 */
class S3StoreCommandsTest {

    private static final String PASSPHRASE = "s3 cli passphrase, never an argument";

    private static S3TestServer server;
    private static S3Client s3;

    private final String prefix = "cli/" + UUID.randomUUID();

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.get();
        s3 = server.client();
        System.setProperty("aws.accessKeyId", S3TestServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3TestServer.SECRET_KEY);
    }

    @AfterAll
    static void forgetCredentials() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    private static CliRun drkit(String... args) {
        return CliRun.of(args);
    }

    /** {@code args} followed by the store options of this test's prefix on the local server. */
    private String[] withStore(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--store", "s3://" + S3TestServer.BUCKET + "/" + prefix,
            "--s3-endpoint", server.endpoint.toString(), "--s3-region", "eu-west-1", "--s3-path-style"));
        return all.toArray(String[]::new);
    }

    private static Path passphraseFile(Path dir) throws IOException {
        Path file = dir.resolve("passphrase");
        Files.writeString(file, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static Path source(Path dir) throws IOException {
        Path source = dir.resolve("certs");
        Files.createDirectories(source.resolve("ca"));
        Files.writeString(source.resolve("ca/root.pem"), "-----BEGIN CERTIFICATE-----\n");
        Files.writeString(source.resolve("server.key"), "not really a key");
        return source;
    }

    @Test
    void backsUpListsVerifiesRestoresAndRotatesInAnS3Store(@TempDir Path dir) throws Exception {
        Path pass = passphraseFile(dir);
        Path source = source(dir);

        CliRun first = drkit(withStore("backup", "--source", source.toString(), "--passphrase-file", pass.toString(),
            "--label", "app=pki", "--json"));
        assertThat(first.code).as(first.err).isZero();
        String firstId = new ObjectMapper().readTree(first.out).get("id").asText();
        Files.writeString(source.resolve("server.key"), "the second key");
        CliRun second = drkit(withStore("backup", "--source", source.toString(), "--passphrase-file", pass.toString()));
        assertThat(second.code).as(second.err).isZero();
        String secondId = second.out.strip();

        CliRun list = drkit(withStore("list", "--json"));
        CliRun quick = drkit(withStore("verify", "--all"));
        CliRun full = drkit(withStore("verify", "--id", firstId, "--full", "--passphrase-file", pass.toString()));
        Path target = dir.resolve("restored");
        CliRun restore = drkit(withStore("restore", "--id", firstId, "--target", target.toString(), "--passphrase-file",
            pass.toString()));
        CliRun rotate = drkit(withStore("rotate", "--keep-last", "1", "--json"));
        CliRun listAfter = drkit(withStore("list"));

        assertThat(list.code).as(list.err).isZero();
        JsonNode listed = new ObjectMapper().readTree(list.out);
        assertThat(listed).extracting(n -> n.get("id").asText()).containsExactly(firstId, secondId);
        assertThat(listed.get(0).at("/labels/app").asText()).isEqualTo("pki");
        assertThat(quick.code).as(quick.err).isZero();
        assertThat(quick.out).contains(firstId + "  ok  (quick)", secondId + "  ok  (quick)");
        assertThat(full.code).as(full.err).isZero();
        assertThat(full.out).contains(firstId + "  ok  (full)");
        assertThat(restore.code).as(restore.err).isZero();
        assertThat(target.resolve("server.key")).hasContent("not really a key");
        assertThat(target.resolve("ca/root.pem")).hasContent("-----BEGIN CERTIFICATE-----");
        assertThat(rotate.code).as(rotate.err).isZero();
        assertThat(new ObjectMapper().readTree(rotate.out).get("deleted")).extracting(JsonNode::asText)
            .containsExactly(firstId);
        assertThat(listAfter.out).contains(secondId).doesNotContain(firstId);
        List<String> keys = s3.listObjectsV2Paginator(r -> r.bucket(S3TestServer.BUCKET).prefix(prefix + "/"))
            .contents().stream().map(S3Object::key).toList();
        assertThat(keys).contains(prefix + "/" + secondId + "/manifest.json")
            .noneMatch(k -> k.contains(firstId));
        String printed = String.join("", first.out, first.err, list.out, quick.out, full.out, restore.out,
            restore.err, rotate.out, rotate.err);
        assertThat(printed).doesNotContain(PASSPHRASE).doesNotContain(S3TestServer.SECRET_KEY);
    }

    @Test
    void credentialsComeFromTheStandardEnvironmentVariables(@TempDir Path dir) throws Exception {
        Path source = source(dir);
        Map<String, String> credentials = Map.of("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY, "DRKIT_TEST_PASSPHRASE", PASSPHRASE);

        CliRun backup = child(dir, credentials, withStore("backup", "--source", source.toString(),
            "--passphrase-env", "DRKIT_TEST_PASSPHRASE"));
        CliRun withoutCredentials = child(dir, Map.of(), withStore("list"));

        assertThat(backup.code).as(backup.err).isZero();
        assertThat(drkit(withStore("list")).out).contains(backup.out.strip());
        assertThat(withoutCredentials.code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(withoutCredentials.err.strip()).startsWith("drkit list: S3 store s3://" + S3TestServer.BUCKET)
            .doesNotContain("\n");
        assertThat(backup.out + backup.err).doesNotContain(S3TestServer.SECRET_KEY).doesNotContain(PASSPHRASE);
    }

    @Test
    void anUnreachableEndpointIsExitThreeWithOneLine() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }

        CliRun list = drkit("list", "--store", "s3://" + S3TestServer.BUCKET + "/x", "--s3-endpoint",
            "http://127.0.0.1:" + port, "--s3-region", "us-east-1", "--s3-path-style");

        assertThat(list.code).isEqualTo(ExitCodes.ENVIRONMENT);
        assertThat(list.err.strip()).startsWith("drkit list: S3 store s3://" + S3TestServer.BUCKET + "/x: could not ")
            .doesNotContain("\n");
        assertThat(list.out).isEmpty();
    }

    @Test
    void badS3OptionsAreUsageErrors(@TempDir Path dir) {
        CliRun optionsWithADirectory = drkit("list", "--store", dir.toString(), "--s3-region", "eu-west-1");
        CliRun credentialsInTheUri = drkit("list", "--store", "s3://AKIA:hunter2@" + S3TestServer.BUCKET + "/x");
        CliRun badEndpoint = drkit("list", "--store", "s3://" + S3TestServer.BUCKET + "/x", "--s3-endpoint",
            "ftp://127.0.0.1/");
        CliRun badPrefix = drkit("list", "--store", "s3://" + S3TestServer.BUCKET + "/a//b c");
        CliRun badBucket = drkit("list", "--store", "s3://AKIA:hunter2@Not_A_Bucket/x");

        assertThat(List.of(optionsWithADirectory, credentialsInTheUri, badEndpoint, badPrefix, badBucket))
            .extracting(CliRun::code).containsOnly(ExitCodes.USAGE);
        assertThat(optionsWithADirectory.err).contains("apply only to s3:// stores");
        assertThat(credentialsInTheUri.err).contains("must not hold credentials").doesNotContain("hunter2");
        assertThat(badEndpoint.err).contains("--s3-endpoint");
        assertThat(badPrefix.err).contains("s3://bucket/prefix");
        assertThat(badBucket.err).contains("credentials").doesNotContain("hunter2");
    }

    /** Runs drkit in a child JVM whose environment has no AWS settings but {@code env}. */
    private static CliRun child(Path dir, Map<String, String> env, String... args) throws Exception {
        return CliRun.inChild(dir, environment -> {
            environment.keySet().removeIf(name -> name.startsWith("AWS_"));
            environment.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString());
            environment.put("AWS_CONFIG_FILE", dir.resolve("no-config").toString());
            environment.put("AWS_EC2_METADATA_DISABLED", "true");
            environment.putAll(env);
        }, args);
    }
}
