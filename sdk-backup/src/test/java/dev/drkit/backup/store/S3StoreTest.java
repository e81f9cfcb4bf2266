package dev.drkit.backup.store;

import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
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
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
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

    /** A connection that breaks before each commit marker's PUT is sent: the commit's outcome is unknown. */
    private static ExecutionInterceptor commitMarkerNeverSent() {
        return new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                if (context.request() instanceof PutObjectRequest
                    && ((PutObjectRequest) context.request()).key().endsWith("/" + S3Store.COMPLETE)) {
                    throw SdkClientException.create("injected: the connection broke before the commit marker");
                }
            }
        };
    }

    @Test
    void aCommitThatNeverReachedTheServerLeavesItsObjectsToTheNextWriterWhichRemovesThem() throws Exception {
        ExecutionInterceptor neverSent = commitMarkerNeverSent();
        try (BackupStore failing = server.store(prefix).leaseDuration(TEST_LEASE).interceptor(neverSent).build()) {
            assertThatThrownBy(() -> write(failing, "b1", Map.of("data", randomBytes(3000, 33))))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("could not commit backup b1")
                .hasMessageContaining("whether its commit marker was written is not known");
            assertThat(failing.list()).isEmpty();
        }
        assertThat(leftovers()).containsExactly(prefix + "/b1/" + S3Store.IN_PROGRESS);
        assertThat(keys()).extracting(S3Object::key).contains(prefix + "/b1/data");

        // the lock was left to expire, not released: the next writer waits for it
        try (BackupStore next = openStore(TEST_LEASE.multipliedBy(4))) {
            write(next, "b2", Map.of("data", new byte[] {2}));
            assertThat(next.list()).containsExactly("b2");
        }
        // what stays of b1 is the tombstone that fences it against its own commit marker landing late
        assertThat(keys()).extracting(S3Object::key).filteredOn(key -> key.startsWith(prefix + "/b1/"))
            .containsExactly(prefix + "/b1/" + S3Store.COMPLETE);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aCommitWhoseOutcomeIsUnknownLeavesTheLockToExpireRatherThanReleasingIt() throws Exception {
        ExecutionInterceptor neverSent = commitMarkerNeverSent();
        try (BackupStore failing = server.store(prefix).leaseDuration(TEST_LEASE).interceptor(neverSent).build()) {
            assertThatThrownBy(() -> write(failing, "b1", Map.of("data", new byte[] {1})))
                .isInstanceOf(StoreUnavailableException.class);
        }
        assertThat(keys()).extracting(S3Object::key).contains(prefix + "/" + S3Store.LOCK);
        assertThatThrownBy(() -> store.begin("b2")).isInstanceOf(StoreLockedException.class);
    }

    /**
     * A 409 ConditionalRequestConflict on the commit marker's put: another conditional write of the key is in
     * flight, perhaps this writer's own first attempt whose response was lost. That is an unknown outcome, not
     * "another backup exists": the objects stay for the next writer, which fences the id before removing them, so
     * the marker landing late cannot publish a backup without its objects.
     */
    @Test
    void aConflictOnTheCommitMarkerIsAnUnknownOutcomeAndALateMarkerCannotPublishAnEmptyBackup() throws Exception {
        AtomicInteger conflicts = new AtomicInteger();
        ExecutionInterceptor conflict = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof PutObjectRequest
                    && ((PutObjectRequest) context.request()).key().endsWith("/" + S3Store.COMPLETE)) {
                    conflicts.incrementAndGet();
                    throw conflict409();
                }
            }
        };
        try (BackupStore failing = server.store(prefix).leaseDuration(TEST_LEASE).interceptor(conflict).build()) {
            assertThatThrownBy(() -> write(failing, "b1", Map.of("data", new byte[] {1, 2, 3})))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("whether its commit marker was written is not known");
        }
        assertThat(conflicts.get()).as("tried again after a conflict").isGreaterThan(1);
        assertThat(keys()).extracting(S3Object::key).contains(prefix + "/b1/data");

        try (BackupStore next = openStore(TEST_LEASE.multipliedBy(4))) {
            write(next, "b2", Map.of("data", new byte[] {2}));
        }
        // the first attempt, in flight all along, lands now: its condition fails against the tombstone
        assertThatThrownBy(() -> s3.putObject(r -> r.bucket(S3TestServer.BUCKET)
                .key(prefix + "/b1/" + S3Store.COMPLETE).ifNoneMatch("*"),
            RequestBody.fromString("data 3\n# commit first-attempt\n")))
            .isInstanceOf(S3Exception.class).extracting(e -> ((S3Exception) e).statusCode()).isEqualTo(412);
        assertThat(store.list()).containsExactly("b2");
        assertThatThrownBy(() -> store.objects("b1")).isInstanceOf(NoSuchBackupException.class);
        assertThatThrownBy(() -> store.delete("b1")).isInstanceOf(NoSuchBackupException.class);
    }

    @Test
    void aCommitMarkerThatLandedBeforeTheCleanUpIsKeptAndAFencedIdCanBeWrittenAgain() throws Exception {
        // b1: given up with an unknown outcome, its marker landed meanwhile; b3: given up, fenced and removed
        for (String id : List.of("b1", "b3")) {
            s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/" + id + "/data"),
                RequestBody.fromBytes(new byte[] {1}));
            s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/" + id + "/" + S3Store.IN_PROGRESS),
                RequestBody.fromString("pid 1"));
        }
        s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b1/" + S3Store.COMPLETE),
            RequestBody.fromString("data 1\n# commit late\n"));

        write(store, "b2", Map.of("data", new byte[] {2}));
        assertThat(store.list()).containsExactly("b1", "b2");
        assertThat(read(store, "b1", "data")).containsExactly(1);
        assertThat(keys()).extracting(S3Object::key).filteredOn(key -> key.startsWith(prefix + "/b3/"))
            .containsExactly(prefix + "/b3/" + S3Store.COMPLETE);

        write(store, "b3", Map.of("data", new byte[] {3, 3}));
        assertThat(store.list()).containsExactly("b1", "b2", "b3");
        assertThat(read(store, "b3", "data")).containsExactly(3, 3);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aConflictOnALeaseRenewalIsNoLostLease() throws Exception {
        AtomicInteger conflicts = new AtomicInteger();
        ExecutionInterceptor conflictOnce = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof PutObjectRequest && ((PutObjectRequest) context.request()).ifMatch() != null
                    && ((PutObjectRequest) context.request()).key().endsWith("/" + S3Store.LOCK)
                    && conflicts.getAndIncrement() == 0) {
                    throw conflict409();
                }
            }
        };
        try (BackupStore flaky = server.store(prefix).interceptor(conflictOnce).leaseDuration(TEST_LEASE).build();
             PendingBackup pending = flaky.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(1);
                long deadline = System.nanoTime() + TEST_LEASE.multipliedBy(2).toNanos();
                while (conflicts.get() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            assertThat(conflicts.get()).isGreaterThanOrEqualTo(2);
            pending.commit();
            assertThat(flaky.list()).containsExactly("b1");
        }
    }

    static S3Exception conflict409() {
        return (S3Exception) S3Exception.builder().statusCode(409).awsErrorDetails(AwsErrorDetails.builder()
            .errorCode("ConditionalRequestConflict").build()).message("injected 409").build();
    }

    @Test
    void aCommitMarkerWrittenThoughItCouldNotBeConfirmedIsKeptByTheNextWriter() throws Exception {
        LostResponses lost = new LostResponses("/" + S3Store.COMPLETE, true, Integer.MAX_VALUE);
        byte[] data = randomBytes(3000, 34);
        try (BackupStore flaky = server.store(prefix).leaseDuration(TEST_LEASE).interceptor(lost).build()) {
            assertThatThrownBy(() -> write(flaky, "b1", Map.of("data", data)))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("whether its commit marker was written is not known");
        }
        assertThat(store.list()).containsExactly("b1");

        try (BackupStore next = openStore(TEST_LEASE.multipliedBy(4))) {
            write(next, "b2", Map.of("data", new byte[] {2}));
        }
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

    // --- a writer that gave up deletes nothing that may be another writer's ----------------------------------------

    @Test
    void aCommitFindingAnotherBackupWithItsIdDeletesNothingOfIt() throws Exception {
        try (PendingBackup pending = store.begin("b1")) {
            try (OutputStream out = pending.create("data")) {
                out.write(1);
            }
            // another writer, ignoring the lock, committed a backup with this id and these keys meanwhile
            s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b1/data"),
                RequestBody.fromBytes(new byte[] {7, 7}));
            s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b1/" + S3Store.COMPLETE),
                RequestBody.fromString("data 2\n# commit someone-else\n"));

            assertThatThrownBy(pending::commit).isInstanceOf(BackupAlreadyExistsException.class);
        }
        assertThat(store.list()).containsExactly("b1");
        assertThat(read(store, "b1", "data")).containsExactly(7, 7);
    }

    @Test
    void aWriterWhoseLeaseWasTakenOverDeletesNothingOfTheNewHolders() throws Exception {
        ExecutionInterceptor noRenewal = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof PutObjectRequest && ((PutObjectRequest) context.request()).ifMatch() != null
                    && ((PutObjectRequest) context.request()).key().endsWith("/" + S3Store.LOCK)) {
                    throw SdkClientException.create("injected: renewals cannot reach the server");
                }
            }
        };
        // another endpoint, so that the two stores are two writers, not two threads of one
        URI other = URI.create(server.endpoint.toString().replace("127.0.0.1", "localhost"));
        try (BackupStore a = server.store(prefix).leaseDuration(TEST_LEASE).interceptor(noRenewal).build();
             BackupStore b = server.store(prefix).endpointOverride(other).leaseDuration(Duration.ofSeconds(10))
                 .lockTimeout(Duration.ofSeconds(20)).build()) {
            PendingBackup first = a.begin("b1");
            try (OutputStream out = first.create("data")) {
                out.write(1);
            }
            PendingBackup second = b.begin("b1");   // waits for a's lease to expire, then takes it over
            try (OutputStream out = second.create("data")) {
                out.write(new byte[] {2, 2});
            }
            assertThatThrownBy(first::commit).isInstanceOf(StoreLockedException.class);
            first.close();
            second.commit();
            assertThat(b.list()).containsExactly("b1");
            assertThat(read(b, "b1", "data")).containsExactly(2, 2);
        }
    }

    @Test
    void anUploadWhoseAbortFailedIsAbortedByTheNextWriter() throws Exception {
        AtomicInteger parts = new AtomicInteger();
        AtomicInteger aborts = new AtomicInteger();
        ExecutionInterceptor flaky = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof UploadPartRequest && parts.incrementAndGet() == 2) {
                    throw SdkClientException.create("injected: the connection broke during part 2");
                }
                if (context.request() instanceof AbortMultipartUploadRequest && aborts.incrementAndGet() == 1) {
                    throw SdkClientException.create("injected: the abort failed");
                }
            }
        };
        try (BackupStore failing = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).interceptor(flaky).build();
             PendingBackup pending = failing.begin("b1")) {
            OutputStream out = pending.create("data");
            assertThatThrownBy(() -> out.write(randomBytes(11 * 1024 * 1024, 40)))
                .isInstanceOf(StoreUnavailableException.class);
        }
        assertThat(leftovers()).containsExactly("upload of " + prefix + "/b1/data");

        write(store, "b2", Map.of("data", new byte[] {2}));
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aLeftoverThatCannotBeRemovedDoesNotStopTheNextWriter() throws Exception {
        s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b0/data"), RequestBody.fromBytes(new byte[1]));
        s3.putObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b0/" + S3Store.IN_PROGRESS),
            RequestBody.fromString("pid 1"));
        ExecutionInterceptor denied = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof DeleteObjectRequest
                    && ((DeleteObjectRequest) context.request()).key().contains("/b0/")) {
                    throw S3Exception.builder().statusCode(403).awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode("AccessDenied").build()).message("injected 403").build();
                }
            }
        };
        try (BackupStore restricted = server.store(prefix).interceptor(denied).build()) {
            write(restricted, "b1", Map.of("data", new byte[] {1}));
            write(restricted, "b2", Map.of("data", new byte[] {2}));
            assertThat(restricted.list()).containsExactly("b1", "b2");
        }
        assertThat(leftovers()).containsExactly(prefix + "/b0/" + S3Store.IN_PROGRESS);
        // once deletes are allowed again, the next writer finishes the job
        write(store, "b3", Map.of("data", new byte[] {3}));
        assertThat(leftovers()).isEmpty();
        assertThat(store.list()).containsExactly("b1", "b2", "b3");
    }

    @Test
    void aBeginAfterTheFirstLooksForLeftoversUnderItsOwnIdOnly() throws Exception {
        List<String> listed = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutionInterceptor lists = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof ListObjectsV2Request) {
                    listed.add(((ListObjectsV2Request) context.request()).prefix());
                }
                if (context.request() instanceof ListMultipartUploadsRequest) {
                    listed.add(((ListMultipartUploadsRequest) context.request()).prefix());
                }
            }
        };
        try (BackupStore counted = server.store(prefix).interceptor(lists).build()) {
            write(counted, "b1", Map.of("data", new byte[] {1}));
            assertThat(listed).as("the first begin sweeps the store").contains(prefix + "/");
            listed.clear();
            write(counted, "b2", Map.of("data", new byte[] {2}));
            assertThat(listed).isNotEmpty().allMatch(p -> p.equals(prefix + "/b2/"));
            assertThat(counted.list()).containsExactly("b1", "b2");
        }
    }

    // --- part numbers: 1 to 10,000 -------------------------------------------------------------------------------

    @Test
    void thePartSizeGrowsAsAnUploadGoes() throws Exception {
        // parts of 5, 10 and 20 MiB: doubled after every part here, after every 1,000 parts by default
        int size = 35 * 1024 * 1024;
        byte[] big = randomBytes(size, 41);
        try (BackupStore growing = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).partLimits(1, 3).build()) {
            write(growing, "b1", Map.of("data", big));
            assertThat(read(growing, "b1", "data")).isEqualTo(big);
        }
        String etag = s3.headObject(r -> r.bucket(S3TestServer.BUCKET).key(prefix + "/b1/data")).eTag();
        assertThat(etag).as("a multipart ETag ends with the number of parts").endsWith("-3\"");
    }

    @Test
    void anObjectNeedingMorePartsThanS3AllowsFailsBeforeUploadingMore() throws Exception {
        AtomicInteger parts = new AtomicInteger();
        ExecutionInterceptor count = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof UploadPartRequest) {
                    parts.incrementAndGet();
                }
            }
        };
        try (BackupStore limited = server.store(prefix).partSize(S3Store.MIN_PART_SIZE).partLimits(1000, 2)
            .interceptor(count).build();
             PendingBackup pending = limited.begin("b1")) {
            OutputStream out = pending.create("data");
            byte[] part = new byte[S3Store.MIN_PART_SIZE];
            out.write(part);
            out.write(part);
            assertThatThrownBy(() -> {
                out.write(part);
                out.close();
            }).isInstanceOf(IOException.class)
                .hasMessageContaining("object data of backup b1 is too large: S3 allows at most 2 parts per object");
            assertThat(parts.get()).isEqualTo(2);
        }
        assertThat(leftovers()).isEmpty();
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
