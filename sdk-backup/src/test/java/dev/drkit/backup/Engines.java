package dev.drkit.backup;

import dev.drkit.core.secret.Secret;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test helpers for the engine: a cheap S2K, and trees described as maps. */
final class Engines {

    static final Secret PASSPHRASE = Pipelines.PASSPHRASE;
    static final DecryptionKey KEY = DecryptionKey.passphrase(PASSPHRASE);
    static final DecryptionKey WRONG_KEY = DecryptionKey.passphrase(Secret.ofString("not the passphrase", "wrong"));

    private Engines() {
    }

    static Encryption fastEncryption() {
        return PassphraseEncryption.builder(PASSPHRASE).s2kBytes(PassphraseEncryption.MIN_S2K_BYTES).build();
    }

    static BackupEngine.Builder engine(InMemoryBackupStore store) {
        return BackupEngine.builder(store).encryption(fastEncryption());
    }

    /**
     * Everything under {@code root} as path -> description: "dir 0755", "file 0644 <sha-free content hash>",
     * "link -> target", so two trees compare with one assertion.
     */
    static Map<String, String> describe(Path root) {
        Map<String, String> tree = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            paths.filter(p -> !p.equals(root)).forEach(p -> {
                String name = root.relativize(p).toString();
                try {
                    if (Files.isSymbolicLink(p)) {
                        tree.put(name, "link -> " + Files.readSymbolicLink(p));
                    } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        tree.put(name, "dir " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                            + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() / 1000);
                    } else {
                        tree.put(name, "file " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                            + " " + Files.getLastModifiedTime(p).toMillis() / 1000 + " "
                            + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(Files.readAllBytes(p))));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tree;
    }
}
