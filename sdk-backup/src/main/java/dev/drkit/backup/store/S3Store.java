package dev.drkit.backup.store;

import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Text;
import dev.drkit.core.secret.Secret;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A {@link BackupStore} in an S3 bucket (or an S3-compatible server): {@code s3://bucket/prefix}, with the objects
 * of a backup under {@code prefix/<backupId>/<object>}.
 *
 * <p><b>Visible only when complete.</b> {@link #begin} first writes {@code prefix/<backupId>/.in-progress}, which
 * marks the backup as drkit's and unfinished; objects are uploaded (multipart above the part size, streaming with
 * one part buffer per open object, aborted on failure); {@link PendingBackup#commit()} then writes the commit
 * marker {@code prefix/<backupId>/.complete} last (with {@code If-None-Match: *}), holding the names and sizes of
 * the objects, and removes {@code .in-progress}. {@link #list()} shows only ids with a commit marker. {@link #delete}
 * writes {@code .in-progress} again, removes the commit marker (the backup disappears at that moment), then the
 * objects, then {@code .in-progress}. Whatever an interrupted writer left carries an {@code .in-progress} marker or
 * is an unfinished multipart upload under {@code prefix/<id>/<name>}; a later writer removes it under the lock, at
 * best effort (what cannot be removed is logged at WARN and left for the writer after). A store looks for leftovers
 * in the whole prefix on its first {@link #begin} and then at most every 10 minutes; its other begins look only
 * under their own id, so a begin costs a few requests however many backups the store keeps. For an id that also has a
 * commit marker only the marker goes; otherwise the id is first <em>fenced</em> with a tombstone commit marker
 * ({@value #TOMBSTONE}, written with {@code If-None-Match: *}), so that a commit marker still in flight cannot
 * land beside deleted objects. A tombstone is no backup: {@link #list()}, {@link #objects} and {@link #delete} treat
 * the id as absent, and a later backup with that id replaces the tombstone ({@code If-Match} on its ETag). Keys that
 * are not drkit's are ignored and never deleted.
 *
 * <p><b>Lost responses.</b> The SDK retries a request that timed out or got a 5xx; if the first attempt was applied,
 * a conditional write's retry then fails its own condition. So a failed condition (and a commit marker's put that
 * failed) is read back, and the writer's own text found there (each carries a random token) counts as success. A
 * commit whose outcome cannot be read back keeps its {@code .in-progress} marker and its objects, and leaves the
 * writer lock to expire instead of deleting it, so that the next writer starts only after the marker's put had time
 * to land; that writer keeps the backup if its commit marker landed after all, and fences and removes it otherwise.
 * A 409 (ConditionalRequestConflict: another conditional write of the key in flight, perhaps the writer's own
 * first attempt) is such an unknown outcome too, never "another backup exists": the put is read back and tried again
 * with a growing pause, and an unsettled conflict fails the commit as above (or, for a lease renewal, is retried at
 * the next renewal). A writer that gave up (its lease lost or expired, or another backup with its id committed)
 * deletes none of the keys, which may be another writer's by now, only aborting its own multipart upload by its id. Likewise the retry of a
 * multipart upload's completion that was applied finds no such upload (404): the object is then read back (HEAD)
 * and counts as uploaded if it has the size written and carries the random token set as user metadata
 * ({@code x-amz-meta-drkit-upload-token}) when that upload was created; otherwise its upload fails as before. A
 * backup with an object whose upload failed cannot be committed.
 *
 * <p><b>Writer lock.</b> {@code prefix/.lock} is a lease: created with {@code If-None-Match: *} (S3 conditional
 * writes), renewed by its holder every third of the lease duration with {@code If-Match} on its ETag, and deleted
 * on release. A writer finding a lease whose expiry has passed takes it over with {@code If-Match}, so two writers
 * can never both win it. Unlike the filesystem store's OS lock, a lease outlives a writer killed with
 * {@code kill -9} until it expires: other writers wait up to {@link Builder#leaseDuration(Duration)}. Expiry times
 * are compared on each writer's own clock, so clocks must agree to well within the lease duration. A writer that
 * could not renew its lease in time fails its commit rather than risk overlapping another writer. Exclusion
 * between processes is as strong as the server's conditional writes: AWS S3 makes them atomic; some
 * S3-compatible servers do not (S3Mock 4.11 lets several concurrent {@code If-None-Match: *} writes of one key
 * succeed), and there two processes starting at the same moment may rarely both proceed; the lock is read back
 * after each win to narrow that window. Writers in one JVM always exclude each other.
 *
 * <p><b>Large objects.</b> S3 allows 10,000 parts per upload, so the part size doubles after every 1,000 parts, up
 * to 128 MiB (or the configured part size, if larger): with the default part size an object may reach about
 * 850 GiB, and the part buffer grows only for objects above about 8 GB. An object that would need part 10,001
 * fails with a message saying so before it is uploaded.
 *
 * <p>Credentials come from the SDK's default provider chain (environment, profile, instance role) unless given
 * with {@link Builder#credentials(String, Secret)}; they never appear in {@link #location()}, messages or logs.
 * Failures to reach or use the store are {@link StoreUnavailableException}s (ENVIRONMENT). Requires the optional
 * dependencies {@code software.amazon.awssdk:s3} and {@code software.amazon.awssdk:url-connection-client}.
 * Instances are thread-safe.
 *
 * <pre>{@code
 * try (BackupStore store = S3Store.builder(URI.create("s3://backups/vault"))
 *         .region("eu-central-1")
 *         .build()) {
 *     List<String> ids = store.list();
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class S3Store implements BackupStore {

    /** The smallest part S3 accepts in a multipart upload (but the last): 5 MiB. */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    /** The default for {@link Builder#partSize(int)}: 8 MiB. */
    public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;
    /** The default for {@link Builder#lockTimeout(Duration)}: 90 seconds, longer than the default lease. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(90);
    /** The default for {@link Builder#leaseDuration(Duration)}: 60 seconds. */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(60);
    /** The region used when none is given: {@value}. */
    public static final String DEFAULT_REGION = "us-east-1";

    /** S3's limit on the parts of one multipart upload. */
    static final int MAX_PARTS = 10_000;
    /** The part size of an upload doubles after every this many parts, up to {@link #MAX_GROWN_PART_SIZE}. */
    static final int PARTS_PER_SIZE = 1_000;
    /** The largest part a growing upload uses (unless the configured part size is larger): 128 MiB. */
    static final int MAX_GROWN_PART_SIZE = 128 * 1024 * 1024;

    static final String COMPLETE = ".complete";
    /**
     * What the commit marker of a fenced id holds: no object, so no backup. Shorter than any real commit marker
     * (at least one object line and a 26-byte token line), so a listing can tell it by its size.
     */
    static final String TOMBSTONE = "# discarded\n";
    static final String IN_PROGRESS = ".in-progress";
    static final String LOCK = ".lock";
    /** User metadata set on each multipart upload: a random token, to recognise the object it completes. */
    static final String UPLOAD_TOKEN = "drkit-upload-token";

    private static final Logger log = LoggerFactory.getLogger(S3Store.class);
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration POLL = Duration.ofMillis(200);
    /** How often {@link #begin} looks for leftovers in the whole store, rather than under its own id only. */
    static final Duration SWEEP_INTERVAL = Duration.ofMinutes(10);
    /** Attempts of a conditional write answered 409 (a concurrent conditional write of the key in flight). */
    private static final int CONFLICT_ATTEMPTS = 4;
    private static final long CONFLICT_BACKOFF_MILLIS = 100;

    /** One writer at a time within this JVM per store, before the lease decides between processes. */
    private static final Map<String, JvmSlot> SLOTS = new ConcurrentHashMap<>();

    private static final class JvmSlot {
        final Semaphore permit = new Semaphore(1);
        volatile @Nullable String holder;
    }

    private final S3Client client;
    private final String bucket;
    private final JvmSlot slot;
    private final String keyPrefix;
    private final String location;
    private final int partSize;
    private final int partsPerSize;
    private final int maxParts;
    private final Duration lockTimeout;
    private final Duration leaseDuration;
    private final ScheduledExecutorService renewer;
    private final Set<String> reportedForeign = ConcurrentHashMap.newKeySet();
    /** When this store last looked for leftovers in the whole store ({@link System#nanoTime()}); null: never. */
    private volatile @Nullable Long lastSweep;
    private volatile boolean closed;

    private S3Store(Builder b, S3Client client) {
        this.client = client;
        this.bucket = b.bucket;
        this.keyPrefix = b.prefix.isEmpty() ? "" : b.prefix + "/";
        this.location = "s3://" + b.bucket + (b.prefix.isEmpty() ? "" : "/" + b.prefix);
        this.partSize = b.partSize;
        this.partsPerSize = b.partsPerSize;
        this.maxParts = b.maxParts;
        this.lockTimeout = b.lockTimeout;
        this.leaseDuration = b.leaseDuration;
        this.slot = SLOTS.computeIfAbsent((b.endpoint == null ? "aws" : b.endpoint.toString()) + " " + location,
            k -> new JvmSlot());
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "drkit-s3-lease " + location);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A builder for the store at {@code s3://bucket/prefix}; the prefix may be empty.
     *
     * @throws IllegalArgumentException if the URI is not {@code s3://bucket[/prefix]}, holds user information, or
     *                                  the bucket or prefix is not valid
     */
    public static Builder builder(URI uri) {
        Objects.requireNonNull(uri, "uri");
        Checks.argument("s3".equals(uri.getScheme()), "uri must be s3://bucket/prefix, but was %s",
            uri.getScheme() == null ? "a URI without scheme" : "a " + uri.getScheme() + " URI");
        Checks.argument(uri.getRawUserInfo() == null
                && (uri.getRawAuthority() == null || !uri.getRawAuthority().contains("@")),
            "uri must not hold user information (credentials); "
            + "give them with credentials(...) or through the SDK's default provider chain");
        // s3:///prefix has no authority: without this check the bucket would be the string "null"
        Checks.argument(uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty(),
            "uri must name a bucket, as s3://bucket/prefix, but was %s", uri);
        // a bucket that is no valid host name (Not_A_Bucket) leaves the host null: take it from the authority
        String bucket = uri.getHost() != null ? uri.getHost() : uri.getRawAuthority();
        String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
        return new Builder(bucket, path);
    }

    /**
     * A builder for the store in {@code bucket} under {@code prefix} (may be empty).
     *
     * @throws IllegalArgumentException if the bucket or prefix is not valid
     */
    public static Builder builder(String bucket, String prefix) {
        return new Builder(bucket, prefix);
    }

    @Override
    public String location() {
        return location;
    }

    /** The part size of multipart uploads, in bytes. */
    public int partSize() {
        return partSize;
    }

    @Override
    public List<String> list() {
        ensureOpen();
        Map<String, Map<String, S3Object>> byId = keysById("list backups", keyPrefix);
        List<String> ids = new ArrayList<>();
        for (Map.Entry<String, Map<String, S3Object>> entry : byId.entrySet()) {
            S3Object marker = entry.getValue().get(COMPLETE);
            if (marker != null && !isTombstone(entry.getKey(), marker)) {
                ids.add(entry.getKey());
            }
        }
        return List.copyOf(ids);
    }

    @Override
    public List<String> objects(String backupId) {
        return List.copyOf(manifest(backupId).keySet());
    }

    @Override
    public long size(String backupId, String objectName) {
        StoreNames.check(objectName, "object name");
        Long size = manifest(backupId).get(objectName);
        if (size == null) {
            throw noSuchObject(backupId, objectName);
        }
        return size;
    }

    @Override
    public InputStream open(String backupId, String objectName) {
        size(backupId, objectName);
        try {
            return client.getObject(r -> r.bucket(bucket).key(key(backupId, objectName)));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw noSuchObject(backupId, objectName);
            }
            throw unavailable("read object " + objectName + " of backup " + backupId, backupId, e);
        } catch (SdkException e) {
            throw unavailable("read object " + objectName + " of backup " + backupId, backupId, e);
        }
    }

    @Override
    public PendingBackup begin(String backupId) {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        Lease lease = Lease.acquire(this, backupId, "writing backup " + backupId);
        try {
            removeLeftovers(backupId);
            String fence = fenceOf(backupId);
            putText(key(backupId, IN_PROGRESS), lease.record, backupId, null);
            return new Pending(backupId, lease, fence);
        } catch (RuntimeException e) {
            lease.release();
            throw e;
        }
    }

    @Override
    public long delete(String backupId) {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        Lease lease = Lease.acquire(this, backupId, "deleting backup " + backupId);
        try {
            Map<String, Long> objects = manifest(backupId);
            // the .in-progress marker first: a crash in what follows leaves something the next writer removes
            putText(key(backupId, IN_PROGRESS), lease.record, backupId, null);
            deleteKey(key(backupId, COMPLETE), backupId);
            long freed = 0;
            for (Map.Entry<String, Long> object : objects.entrySet()) {
                deleteKey(key(backupId, object.getKey()), backupId);
                freed += object.getValue();
            }
            deleteKey(key(backupId, IN_PROGRESS), backupId);
            log.info("S3 store {}: deleted backup {}, {} bytes freed", location, backupId, freed);
            return freed;
        } finally {
            lease.release();
        }
    }

    /** Closes the S3 client and stops renewing leases; pending backups can no longer commit. */
    @Override
    public void close() {
        closed = true;
        renewer.shutdownNow();
        client.close();
    }

    @Override
    public String toString() {
        return "S3Store[" + location + "]";
    }

    // --- reading -------------------------------------------------------------------------------------------------

    /** The objects and sizes recorded in a backup's commit marker, sorted by name. */
    private Map<String, Long> manifest(String backupId) {
        ensureOpen();
        StoreNames.check(backupId, "backup id");
        String text;
        try {
            ResponseBytes<GetObjectResponse> bytes = client.getObjectAsBytes(r -> r.bucket(bucket)
                .key(key(backupId, COMPLETE)));
            text = bytes.asUtf8String();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw noSuchBackup(backupId);
            }
            throw unavailable("read backup " + backupId, backupId, e);
        } catch (SdkException e) {
            throw unavailable("read backup " + backupId, backupId, e);
        }
        if (text.equals(TOMBSTONE)) {
            throw noSuchBackup(backupId);
        }
        Map<String, Long> objects = new TreeMap<>();
        for (String line : text.split("\n")) {
            int space = line.lastIndexOf(' ');
            if (space > 0 && StoreNames.isValid(line.substring(0, space))) {
                try {
                    objects.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
                } catch (NumberFormatException ignored) {
                    // not a line of ours
                }
            }
        }
        if (objects.isEmpty()) {
            throw noSuchBackup(backupId);
        }
        return objects;
    }

    /**
     * Every drkit-shaped key under {@code listPrefix} (the store's prefix, or one id's), grouped by id:
     * {@code id -> name (object or marker) -> object}.
     */
    private Map<String, Map<String, S3Object>> keysById(String what, String listPrefix) {
        Map<String, Map<String, S3Object>> byId = new TreeMap<>();
        try {
            for (S3Object object : client.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(listPrefix))
                .contents()) {
                String rest = object.key().substring(keyPrefix.length());
                int slash = rest.indexOf('/');
                if (slash > 0 && slash == rest.lastIndexOf('/')) {
                    String id = rest.substring(0, slash);
                    String name = rest.substring(slash + 1);
                    if (StoreNames.isValid(id) && (StoreNames.isValid(name) || name.equals(COMPLETE)
                        || name.equals(IN_PROGRESS))) {
                        byId.computeIfAbsent(id, k -> new TreeMap<>()).put(name, object);
                        continue;
                    }
                }
                if (!rest.equals(LOCK)) {
                    reportForeign(rest);
                }
            }
        } catch (S3Exception e) {
            throw unavailable(what, null, e);
        } catch (SdkException e) {
            throw unavailable(what, null, e);
        }
        return byId;
    }

    // --- writing -------------------------------------------------------------------------------------------------

    /**
     * Removes what interrupted writers left, at best effort: a leftover that cannot be removed (a denied delete) is
     * logged at WARN and left for the next writer, never a reason to refuse this one. Called under the lock.
     *
     * <ul>
     * <li>Every unfinished multipart upload under {@code prefix/<id>/<name>} with a valid id and object name: under
     * the lock no live writer owns one, since this writer has created none yet and any other has lost its lease.
     * Uploads under other keys may be another program's (an {@code aws s3 cp} into the same prefix) and are left
     * alone.</li>
     * <li>Ids with an {@code .in-progress} marker. One with a real commit marker is a backup whose writer could not
     * remove that marker: only the marker goes. Otherwise its objects go, but first the id is <em>fenced</em>: a
     * {@linkplain #TOMBSTONE tombstone} commit marker is written with {@code If-None-Match: *}, so that a commit
     * marker whose put is still in flight (a writer that could not learn its commit's outcome) fails its condition
     * instead of publishing a backup whose objects were deleted. If the tombstone's put fails its condition, the
     * real marker landed after all, and the backup is kept.</li>
     * </ul>
     */
    private void removeLeftovers(String backupId) {
        // The whole store is listed on this store's first begin and then at most every SWEEP_INTERVAL: a begin
        // otherwise costs requests in proportion to the backups kept. In between, only this id's leftovers are
        // looked for (they would be in this backup's way); others wait for the next sweep, and are never listed.
        long now = System.nanoTime();
        boolean sweep = lastSweep == null || now - lastSweep >= SWEEP_INTERVAL.toNanos();
        String listPrefix = sweep ? keyPrefix : keyPrefix + backupId + "/";
        Map<String, Map<String, S3Object>> byId = keysById("look for leftovers", listPrefix);
        abortStrayUploads(listPrefix);
        if (sweep) {
            lastSweep = now;
        }
        for (Map.Entry<String, Map<String, S3Object>> entry : byId.entrySet()) {
            if (entry.getValue().containsKey(IN_PROGRESS)) {
                String id = entry.getKey();
                try {
                    removeAbandoned(id, entry.getValue());
                } catch (StoreUnavailableException e) {
                    log.warn("S3 store {}: could not remove backup {} left by an interrupted writer ({}); the next"
                        + " writer tries again", location, id, e.getMessage());
                }
            }
        }
    }

    private void abortStrayUploads(String listPrefix) {
        List<MultipartUpload> uploads = new ArrayList<>();
        try {
            for (MultipartUpload upload : client.listMultipartUploadsPaginator(r -> r.bucket(bucket)
                .prefix(listPrefix)).uploads()) {
                uploads.add(upload);
            }
        } catch (SdkException e) {
            log.warn("S3 store {}: could not list unfinished uploads ({}); the next writer tries again", location,
                describe(e));
            return;
        }
        for (MultipartUpload upload : uploads) {
            String rest = upload.key().substring(keyPrefix.length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || slash != rest.lastIndexOf('/') || !StoreNames.isValid(rest.substring(0, slash))
                || !StoreNames.isValid(rest.substring(slash + 1))) {
                continue;
            }
            try {
                client.abortMultipartUpload(r -> r.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
                log.info("S3 store {}: aborted an upload of {} left by an interrupted writer", location, rest);
            } catch (SdkException e) {
                log.warn("S3 store {}: could not abort an upload of {} left by an interrupted writer ({}); the next"
                    + " writer tries again", location, rest, describe(e));
            }
        }
    }

    /** Removes one id marked {@code .in-progress}: see {@link #removeLeftovers(String)}. */
    private void removeAbandoned(String id, Map<String, S3Object> names) {
        S3Object marker = names.get(COMPLETE);
        boolean fenced;
        if (marker == null) {
            PutObjectResponse tombstone;
            try {
                tombstone = putConditional(key(id, COMPLETE), TOMBSTONE, "*", null);
            } catch (SdkException e) {
                throw unavailable("fence backup " + id + " before removing it", id, e);
            }
            fenced = tombstone != null;
            if (!fenced) {
                log.info("S3 store {}: the commit marker of backup {} landed after its writer gave up; the backup is"
                    + " kept", location, id);
            }
        } else {
            fenced = isTombstone(id, marker);
        }
        if (fenced) {
            for (String name : names.keySet()) {
                if (!name.equals(COMPLETE) && !name.equals(IN_PROGRESS)) {
                    deleteKey(key(id, name), id);
                }
            }
        }
        deleteKey(key(id, IN_PROGRESS), id);
        log.info("S3 store {}: removed {} backup {} left by an interrupted writer", location,
            fenced ? "the unfinished" : "the marker of", id);
    }

    /**
     * Whether a listed commit marker is a {@linkplain #TOMBSTONE tombstone}: one of its size is read to make sure
     * (a real marker is never that short, so this costs a read only for tombstones).
     */
    private boolean isTombstone(String id, S3Object marker) {
        if (marker.size() == null || marker.size() != TOMBSTONE.length()) {
            return false;
        }
        try {
            ResponseBytes<GetObjectResponse> text = getIfExists(key(id, COMPLETE));
            return text == null || text.asUtf8String().equals(TOMBSTONE);
        } catch (SdkException e) {
            throw unavailable("read the commit marker of backup " + id, id, e);
        }
    }

    /**
     * The ETag of the tombstone that fences {@code backupId}, for the commit to replace it with {@code If-Match};
     * {@code null} if the id has no commit marker at all.
     *
     * @throws BackupAlreadyExistsException if a backup with this id exists
     */
    private @Nullable String fenceOf(String backupId) {
        String markerKey = key(backupId, COMPLETE);
        try {
            HeadObjectResponse head;
            try {
                head = client.headObject(r -> r.bucket(bucket).key(markerKey));
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    return null;
                }
                throw e;
            }
            // a real marker is never as short as a tombstone: only a tombstone's size is worth reading
            if (head.contentLength() == null || head.contentLength() != TOMBSTONE.length()) {
                throw alreadyExists(backupId);
            }
            ResponseBytes<GetObjectResponse> marker = getIfExists(markerKey);
            if (marker == null) {
                return null;
            }
            if (!marker.asUtf8String().equals(TOMBSTONE)) {
                throw alreadyExists(backupId);
            }
            return marker.response().eTag();
        } catch (SdkException e) {
            throw unavailable("look up " + markerKey, backupId, e);
        }
    }

    /** Puts a small text object; {@code condition} is {@code "*"} for If-None-Match, an ETag for If-Match. */
    private PutObjectResponse putText(String key, String text, @Nullable String backupId,
                                      @Nullable String ifNoneMatch) {
        try {
            return client.putObject(r -> {
                r.bucket(bucket).key(key).contentType("text/plain; charset=utf-8");
                if (ifNoneMatch != null) {
                    r.ifNoneMatch(ifNoneMatch);
                }
            }, RequestBody.fromString(text, StandardCharsets.UTF_8));
        } catch (SdkException e) {
            throw unavailable("write " + key, backupId, e);
        }
    }

    private void deleteKey(String key, @Nullable String backupId) {
        try {
            client.deleteObject(r -> r.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw unavailable("delete " + key, backupId, e);
        }
    }

    private String key(String backupId, String name) {
        return keyPrefix + backupId + "/" + name;
    }

    // --- messages ------------------------------------------------------------------------------------------------

    private void reportForeign(String rest) {
        String shown = Text.oneLine(rest, 100);
        if (reportedForeign.add(rest)) {
            log.info("S3 store {}: ignoring {}, which is not part of a drkit backup; it is left alone", location,
                shown);
        } else {
            log.debug("S3 store {}: ignoring {}, which is not part of a drkit backup", location, shown);
        }
    }

    private void ensureOpen() {
        Checks.state(!closed, "S3 store %s is closed", location);
    }

    private Map<String, String> context(@Nullable String backupId) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("store", location);
        if (backupId != null) {
            context.put("backup", backupId);
        }
        return context;
    }

    /** Describes an SDK failure by its type, S3 error code and HTTP status; never its message or credentials. */
    static String describe(SdkException e) {
        if (e instanceof S3Exception) {
            S3Exception s3 = (S3Exception) e;
            String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            return "HTTP " + s3.statusCode() + (code == null ? "" : " " + Text.oneLine(code, 60));
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " caused by "
            + root.getClass().getSimpleName();
    }

    StoreUnavailableException unavailable(String what, @Nullable String backupId, SdkException e) {
        return new StoreUnavailableException("S3 store " + location + ": could not " + what + ": " + describe(e),
            context(backupId), e);
    }

    private NoSuchBackupException noSuchBackup(String backupId) {
        return new NoSuchBackupException("S3 store " + location + ": no complete backup " + backupId,
            context(backupId));
    }

    private NoSuchBackupException noSuchObject(String backupId, String objectName) {
        Map<String, String> context = context(backupId);
        context.put("object", objectName);
        return new NoSuchBackupException("S3 store " + location + ": backup " + backupId + " has no object "
            + objectName, context);
    }

    private BackupAlreadyExistsException alreadyExists(String backupId) {
        return new BackupAlreadyExistsException("S3 store " + location + ": backup " + backupId
            + " already exists", context(backupId));
    }

    private static String randomToken() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    // --- the lease -----------------------------------------------------------------------------------------------

    /** The writer lock: {@code prefix/.lock}, created and renewed with conditional writes. */
    private static final class Lease {

        private final S3Store store;
        final String record;
        private volatile String etag;
        private volatile Instant expiresAt;
        private volatile boolean lost;
        private volatile boolean released;
        private final ScheduledFuture<?> renewal;

        private Lease(S3Store store, String record, String etag, Instant expiresAt) {
            this.store = store;
            this.record = record;
            this.etag = etag;
            this.expiresAt = expiresAt;
            long every = Math.max(1, store.leaseDuration.toMillis() / 3);
            this.renewal = store.renewer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        }

        static Lease acquire(S3Store store, String backupId, String operation) {
            long deadline = System.nanoTime() + store.lockTimeout.toNanos();
            try {
                if (!store.slot.permit.tryAcquire(store.lockTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    String holder = store.slot.holder;
                    throw locked(store, backupId, holder == null ? "another thread of this process"
                        : holder + " (this process)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the writer lock of "
                    + store.location, e);
            }
            try {
                Lease lease = acquireLease(store, backupId, operation, deadline);
                store.slot.holder = lease.record.substring(0, lease.record.indexOf(", token"));
                return lease;
            } catch (RuntimeException e) {
                store.slot.permit.release();
                throw e;
            }
        }

        private static StoreLockedException locked(S3Store store, String backupId, String holder) {
            Map<String, String> context = store.context(backupId);
            context.put("lock", store.keyPrefix + LOCK);
            context.put("holder", holder);
            return new StoreLockedException("Store " + store.location + ": could not take the writer lock "
                + store.keyPrefix + LOCK + " for backup " + backupId + " within " + store.lockTimeout.toMillis()
                + " ms; it is held by " + holder, context);
        }

        private static Lease acquireLease(S3Store store, String backupId, String operation, long deadline) {
            String lockKey = store.keyPrefix + LOCK;
            String holder = "a writer that has not recorded itself";
            while (true) {
                Instant now = Instant.now();
                Instant expires = now.plus(store.leaseDuration);
                String record = record(operation, expires);
                try {
                    PutObjectResponse created = store.putConditional(lockKey, record, "*", null);
                    if (created != null && store.stillOurs(lockKey, record)) {
                        return new Lease(store, record, created.eTag(), expires);
                    }
                    // someone holds it: take it over if its lease ran out
                    ResponseBytes<GetObjectResponse> current = store.getIfExists(lockKey);
                    if (current != null) {
                        String text = current.asUtf8String();
                        holder = Text.oneLine(text.strip().replace('\n', ' '), 200);
                        Instant theirs = expiry(text);
                        if (theirs != null && theirs.isBefore(now)) {
                            PutObjectResponse taken = store.putConditional(lockKey, record, null,
                                current.response().eTag());
                            if (taken != null && store.stillOurs(lockKey, record)) {
                                log.info("S3 store {}: took over the writer lock whose lease expired at {} ({})",
                                    store.location, theirs, holder);
                                return new Lease(store, record, taken.eTag(), expires);
                            }
                        }
                    }
                } catch (SdkException e) {
                    if (!isConflict(e)) {
                        throw store.unavailable("take the writer lock " + lockKey, backupId, e);
                    }
                    // another writer's conditional write of the lock is in flight: not won, try again
                    holder = "a writer whose conditional write of the lock was in flight";
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw locked(store, backupId, holder);
                }
                try {
                    Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the writer lock of "
                        + store.location, e);
                }
            }
        }

        private static String record(String operation, Instant expires) {
            ProcessHandle self = ProcessHandle.current();
            String started = self.info().startInstant().map(i -> i.truncatedTo(ChronoUnit.SECONDS).toString())
                .orElse("unknown");
            return "pid " + self.pid() + " (started " + started + "), " + operation + ", token " + randomToken()
                + "\nexpires " + expires.toEpochMilli() + "\n";
        }

        private static @Nullable Instant expiry(String text) {
            for (String line : text.split("\n")) {
                if (line.startsWith("expires ")) {
                    try {
                        return Instant.ofEpochMilli(Long.parseLong(line.substring(8).trim()));
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
            }
            return null;
        }

        // renew, release and abandon are synchronized: a release racing a renewal in flight would delete the lock
        // with an ETag the renewal is replacing, fail its condition and leave the lock to expire
        private synchronized void renew() {
            if (released || lost) {
                return;
            }
            Instant expires = Instant.now().plus(store.leaseDuration);
            String first = record.substring(0, record.indexOf('\n'));
            try {
                PutObjectResponse renewed = store.putConditional(store.keyPrefix + LOCK,
                    first + "\nexpires " + expires.toEpochMilli() + "\n", null, etag);
                if (renewed == null) {
                    lost = true;
                    log.warn("S3 store {}: another writer took the writer lock; this backup will not commit",
                        store.location);
                } else {
                    etag = renewed.eTag();
                    expiresAt = expires;
                }
            } catch (SdkException e) {
                // outcome unknown (a 409 that outlasted its retries, a timeout): neither renewed nor lost; the next
                // renewal tries again, and only the passing of the expiry makes the lease lost
                if (Instant.now().isAfter(expiresAt)) {
                    lost = true;
                }
                log.debug("S3 store {}: could not renew the writer lock: {}", store.location, describe(e));
            }
        }

        /** Whether this writer still certainly holds the lock. */
        boolean held() {
            return !lost && !Instant.now().isAfter(expiresAt);
        }

        /**
         * Gives up the lease without deleting the lock: renewal stops and the lease expires by itself, so the next
         * writer (whose clean-up fences and removes what this one left) starts only after requests of this one that
         * may still be in flight had time to land. For a commit whose outcome is unknown.
         */
        synchronized void abandon() {
            if (released) {
                return;
            }
            released = true;
            renewal.cancel(false);
            log.warn("S3 store {}: left the writer lock to expire at {} rather than releasing it", store.location,
                expiresAt);
            store.slot.holder = null;
            store.slot.permit.release();
        }

        /** Throws unless this writer still certainly holds the lock. */
        void ensureHeld(String backupId) {
            if (lost || Instant.now().isAfter(expiresAt)) {
                Map<String, String> context = store.context(backupId);
                throw new StoreLockedException("Store " + store.location + ": the writer lock of backup "
                    + backupId + " could not be renewed in time and may be held by another writer now", context);
            }
        }

        synchronized void release() {
            if (released) {
                return;
            }
            released = true;
            renewal.cancel(false);
            try {
                if (!lost) {
                    store.client.deleteObject(r -> r.bucket(store.bucket).key(store.keyPrefix + LOCK).ifMatch(etag));
                }
            } catch (SdkException e) {
                // the lease expires by itself; the next writer takes it over then
                log.warn("S3 store {}: could not release the writer lock ({}); it expires by itself at {}",
                    store.location, describe(e), expiresAt);
            } finally {
                store.slot.holder = null;
                store.slot.permit.release();
            }
        }
    }

    /**
     * A conditional put: the response, or {@code null} when the condition did not hold (HTTP 412) and the key does
     * not hold {@code text}. The SDK retries a request whose response was lost or failed (a timeout, a 5xx from a
     * proxy); if the first attempt was applied, the retry fails its own condition. So a failed condition is read
     * back, and finding {@code text} there means this put was applied: every caller's text is unique to it (a random
     * token).
     *
     * <p>A 409 (ConditionalRequestConflict: another conditional write of the key is in flight, perhaps this put's own
     * first attempt) says nothing about the condition: the put is read back, then tried again after a pause that
     * doubles, as AWS advises, {@value #CONFLICT_ATTEMPTS} times in all. If the conflict outlasts them, the 409 is
     * thrown: the outcome is unknown, and callers must treat it so, never as a failed condition.
     */
    private @Nullable PutObjectResponse putConditional(String key, String text, @Nullable String ifNoneMatch,
                                                       @Nullable String ifMatch) {
        long pause = CONFLICT_BACKOFF_MILLIS;
        for (int attempt = 1; ; attempt++) {
            try {
                return client.putObject(r -> {
                    r.bucket(bucket).key(key).contentType("text/plain; charset=utf-8");
                    if (ifNoneMatch != null) {
                        r.ifNoneMatch(ifNoneMatch);
                    }
                    if (ifMatch != null) {
                        r.ifMatch(ifMatch);
                    }
                }, RequestBody.fromString(text, StandardCharsets.UTF_8));
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return appliedPut(key, text);
                }
                if (!isConflict(e)) {
                    throw e;
                }
                PutObjectResponse applied = appliedPut(key, text);
                if (applied != null) {
                    return applied;
                }
                if (attempt >= CONFLICT_ATTEMPTS) {
                    throw e;
                }
                log.debug("S3 store {}: a conditional write of {} met a concurrent one (409); trying again in {} ms",
                    location, key, pause);
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause *= 2;
            }
        }
    }

    /** Whether a failure is S3's 409 to a conditional write that met another in flight: an unknown outcome. */
    static boolean isConflict(SdkException e) {
        return e instanceof S3Exception && ((S3Exception) e).statusCode() == 409;
    }

    /** A put of {@code text} to {@code key} found applied: a response with the stored ETag; else {@code null}. */
    private @Nullable PutObjectResponse appliedPut(String key, String text) {
        ResponseBytes<GetObjectResponse> current = holding(key, text);
        if (current == null) {
            return null;
        }
        log.debug("S3 store {}: a conditional write of {} was applied before its response was lost", location, key);
        return PutObjectResponse.builder().eTag(current.response().eTag()).build();
    }

    /**
     * Reads the lock back after winning it. On AWS a conditional write is atomic and this always holds; some
     * S3-compatible servers let several concurrent conditional writes of one key succeed, and then only the
     * writer whose record survived goes on (narrowing, not closing, that server's race).
     */
    private boolean stillOurs(String lockKey, String record) {
        return holding(lockKey, record) != null;
    }

    /** The object at {@code key} if it holds exactly {@code text}; else {@code null}. */
    private @Nullable ResponseBytes<GetObjectResponse> holding(String key, String text) {
        ResponseBytes<GetObjectResponse> current = getIfExists(key);
        return current != null && current.asUtf8String().equals(text) ? current : null;
    }

    private @Nullable ResponseBytes<GetObjectResponse> getIfExists(String key) {
        try {
            return client.getObjectAsBytes(r -> r.bucket(bucket).key(key));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw e;
        }
    }

    // --- a pending backup ----------------------------------------------------------------------------------------

    private final class Pending implements PendingBackup {

        private final String backupId;
        private final Lease lease;
        /** The ETag of the tombstone fencing this id, which the commit marker replaces; null if there is none. */
        private final @Nullable String fence;
        private final Map<String, Long> written = new TreeMap<>();
        private final Set<String> created = new LinkedHashSet<>();
        /** Why an object was not stored, by name; null for a stream given up without a failure. */
        private final Map<String, @Nullable Throwable> failed = new HashMap<>();
        private @Nullable ObjectStream openStream;
        private boolean finished;

        Pending(String backupId, Lease lease, @Nullable String fence) {
            this.backupId = backupId;
            this.lease = lease;
            this.fence = fence;
        }

        @Override
        public String backupId() {
            return backupId;
        }

        @Override
        public OutputStream create(String objectName) {
            StoreNames.check(objectName, "object name");
            Checks.state(!finished, "Backup %s was already committed or closed", backupId);
            Checks.state(openStream == null, "Backup %s: close the stream of the previous object first", backupId);
            Checks.argument(!created.contains(objectName), "Backup %s already has an object named %s",
                backupId, objectName);
            lease.ensureHeld(backupId);
            created.add(objectName);
            ObjectStream stream = new ObjectStream(this, objectName);
            openStream = stream;
            return stream;
        }

        void streamClosed(String objectName, long size) {
            openStream = null;
            written.put(objectName, size);
        }

        void streamFailed(String objectName, @Nullable Throwable cause) {
            openStream = null;
            failed.put(objectName, cause);
        }

        @Override
        public void commit() {
            Checks.state(!finished, "Backup %s was already committed or closed", backupId);
            Checks.state(openStream == null, "Backup %s: close the stream of the last object before committing",
                backupId);
            Checks.state(!written.isEmpty(), "Backup %s has no object; write at least one before committing",
                backupId);
            ensureEveryObjectStored();
            finished = true;
            boolean committed = false;
            boolean outcomeUnknown = false;
            boolean exists = false;
            Throwable failure = null;
            try {
                lease.ensureHeld(backupId);
                String markerKey = key(backupId, COMPLETE);
                StringBuilder marker = new StringBuilder();
                written.forEach((name, size) -> marker.append(name).append(' ').append(size).append('\n'));
                // a line that the list of objects ignores, so this writer can tell its own marker from any other
                marker.append("# commit ").append(randomToken()).append('\n');
                String text = marker.toString();
                PutObjectResponse put;
                try {
                    // a tombstone left by a clean-up is replaced only if it is still the one this writer saw
                    put = fence == null ? putConditional(markerKey, text, "*", null)
                        : putConditional(markerKey, text, null, fence);
                } catch (SdkException e) {
                    // a 409 that outlasted its retries, a timeout, a 5xx: the put may have been applied
                    put = appliedDespite(e, markerKey, text);
                    if (put == null) {
                        // It may still land (a request in flight). The .in-progress marker stays, and the next writer
                        // fences the id (a tombstone marker, If-None-Match: *) and then removes the objects, or keeps
                        // the backup if its commit marker is there.
                        outcomeUnknown = true;
                        throw new StoreUnavailableException("S3 store " + location + ": could not commit backup "
                            + backupId + ": " + describe(e) + "; whether its commit marker was written is not known, so"
                            + " its objects are left for the next writer to this store, which keeps the backup if the"
                            + " marker is there and removes it otherwise", context(backupId), e);
                    }
                }
                if (put == null) {
                    exists = true;
                    throw alreadyExists(backupId);
                }
                committed = true;
                try {
                    deleteKey(key(backupId, IN_PROGRESS), backupId);
                } catch (StoreUnavailableException e) {
                    // the backup is complete and listed: the next writer removes a marker beside a commit marker
                    log.warn("S3 store {}: committed backup {}, but could not remove its {} marker ({}); the next"
                        + " writer removes it", location, backupId, IN_PROGRESS, e.getMessage());
                }
                log.info("S3 store {}: committed backup {} ({} objects)", location, backupId, written.size());
            } catch (RuntimeException | Error e) {
                failure = e;
                throw e;
            } finally {
                try {
                    if (!committed && !outcomeUnknown) {
                        // another backup with this id was committed: the keys under it are its objects now
                        discardAfter(failure, !exists);
                    }
                } finally {
                    if (outcomeUnknown) {
                        lease.abandon();
                    } else {
                        lease.release();
                    }
                }
            }
        }

        /**
         * Discards the backup after a failed commit. A failure to discard joins the commit's own failure as
         * suppressed rather than replacing it: the commit's failure says what went wrong, and what could not be
         * removed is marked {@code .in-progress} for the next writer to remove.
         */
        private void discardAfter(@Nullable Throwable failure, boolean ownsKeys) {
            try {
                discard(ownsKeys);
            } catch (RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
        }

        /**
         * Refuses to commit when an object was created but not stored whole (an upload failed, a stream was given
         * up): the commit marker would publish the backup without it. Nothing is written; {@link #close()} discards.
         */
        private void ensureEveryObjectStored() {
            for (String name : created) {
                if (!written.containsKey(name)) {
                    Throwable cause = failed.get(name);
                    throw new IllegalStateException("Backup " + backupId + " cannot be committed: its object " + name
                        + " was not stored" + (cause == null ? "" : " (" + cause.getClass().getSimpleName() + ": "
                        + Text.oneLine(String.valueOf(cause.getMessage()), 200) + ")")
                        + "; close the pending backup to discard it", cause);
                }
            }
        }

        /** The commit marker's put, if reading it back shows it applied although the put failed; else null. */
        private @Nullable PutObjectResponse appliedDespite(SdkException failure, String markerKey, String text) {
            try {
                return appliedPut(markerKey, text);
            } catch (SdkException again) {
                failure.addSuppressed(again);
                return null;
            }
        }

        @Override
        public void close() {
            if (finished) {
                return;
            }
            finished = true;
            try {
                ObjectStream stream = openStream;
                if (stream != null) {
                    stream.abort(null);
                }
                discard(true);
                log.debug("S3 store {}: discarded backup {} before commit", location, backupId);
            } finally {
                lease.release();
            }
        }

        /**
         * Deletes this backup's objects and its {@code .in-progress} marker, but only while this writer certainly
         * holds the lock and the keys are its own ({@code ownsKeys}: no other backup with this id was committed).
         * Otherwise the keys may be another writer's by now (one that took over an expired lease and writes this id
         * afresh, or committed it): nothing is deleted, and what is this writer's is marked {@code .in-progress} for
         * the next writer to fence and remove. A multipart upload is aborted by its upload id in either case, which
         * touches no other writer's upload.
         */
        private void discard(boolean ownsKeys) {
            if (!ownsKeys || !lease.held()) {
                log.warn("S3 store {}: backup {} was given up {}; its objects are left for the next writer to remove",
                    location, backupId, ownsKeys ? "after its writer lock expired or was taken over"
                    : "because another backup with its id was committed");
                return;
            }
            for (String name : created) {
                deleteKey(key(backupId, name), backupId);
            }
            deleteKey(key(backupId, IN_PROGRESS), backupId);
        }
    }

    /**
     * One object being uploaded: a single PUT if it fits in one part, else a multipart upload whose parts are sent
     * as the buffer fills. Memory: one part buffer. Any failure aborts the multipart upload.
     *
     * <p>S3 numbers parts 1 to {@value #MAX_PARTS}. So the part size doubles after every {@value #PARTS_PER_SIZE}
     * parts, up to {@link #MAX_GROWN_PART_SIZE} (or the configured part size, if larger): with the default 8 MiB an
     * object may reach about 850 GiB, the buffer growing past 8 MiB only for objects above about 8 GB. An object
     * that would need one more part fails at once with a message saying so, before anything more is uploaded.
     */
    private final class ObjectStream extends OutputStream {

        private final Pending pending;
        private final String name;
        private final String key;
        private byte[] buffer = new byte[partSize];
        private int filled;
        private long total;
        private @Nullable String uploadId;
        private final String uploadToken = randomToken();
        private final List<CompletedPart> parts = new ArrayList<>();
        private boolean closed;

        ObjectStream(Pending pending, String name) {
            this.pending = pending;
            this.name = name;
            this.key = key(pending.backupId, name);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            if (closed) {
                throw new IOException("stream closed");
            }
            while (length > 0) {
                int n = Math.min(length, buffer.length - filled);
                System.arraycopy(bytes, offset, buffer, filled, n);
                filled += n;
                offset += n;
                length -= n;
                total += n;
                if (filled == buffer.length) {
                    sendPart();
                }
            }
        }

        private void sendPart() throws IOException {
            if (parts.size() >= maxParts) {
                IOException failure = new IOException("S3 store " + location + ": object " + name + " of backup "
                    + pending.backupId + " is too large: S3 allows at most " + maxParts + " parts per object, and "
                    + total + " bytes filled them; use a larger part size (partSize, now " + partSize + " bytes)"
                    + " or smaller objects (BackupEngine parts)");
                abort(failure);
                throw failure;
            }
            try {
                pending.lease.ensureHeld(pending.backupId);
                if (uploadId == null) {
                    uploadId = client.createMultipartUpload(CreateMultipartUploadRequest.builder().bucket(bucket)
                        .key(key).metadata(Map.of(UPLOAD_TOKEN, uploadToken)).build()).uploadId();
                }
                int number = parts.size() + 1;
                int length = filled;
                UploadPartResponse response = client.uploadPart(r -> r.bucket(bucket).key(key).uploadId(uploadId)
                        .partNumber(number).contentLength((long) length),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length,
                        "application/octet-stream"));
                parts.add(CompletedPart.builder().partNumber(number).eTag(response.eTag())
                    .checksumCRC32(response.checksumCRC32()).build());
                filled = 0;
                int grown = nextPartSize(buffer.length, parts.size());
                if (grown != buffer.length) {
                    buffer = new byte[grown];
                }
            } catch (SdkException e) {
                StoreUnavailableException failure = unavailable("upload object " + name + " of backup "
                    + pending.backupId, pending.backupId, e);
                abort(failure);
                throw failure;
            } catch (RuntimeException e) {
                abort(e);
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            try {
                if (uploadId == null) {
                    int length = filled;
                    client.putObject(r -> r.bucket(bucket).key(key).contentLength((long) length),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length,
                            "application/octet-stream"));
                } else {
                    if (filled > 0) {
                        sendPart();
                    }
                    completeUpload(uploadId);
                }
                closed = true;
                pending.streamClosed(name, total);
            } catch (SdkException e) {
                StoreUnavailableException failure = unavailable("upload object " + name + " of backup "
                    + pending.backupId, pending.backupId, e);
                abort(failure);
                throw failure;
            } finally {
                if (!closed) {
                    abort(null);
                }
            }
        }

        /**
         * Completes the multipart upload. The SDK retries a completion that timed out or got a 5xx; if the first
         * attempt was applied, the upload is gone and the retry fails (404 NoSuchUpload) although the object is
         * complete. So a failed completion is read back (HEAD): the object at the key is this upload if it carries
         * this upload's random token, which was set as user metadata when the upload was created (S3 stores that
         * metadata with the completed object), and has the size written. Not the ETag: AWS documents a multipart
         * object's ETag only as not being an MD5 digest, and under SSE-KMS or SSE-C a part's ETag is no MD5 either.
         */
        private void completeUpload(String id) {
            try {
                client.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            } catch (SdkException e) {
                if (!completedDespite(e)) {
                    throw e;
                }
                log.debug("S3 store {}: the completion of the upload of {} was applied before its response was lost",
                    location, key);
            }
        }

        /** Whether the object at the key is this upload, completed, although its completion failed. */
        private boolean completedDespite(SdkException failure) {
            HeadObjectResponse head;
            try {
                head = client.headObject(r -> r.bucket(bucket).key(key));
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    failure.addSuppressed(e);
                }
                return false;
            } catch (SdkException e) {
                failure.addSuppressed(e);
                return false;
            }
            return uploadToken.equals(head.metadata().get(UPLOAD_TOKEN)) && head.contentLength() != null
                && head.contentLength() == total;
        }

        /**
         * Gives up the object: aborts its multipart upload, if any, and tells the pending backup why (null: given up
         * without a failure, as when the backup is discarded). Never throws.
         */
        void abort(@Nullable Throwable cause) {
            if (closed) {
                return;
            }
            closed = true;
            pending.streamFailed(name, cause);
            String id = uploadId;
            if (id != null) {
                try {
                    client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key)
                        .uploadId(id).build());
                } catch (SdkException e) {
                    log.warn("S3 store {}: could not abort the upload of {} ({}); the next writer aborts it",
                        location, key, describe(e));
                }
            }
        }
    }

    /** The size of the part after {@code sent} parts: doubled after every {@link #partsPerSize} parts, to a cap. */
    private int nextPartSize(int current, int sent) {
        int cap = Math.max(partSize, MAX_GROWN_PART_SIZE);
        if (sent % partsPerSize != 0 || current >= cap) {
            return current;
        }
        return (int) Math.min(cap, 2L * current);
    }

    /**
     * Settings for an {@link S3Store}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final String bucket;
        private final String prefix;
        private @Nullable String region;
        private @Nullable URI endpoint;
        private boolean pathStyle;
        private @Nullable String accessKeyId;
        private @Nullable Secret secretAccessKey;
        private int partSize = DEFAULT_PART_SIZE;
        private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private int maxAttempts = 3;
        private int partsPerSize = PARTS_PER_SIZE;
        private int maxParts = MAX_PARTS;
        private Duration apiCallTimeout = Duration.ofMinutes(5);
        private final List<ExecutionInterceptor> interceptors = new ArrayList<>();

        private Builder(String bucket, String prefix) {
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(prefix, "prefix");
            Checks.argument(BUCKET.matcher(bucket).matches(), "bucket must be 3 to 63 characters of [a-z0-9.-], "
                + "but was \"%s\"", Text.oneLine(bucket, 70));
            Checks.argument(prefix.isEmpty() || PREFIX.matcher(prefix).matches() && prefix.length() <= 512,
                "prefix must be empty or segments of [A-Za-z0-9._-] separated by '/', but was \"%s\"",
                Text.oneLine(prefix, 100));
            this.bucket = bucket;
            this.prefix = prefix;
        }

        /** The AWS region; default: the SDK's region provider chain, else {@link #DEFAULT_REGION}. */
        public Builder region(String region) {
            this.region = Checks.notBlank(region, "region");
            return this;
        }

        /**
         * The endpoint of an S3-compatible server, for example {@code http://127.0.0.1:9090}; default: AWS.
         *
         * @throws IllegalArgumentException unless http or https without user information
         */
        public Builder endpointOverride(URI endpoint) {
            Objects.requireNonNull(endpoint, "endpoint");
            Checks.argument("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()),
                "endpoint must be an http or https URI, but its scheme was %s", endpoint.getScheme());
            Checks.argument(endpoint.getRawUserInfo() == null, "endpoint must not hold user information");
            this.endpoint = endpoint;
            return this;
        }

        /** Whether to address the bucket in the path ({@code host/bucket/key}), as most S3-compatible servers want. */
        public Builder pathStyleAccess(boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        /**
         * Explicit credentials; default: the SDK's default provider chain. The secret is read when the store is
         * built and never shown.
         */
        public Builder credentials(String accessKeyId, Secret secretAccessKey) {
            this.accessKeyId = Checks.notBlank(accessKeyId, "accessKeyId");
            this.secretAccessKey = Objects.requireNonNull(secretAccessKey, "secretAccessKey");
            return this;
        }

        /**
         * The part size of multipart uploads, and the memory each open object holds; default
         * {@link #DEFAULT_PART_SIZE}. Objects up to one part are sent in a single request. An upload doubles its
         * part size after every 1,000 parts, up to 128 MiB or this size if larger, since S3 allows 10,000 parts.
         *
         * @throws IllegalArgumentException unless between {@link #MIN_PART_SIZE} and 512 MiB
         */
        public Builder partSize(int bytes) {
            this.partSize = Checks.inRange(bytes, MIN_PART_SIZE, 512 * 1024 * 1024, "partSize");
            return this;
        }

        /**
         * How long {@link S3Store#begin} and {@link S3Store#delete} wait for the writer lock; default
         * {@link #DEFAULT_LOCK_TIMEOUT}.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder lockTimeout(Duration lockTimeout) {
            this.lockTimeout = Checks.notNegative(lockTimeout, "lockTimeout");
            return this;
        }

        /**
         * How long a writer's lease on the lock lasts without renewal, and so how long a writer that died holds up
         * the others; default {@link #DEFAULT_LEASE_DURATION}.
         *
         * @throws IllegalArgumentException unless between 1 second and 1 hour
         */
        public Builder leaseDuration(Duration leaseDuration) {
            Checks.argument(leaseDuration.compareTo(Duration.ofSeconds(1)) >= 0
                    && leaseDuration.compareTo(Duration.ofHours(1)) <= 0,
                "leaseDuration must be between PT1S and PT1H, but was %s", leaseDuration);
            this.leaseDuration = leaseDuration;
            return this;
        }

        /**
         * How many times each request is tried (the SDK's standard retry mode with backoff); default 3.
         *
         * @throws IllegalArgumentException unless between 1 and 10
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Checks.inRange(maxAttempts, 1, 10, "maxAttempts");
            return this;
        }

        /** For tests: parts per part size before it doubles, and the most parts of one object (S3: 10,000). */
        Builder partLimits(int partsPerSize, int maxParts) {
            this.partsPerSize = Checks.inRange(partsPerSize, 1, PARTS_PER_SIZE, "partsPerSize");
            this.maxParts = Checks.inRange(maxParts, 1, MAX_PARTS, "maxParts");
            return this;
        }

        /** For tests: an interceptor added to the S3 client, for example to inject a failure. */
        Builder interceptor(ExecutionInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        /** Makes the store; contacts nothing yet. */
        public S3Store build() {
            AwsCredentialsProvider credentials;
            if (accessKeyId != null && secretAccessKey != null) {
                String secret = new String(secretAccessKey.reveal());
                credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secret));
            } else {
                credentials = DefaultCredentialsProvider.builder().build();
            }
            var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofSeconds(60)))
                .credentialsProvider(credentials)
                .region(Region.of(region != null ? region : defaultRegion()))
                .forcePathStyle(pathStyle)
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                    .retryStrategy(RetryMode.STANDARD)
                    .retryStrategy(b -> b.maxAttempts(maxAttempts))
                    .apiCallTimeout(apiCallTimeout)
                    .executionInterceptors(List.copyOf(interceptors))
                    .build());
            if (endpoint != null) {
                builder.endpointOverride(endpoint);
            }
            return new S3Store(this, builder.build());
        }

        private static String defaultRegion() {
            try {
                return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
            } catch (SdkException e) {
                return DEFAULT_REGION;
            }
        }
    }
}
