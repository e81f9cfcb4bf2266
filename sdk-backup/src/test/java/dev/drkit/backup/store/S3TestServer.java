package dev.drkit.backup.store;

import dev.drkit.core.secret.Secret;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One local S3-compatible server (Adobe S3Mock's executable jar, copied into {@code target/s3-test-server} by the
 * build) for all S3 tests of this JVM, on 127.0.0.1 and a free port, in a temp directory; stopped when the JVM
 * exits. AWS itself is never contacted: clients get this endpoint and fake credentials. Public for the tests of
 * other modules (sdk-cli's, through this module's test-jar), which also copy the jar into their
 * {@code target/s3-test-server}.
 */
public final class S3TestServer {

    /** The bucket the server is started with. */
    public static final String BUCKET = "drkit-test";
    /** The fake access key id the server accepts (S3Mock accepts any). */
    public static final String ACCESS_KEY = "test-access-key";
    /** The fake secret access key; tests check it is never shown. */
    public static final String SECRET_KEY = "test-secret-key-never-shown";

    private static S3TestServer instance;

    /** The server's endpoint, {@code http://127.0.0.1:PORT}. */
    public final URI endpoint;
    private final Process process;

    private S3TestServer(URI endpoint, Process process) {
        this.endpoint = endpoint;
        this.process = process;
    }

    /** The running server; skips the calling test when the jar is missing outside CI, fails in CI. */
    public static synchronized S3TestServer get() throws Exception {
        if (instance == null) {
            Path jar = Path.of(System.getProperty("basedir", "."), "target", "s3-test-server", "s3mock.jar");
            if (!Files.isRegularFile(jar) && System.getenv("CI") == null) {
                assumeTrue(false, "no S3 test server at " + jar + ": run the tests through Maven, which copies it");
            }
            instance = start(jar);
        }
        return instance;
    }

    /**
     * Starts the server on a port found free a moment before: another process can take it in between (it lies in
     * the range the kernel hands out to outgoing connections), so a start that failed to bind tries another port.
     */
    private static S3TestServer start(Path jar) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(jar);
            } catch (PortTaken e) {
                if (attempt == 3) {
                    throw new IllegalStateException(e.getMessage());
                }
            }
        }
    }

    private static S3TestServer startOnce(Path jar) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path root = Files.createTempDirectory("drkit-s3mock");
        Path logFile = root.resolveSibling(root.getFileName() + ".log");
        Process process = new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
            "-jar", jar.toString(),
            "--server.port=0", "--server.address=127.0.0.1",
            "--com.adobe.testing.s3mock.httpPort=" + port,
            "--com.adobe.testing.s3mock.store.root=" + root,
            "--com.adobe.testing.s3mock.store.initialBuckets=" + BUCKET,
            "--com.adobe.testing.s3mock.store.retainFilesOnExit=false"))
            .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            process.destroy();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            process.destroyForcibly();
        }));
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!answers(endpoint)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                String log = Files.readString(logFile);
                if (log.contains("BindException")) {
                    throw new PortTaken("the S3 test server could not bind port " + port + "; its log:\n" + log);
                }
                throw new IllegalStateException("the S3 test server did not start; its log:\n" + log);
            }
            Thread.sleep(200);
        }
        return new S3TestServer(endpoint, process);
    }

    private static boolean answers(URI endpoint) {
        try {
            HttpURLConnection connection = (HttpURLConnection) endpoint.resolve("/" + BUCKET).toURL().openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(2000);
            int status = connection.getResponseCode();
            connection.disconnect();
            return status == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** A builder for a store under {@code prefix} on this server, with fake explicit credentials. */
    public S3Store.Builder store(String prefix) {
        return S3Store.builder(BUCKET, prefix)
            .endpointOverride(endpoint)
            .pathStyleAccess(true)
            .region("us-east-1")
            .credentials(ACCESS_KEY, Secret.ofString(SECRET_KEY, "s3-secret-key"));
    }

    /** A plain S3 client for this server, to look behind the store's back. */
    public S3Client client() {
        return S3Client.builder()
            .endpointOverride(endpoint)
            .forcePathStyle(true)
            .region(Region.US_EAST_1)
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .build();
    }

    /** The port found free was taken before the server could bind it. */
    private static final class PortTaken extends Exception {
        private static final long serialVersionUID = 1L;

        PortTaken(String message) {
            super(message);
        }
    }

    boolean alive() {
        return process.isAlive();
    }
}
