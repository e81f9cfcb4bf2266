package dev.drkit.examples.demo;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.Compression;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.RotationResult;
import dev.drkit.backup.VerificationResult;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.DataIntegrityException;
import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.Secret;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The demo's file backups: a service's configuration directory backed up twice (encrypted to a passphrase),
 * rotated so only the newest is kept, verified quickly and fully, and restored to another place whose files
 * must match the source byte for byte.
 */
final class FileBackups implements AutoCloseable {

    private final Path source;
    private final Path restoreTarget;
    private final FileSystemStore store;
    private final Secret passphrase;
    private final BackupEngine engine;

    FileBackups(Path workDirectory, Secret passphrase) throws IOException {
        this.source = workDirectory.resolve("service-config");
        this.restoreTarget = workDirectory.resolve("restored/service-config");
        this.passphrase = passphrase;
        this.store = FileSystemStore.open(workDirectory.resolve("file-backups"));
        this.engine = BackupEngine.builder(store).name("demo-files")
            .encryption(Encryption.passphrase(passphrase))
            .compression(Compression.zstd(3))
            .label("app", "demo")
            .eventLog(workDirectory.resolve("file-backups-events.jsonl"))
            .verificationHistory(workDirectory.resolve("file-backups-verifications.jsonl"))
            .build();
        writeServiceConfig(1);
    }

    /** Backs up the directory, changes it, and backs it up again; returns both backups, oldest first. */
    List<BackupInfo> backUpTwice() throws IOException {
        BackupInfo first = engine.backup(BackupSource.directory(source));
        writeServiceConfig(2);
        BackupInfo second = engine.backup(BackupSource.directory(source));
        return List.of(first, second);
    }

    /** Keeps the newest backup only: the older one is deleted, the newest never is. */
    RotationResult rotate() {
        return engine.rotate(RetentionPolicy.builder().keepLast(1).build(), false);
    }

    /** Quick verification of every backup left, then a full one (decrypting) of the newest. */
    List<VerificationResult> verify() {
        List<BackupInfo> backups = engine.list();
        List<VerificationResult> results = new ArrayList<>();
        for (BackupInfo backup : backups) {
            results.add(engine.verify(backup.id()).orThrow());
        }
        BackupInfo newest = backups.get(backups.size() - 1);
        results.add(engine.verify(newest.id(), DecryptionKey.passphrase(passphrase)).orThrow());
        return results;
    }

    /**
     * Restores the newest backup to another place and compares every file with the source.
     *
     * @throws DrkitException if the restore fails or a file differs
     */
    RestoreResult restoreAndCompare() throws IOException {
        List<BackupInfo> backups = engine.list();
        String newest = backups.get(backups.size() - 1).id();
        Files.createDirectories(restoreTarget.getParent());
        RestoreResult restored = engine.restore(newest, DecryptionKey.passphrase(passphrase), restoreTarget);
        Map<String, String> expected = digests(source);
        Map<String, String> actual = digests(restoreTarget);
        if (!expected.equals(actual)) {
            throw new DataIntegrityException("The restored files differ from the source: expected " + expected.keySet()
                + ", restored " + actual.keySet(), Map.of("backup", newest), null);
        }
        return restored;
    }

    Path store() {
        return Path.of(store.location());
    }

    @Override
    public void close() throws Exception {
        store.close();
    }

    /** A small service configuration: a config file, a certificate-like file and a key-like file (0600). */
    private void writeServiceConfig(int generation) throws IOException {
        Files.createDirectories(source.resolve("tls"));
        Files.writeString(source.resolve("service.conf"),
            "# demo service, generation " + generation + "\nlisten = 127.0.0.1:8080\nworkers = " + (4 * generation)
                + "\n");
        byte[] random = new byte[2048];
        new SecureRandom().nextBytes(random);
        Files.writeString(source.resolve("tls/service.crt"), "-----BEGIN DEMO CERTIFICATE-----\n"
            + Base64.getMimeEncoder().encodeToString(random) + "\n-----END DEMO CERTIFICATE-----\n");
        Path key = source.resolve("tls/service.key");
        Files.deleteIfExists(key);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        new SecureRandom().nextBytes(random);
        Files.write(key, random);
    }

    /** Relative path to SHA-256 of every regular file under {@code root}. */
    private static Map<String, String> digests(Path root) throws IOException {
        Map<String, String> digests = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                digests.put(root.relativize(file).toString(), sha256(file));
            }
        }
        return digests;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
