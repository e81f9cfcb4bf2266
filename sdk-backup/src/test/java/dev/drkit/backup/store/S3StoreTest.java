package dev.drkit.backup.store;

import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store contract and S3-specific faults, against a local S3-compatible server (never AWS). */
class S3StoreTest extends BackupStoreContract {

    static final Duration TEST_LEASE = Duration.ofSeconds(3);

    static S3TestServer server;
    static S3Client s3;

    final String prefix = "stores/" + UUID.randomUUID();

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.get();
        s3 = server.client();
    }

    @Override
    BackupStore openStore(Duration lockTimeout) {
        return server.store(prefix).lockTimeout(lockTimeout).leaseDuration(Duration.ofSeconds(3))
            .partSize(S3Store.MIN_PART_SIZE).build();
    }

    @Override
    void addForeignEntries() {
        for (String key : List.of("notes.txt", "lost+found/1234", "holiday/photo.jpg", "a b/c", "deep/er/key",
            "empty-dir/")) {
            s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/" + key),
                RequestBody.fromString("foreign " + key));
        }
    }

    @Override
    Map<String, String> foreignEntries() {
        Map<String, String> entries = new TreeMap<>();
        for (S3Object object : keys()) {
            String rest = object.key().substring(prefix.length() + 1);
            if (!rest.matches("b[0-9]/.*") && !rest.equals(".lock")) {
                entries.put(rest, s3.getObjectAsBytes(r -> r.bucket(S3TestServer.BUCKET).key(object.key()))
                    .asUtf8String());
            }
        }
        return entries;
    }

    @Override
    List<String> leftovers() {
        List<String> found = new ArrayList<>();
        keys().stream().map(S3Object::key).filter(k -> k.endsWith("/" + S3Store.IN_PROGRESS)).forEach(found::add);
        s3.listMultipartUploads(r -> r.bucket(S3TestServer.BUCKET).prefix(prefix + "/")).uploads()
            .forEach(u -> found.add("upload of " + u.key()));
        return found;
    }

    @Override
    List<String> childStoreArguments() {
        return List.of("s3", server.endpoint.toString(), S3TestServer.BUCKET, prefix,
            Long.toString(TEST_LEASE.toMillis()));
    }

    @Override
    Duration lockTimeoutAfterKilledHolder() {
        return TEST_LEASE.multipliedBy(4);
    }

    private List<S3Object> keys() {
        return s3.listObjectsV2Paginator(r -> r.bucket(S3TestServer.BUCKET).prefix(prefix + "/")).contents()
            .stream().toList();
    }

    // --- S3 only -------------------------------------------------------------------------------------------------

    @Test
    void locationNamesBucketAndPrefixButNoCredentials() {
        assertThat(store.location()).isEqualTo("s3://" + S3TestServer.BUCKET + "/" + prefix);
        assertThat(store.toString()).contains(store.location())
            .doesNotContain(S3TestServer.SECRET_KEY).doesNotContain(S3TestServer.ACCESS_KEY);
    }

    @Test
    void largeObjectsGoUpInSeveralPartsWithBoundedBuffers() throws Exception {
        byte[] big = randomBytes(12 * 1024 * 1024 + 123, 21);
        try (PendingBackup pending = store.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                for (int at = 0; at < big.length; at += 100_000) {
                    out.write(big, at, Math.min(100_000, big.length - at));
                }
            }
            pending.commit();
        }
        assertThat(store.size("b1", "data")).isEqualTo(big.length);
        assertThat(read(store, "b1", "data")).isEqualTo(big);
        String etag = s3.headObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b1/data")).eTag();
        assertThat(etag).as("a multipart ETag ends with the number of parts").endsWith("-3\"");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void anUploadFailingMidwayLeavesNothingListedAndNoUploadBehind() throws Exception {
        AtomicInteger parts = new AtomicInteger();
        ExecutionInterceptor failSecondPart = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof UploadPartRequest && parts.incrementAndGet() == 2) {
                    throw SdkClientException.create("injected: the connection broke during part 2");
                }
            }
        };
        try (BackupStore failing = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).interceptor(failSecondPart)
            .build()) {
            write(failing, "b1", Map.of("data", new byte[] {1}));
            assertThatThrownBy(() -> write(failing, "b2", Map.of("data", randomBytes(11 * 1024 * 1024, 22))))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(failing.location()).hasMessageContaining("b2")
                .hasMessageNotContaining(S3TestServer.SECRET_KEY);

            assertThat(parts.get()).isEqualTo(2);
            assertThat(failing.list()).containsExactly("b1");
            assertThat(leftovers()).isEmpty();
            assertThat(keys()).extracting(S3Object::key).containsExactly(prefix + "/b1/.complete", prefix + "/b1/data");
        }
    }

    @Test
    void anUnreachableServerIsATypedEnvironmentError() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (BackupStore down = S3Store.builder(S3TestServer.BUCKET, "p").endpointOverride(
                URI.create("http://127.0.0.1:" + port)).pathStyleAccess(true).region("us-east-1")
            .credentials(S3TestServer.ACCESS_KEY, Secret.ofString(S3TestServer.SECRET_KEY, "key"))
            .maxAttempts(1).build()) {
            for (ThrowingCall call : List.<ThrowingCall>of(down::list, () -> down.begin("b1"),
                () -> down.objects("b1"))) {
                assertThatThrownBy(call::run)
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("s3://" + S3TestServer.BUCKET + "/p")
                    .hasMessageNotContaining(S3TestServer.SECRET_KEY)
                    .satisfies(e -> assertThat(((DrkitException) e).kind())
                        .isEqualTo(DrkitException.Kind.ENVIRONMENT));
            }
        }
    }

    @Test
    void aMissingBucketIsATypedEnvironmentError() throws Exception {
        try (BackupStore missing = S3Store.builder("no-such-bucket", "p").endpointOverride(server.endpoint)
            .pathStyleAccess(true).region("us-east-1")
            .credentials(S3TestServer.ACCESS_KEY, Secret.ofString(S3TestServer.SECRET_KEY, "key")).build()) {
            assertThatThrownBy(missing::list).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("s3://no-such-bucket/p").hasMessageContaining("404");
        }
    }

    @Test
    void aLeaseThatExpiredIsTakenOverAndALiveOneIsNot() throws Exception {
        String lockKey = prefix + "/" + S3Store.LOCK;
        s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(lockKey), RequestBody.fromString(
            "pid 999999 (started x), writing backup b0, token t\nexpires " + Instant.now().plusSeconds(60).toEpochMilli()));
        assertThatThrownBy(() -> store.begin("b1")).isInstanceOf(StoreLockedException.class)
            .hasMessageContaining("pid 999999");

        s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(lockKey), RequestBody.fromString(
            "pid 999999 (started x), writing backup b0, token t\nexpires " + Instant.now().minusSeconds(1).toEpochMilli()));
        write(store, "b1", Map.of("data", new byte[] {1}));
        assertThat(store.list()).containsExactly("b1");
    }

    // --- a conditional write applied, its response lost: the SDK's retry then fails the write's own condition ----

    @Test
    void aCommitWhoseResponseWasLostIsConfirmedByReadingItsMarkerBack() throws Exception {
        LostResponses lost = new LostResponses("/" + S3Store.COMPLETE, false, 1);
        byte[] data = randomBytes(3000, 31);
        try (BackupStore flaky = server.store(prefix).interceptor(lost).build()) {
            write(flaky, "b1", Map.of("data", data));
            assertThat(lost.lost.get()).as("responses lost").isEqualTo(1);
            assertThat(flaky.list()).containsExactly("b1");
            assertThat(read(flaky, "b1", "data")).isEqualTo(data);
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aCommitWhoseEveryResponseWasLostIsConfirmedByReadingItsMarkerBack() throws Exception {
        LostResponses lost = new LostResponses("/" + S3Store.COMPLETE, false, Integer.MAX_VALUE);
        byte[] data = randomBytes(3000, 32);
        try (BackupStore flaky = server.store(prefix).interceptor(lost).build()) {
            write(flaky, "b1", Map.of("data", data));
            assertThat(lost.lost.get()).as("responses lost: every attempt's").isEqualTo(3);
            assertThat(read(flaky, "b1", "data")).isEqualTo(data);
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aCommitThatNeverReachedTheServerLeavesItsObjectsToTheNextWriterWhichRemovesThem() throws Exception {
        ExecutionInterceptor neverSent = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                if (context.request() instanceof PutObjectRequest
                    && ((PutObjectRequest) context.request()).key().endsWith("/" + S3Store.COMPLETE)) {
                    throw SdkClientException.create("injected: the connection broke before the commit marker");
                }
            }
        };
        try (BackupStore failing = server.store(prefix).interceptor(neverSent).build()) {
            assertThatThrownBy(() -> write(failing, "b1", Map.of("data", randomBytes(3000, 33))))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("could not commit backup b1")
                .hasMessageContaining("whether its commit marker was written is not known");
            assertThat(failing.list()).isEmpty();
        }
        assertThat(leftovers()).containsExactly(prefix + "/b1/" + S3Store.IN_PROGRESS);
        assertThat(keys()).extracting(S3Object::key).contains(prefix + "/b1/data");

        write(store, "b2", Map.of("data", new byte[] {2}));
        assertThat(store.list()).containsExactly("b2");
        assertThat(keys()).extracting(S3Object::key).noneMatch(key -> key.startsWith(prefix + "/b1/"));
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aCommitMarkerWrittenThoughItCouldNotBeConfirmedIsKeptByTheNextWriter() throws Exception {
        LostResponses lost = new LostResponses("/" + S3Store.COMPLETE, true, Integer.MAX_VALUE);
        byte[] data = randomBytes(3000, 34);
        try (BackupStore flaky = server.store(prefix).interceptor(lost).build()) {
            assertThatThrownBy(() -> write(flaky, "b1", Map.of("data", data)))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("whether its commit marker was written is not known");
        }
        assertThat(store.list()).containsExactly("b1");

        write(store, "b2", Map.of("data", new byte[] {2}));
        assertThat(store.list()).containsExactly("b1", "b2");
        assertThat(read(store, "b1", "data")).isEqualTo(data);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aWriterLockWhoseResponseWasLostIsTakenNotWaitedFor() throws Exception {
        LostResponses lost = new LostResponses("/" + S3Store.LOCK, false, 1);
        // a lock timeout shorter than the lease: waiting for its own lease to expire would fail the backup
        try (BackupStore flaky = server.store(prefix).interceptor(lost).leaseDuration(TEST_LEASE)
            .lockTimeout(Duration.ofSeconds(1)).build()) {
            write(flaky, "b1", Map.of("data", new byte[] {1}));
            assertThat(lost.lost.get()).isEqualTo(1);
            assertThat(flaky.list()).containsExactly("b1");
        }
        assertThat(keys()).extracting(S3Object::key).doesNotContain(prefix + "/" + S3Store.LOCK);
    }

    @Test
    void aLeaseRenewalWhoseResponseWasLostKeepsTheLease() throws Exception {
        LostResponses lost = new LostResponses("/" + S3Store.LOCK, false, 1) {
            @Override
            boolean matches(PutObjectRequest put) {
                return put.ifMatch() != null && super.matches(put);
            }
        };
        try (BackupStore flaky = server.store(prefix).interceptor(lost).leaseDuration(TEST_LEASE).build();
             PendingBackup pending = flaky.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(1);
                // renewals come every third of the lease: wait for the one whose response is lost (and its retry),
                // and the next one, which begins after the first was settled
                long deadline = System.nanoTime() + TEST_LEASE.multipliedBy(4).toNanos();
                while (lost.requests.get() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            assertThat(lost.lost.get()).isEqualTo(1);
            pending.commit();
            assertThat(flaky.list()).containsExactly("b1");
        }
    }

    // --- a multipart upload completed, the completion's response lost: the SDK's retry finds no such upload --------

    @Test
    void aMultipartUploadWhoseCompletionResponseWasLostIsConfirmedByReadingTheObjectBack() throws Exception {
        LostCompletions lost = new LostCompletions(1, false);
        byte[] data = randomBytes(S3Store.MIN_PART_SIZE + 1000, 35);
        try (BackupStore flaky = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).interceptor(lost).build()) {
            write(flaky, "b1", Map.of("data", data));
            assertThat(lost.lost.get()).as("responses lost").isEqualTo(1);
            assertThat(lost.retried.get()).as("retries answered NoSuchUpload").isEqualTo(1);
            assertThat(flaky.list()).containsExactly("b1");
            assertThat(read(flaky, "b1", "data")).isEqualTo(data);
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aMultipartUploadWhoseEveryCompletionResponseWasLostIsConfirmedByReadingTheObjectBack() throws Exception {
        LostCompletions lost = new LostCompletions(Integer.MAX_VALUE, false);
        byte[] data = randomBytes(S3Store.MIN_PART_SIZE + 1000, 36);
        try (BackupStore flaky = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).interceptor(lost).build()) {
            write(flaky, "b1", Map.of("data", data));
            assertThat(lost.lost.get()).as("responses lost: every attempt's").isEqualTo(3);
            assertThat(read(flaky, "b1", "data")).isEqualTo(data);
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aCompletionThatCannotBeReadBackFailsTheBackup() throws Exception {
        LostCompletions lost = new LostCompletions(1, true);
        try (BackupStore flaky = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).interceptor(lost).build()) {
            assertThatThrownBy(() -> write(flaky, "b1", Map.of("data", randomBytes(S3Store.MIN_PART_SIZE + 1, 37))))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("could not upload object data of backup b1");
            assertThat(flaky.list()).isEmpty();
        }
        assertThat(leftovers()).isEmpty();
        assertThat(keys()).extracting(S3Object::key).noneMatch(key -> key.startsWith(prefix + "/b1/"));
    }

    @Test
    void anotherObjectOfTheSameSizeAtTheKeyDoesNotConfirmACompletion() throws Exception {
        int size = S3Store.MIN_PART_SIZE + 10;
        ExecutionInterceptor replacedThenBroken = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                if (context.request() instanceof CompleteMultipartUploadRequest) {
                    String key = ((CompleteMultipartUploadRequest) context.request()).key();
                    s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(key), RequestBody.fromBytes(new byte[size]));
                    throw SdkClientException.create("injected: the connection broke before the completion");
                }
            }
        };
        try (BackupStore failing = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).maxAttempts(1)
            .interceptor(replacedThenBroken).build()) {
            assertThatThrownBy(() -> write(failing, "b1", Map.of("data", randomBytes(size, 38))))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("could not upload object data of backup b1");
            assertThat(failing.list()).isEmpty();
        }
        assertThat(leftovers()).isEmpty();
    }

    /**
     * Turns the responses to multipart completions into 503s after the server applied them (the first {@code limit}
     * of them), as a proxy or a timeout would, and the responses to later attempts into the 404 NoSuchUpload with
     * which S3 answers a retry of a completion it applied (S3Mock 4.11 answers it with 200). With {@code failHeads},
     * the object ({@code data}) cannot be read back either.
     */
    static class LostCompletions implements ExecutionInterceptor {
        static final ExecutionAttribute<Boolean> NO_SUCH_UPLOAD = new ExecutionAttribute<>("drkit.noSuchUpload");
        final int limit;
        final boolean failHeads;
        final AtomicInteger lost = new AtomicInteger();
        final AtomicInteger retried = new AtomicInteger();

        LostCompletions(int limit, boolean failHeads) {
            this.limit = limit;
            this.failHeads = failHeads;
        }

        @Override
        public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
            if (context.request() instanceof CompleteMultipartUploadRequest) {
                if (lost.get() < limit) {
                    lost.incrementAndGet();
                    return context.httpResponse().toBuilder().statusCode(503).build();
                }
                if (lost.get() > 0) {
                    retried.incrementAndGet();
                    attributes.putAttribute(NO_SUCH_UPLOAD, true);
                    return context.httpResponse().toBuilder().statusCode(404).build();
                }
            }
            boolean readBack = failHeads && context.request() instanceof HeadObjectRequest
                && ((HeadObjectRequest) context.request()).key().endsWith("/data");
            return readBack ? context.httpResponse().toBuilder().statusCode(503).build() : context.httpResponse();
        }

        @Override
        public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
                                                               ExecutionAttributes attributes) {
            if (Boolean.TRUE.equals(attributes.getAttribute(NO_SUCH_UPLOAD))) {
                return Optional.of(new ByteArrayInputStream(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    + "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message>"
                    + "</Error>").getBytes(StandardCharsets.UTF_8)));
            }
            return context.responseBody();
        }
    }

    // --- a commit publishes only objects stored whole -----------------------------------------------------------

    @Test
    void anObjectWhoseUploadFailedCannotBeCommitted() throws Exception {
        AtomicInteger parts = new AtomicInteger();
        ExecutionInterceptor failSecondPart = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof UploadPartRequest && parts.incrementAndGet() == 2) {
                    throw SdkClientException.create("injected: the connection broke during part 2");
                }
            }
        };
        try (BackupStore failing = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).interceptor(failSecondPart)
            .build()) {
            try (PendingBackup pending = failing.begin("b1")) {
                OutputStream data = pending.create("data");
                assertThatThrownBy(() -> data.write(randomBytes(11 * 1024 * 1024, 39)))
                    .isInstanceOf(StoreUnavailableException.class);
                try (OutputStream manifest = pending.create("manifest.json")) {
                    manifest.write('{');
                }

                assertThatThrownBy(pending::commit).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Backup b1 cannot be committed: its object data was not stored")
                    .hasCauseInstanceOf(StoreUnavailableException.class);
                assertThat(failing.list()).isEmpty();
            }
            assertThat(failing.list()).isEmpty();
        }
        assertThat(leftovers()).isEmpty();
        assertThat(keys()).extracting(S3Object::key).noneMatch(key -> key.startsWith(prefix + "/b1/"));
    }

    // --- a commit that fails, and so does the cleanup after it ---------------------------------------------------

    @Test
    void aCommitsFailureIsThrownWithTheCleanupsFailureSuppressed() throws Exception {
        ExecutionInterceptor deletesFail = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof DeleteObjectRequest
                    && ((DeleteObjectRequest) context.request()).key().contains("/b1/")) {
                    throw SdkClientException.create("injected: deletes fail");
                }
            }
        };
        try (BackupStore failing = server.store(prefix).interceptor(deletesFail).build();
             PendingBackup pending = failing.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(1);
            }
            // another writer, ignoring the lock, committed a backup with this id meanwhile
            s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b1/" + S3Store.COMPLETE),
                RequestBody.fromString("data 1\n# commit someone-else\n"));

            assertThatThrownBy(pending::commit).isInstanceOf(BackupAlreadyExistsException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                    .isInstanceOf(StoreUnavailableException.class)
                    .extracting(Throwable::getMessage).asString().contains("could not delete"));
        }
    }

    /**
     * Turns the responses to puts of keys ending in {@code suffix} into 503s after the server applied them (the first
     * {@code limit} of them), as a proxy or a timeout would; with {@code failReads}, reads of those keys fail too.
     */
    static class LostResponses implements ExecutionInterceptor {
        final String suffix;
        final boolean failReads;
        final int limit;
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger lost = new AtomicInteger();

        LostResponses(String suffix, boolean failReads, int limit) {
            this.suffix = suffix;
            this.failReads = failReads;
            this.limit = limit;
        }

        boolean matches(PutObjectRequest put) {
            return put.key().endsWith(suffix);
        }

        @Override
        public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
            boolean put = context.request() instanceof PutObjectRequest && matches((PutObjectRequest) context.request());
            if (put) {
                requests.incrementAndGet();
            }
            boolean read = failReads && context.request() instanceof GetObjectRequest
                && ((GetObjectRequest) context.request()).key().endsWith(suffix);
            if (put && lost.get() < limit) {
                lost.incrementAndGet();
                return context.httpResponse().toBuilder().statusCode(503).build();
            }
            return read ? context.httpResponse().toBuilder().statusCode(503).build() : context.httpResponse();
        }
    }

    @Test
    void parsesStoreUrisAndRejectsBadOnes() {
        assertThat(S3Store.builder(URI.create("s3://my-bucket/a/b/")).endpointOverride(server.endpoint)
            .region("us-east-1").build().location()).isEqualTo("s3://my-bucket/a/b");
        assertThat(S3Store.builder(URI.create("s3://my-bucket")).region("us-east-1").build().location())
            .isEqualTo("s3://my-bucket");
        assertThatThrownBy(() -> S3Store.builder(URI.create("s3://AKIA:secret@bucket/p")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("secret@")
            .hasMessageContaining("user information");
        assertThatThrownBy(() -> S3Store.builder(URI.create("s3://Not_A_Bucket/p")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not_A_Bucket");
        assertThatThrownBy(() -> S3Store.builder(URI.create("s3://AKIA:hunter2@Not_A_Bucket/p")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("hunter2")
            .hasMessageContaining("user information");
        assertThatThrownBy(() -> S3Store.builder(URI.create("s3:///null/p")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must name a bucket");
        assertThatThrownBy(() -> S3Store.builder(URI.create("file:///tmp/x")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("s3://bucket/prefix");
        assertThatThrownBy(() -> S3Store.builder("B", "p")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("bucket");
        assertThatThrownBy(() -> S3Store.builder("bucket", "a//b")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("prefix");
        assertThatThrownBy(() -> S3Store.builder("bucket", "p").partSize(1024))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("partSize must be between 5242880 and 536870912, but was 1024");
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }
}
