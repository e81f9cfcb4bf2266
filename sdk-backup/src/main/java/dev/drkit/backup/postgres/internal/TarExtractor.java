package dev.drkit.backup.postgres.internal;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Extracts the tar stream of {@code pg_basebackup -Ft} into a data directory: regular files, directories and
 * symbolic links, with owner-only permissions (PostgreSQL wants 0700/0600), every name kept inside the target.
 */
public final class TarExtractor {

    private TarExtractor() {
    }

    /**
     * Extracts {@code tar} into {@code target} (which exists) and gives everything to {@code owner}.
     *
     * @return the number of entries
     * @throws IOException if the tar cannot be read or a name would leave the target
     */
    public static int extract(Path tar, Path target, UserPrincipal owner) throws IOException {
        Path root = target.toAbsolutePath().normalize();
        int count = 0;
        try (InputStream file = new BufferedInputStream(Files.newInputStream(tar), 1 << 16);
             TarArchiveInputStream in = new TarArchiveInputStream(file)) {
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                Path path = root.resolve(entry.getName()).normalize();
                if (!path.startsWith(root) || entry.getName().startsWith("/")) {
                    throw new IOException("tar entry \"" + entry.getName() + "\" would leave " + root);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                    Files.setPosixFilePermissions(path, perms(true));
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                    count++;
                    continue;
                } else if (entry.isFile()) {
                    Files.createDirectories(path.getParent());
                    Files.copy(in, path, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(path, perms(false));
                } else {
                    continue;
                }
                Files.setOwner(path, owner);
                count++;
            }
        }
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!Files.isSymbolicLink(p) && !owner.equals(Files.getOwner(p, LinkOption.NOFOLLOW_LINKS))) {
                    Files.setOwner(p, owner);
                }
            }
        }
        return count;
    }

    private static Set<PosixFilePermission> perms(boolean directory) {
        return directory ? EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE) : EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    }
}
