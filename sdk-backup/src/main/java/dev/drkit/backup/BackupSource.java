package dev.drkit.backup;

import dev.drkit.core.internal.Names;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What to back up: one file, a directory tree, or a stream.
 *
 * <pre>{@code
 * engine.backup(BackupSource.directory(Path.of("/etc/vault")));
 * engine.backup(BackupSource.file(Path.of("/var/lib/vault/raft.db")).named("raft"));
 * engine.backup(BackupSource.stream("orders-dump", () -> pgDump.getInputStream()));
 * }</pre>
 *
 * <p>The manifest records the source's kind and {@linkplain #name() name}, never its full path: by default the
 * name is the last element of the path ({@code vault} for {@code /etc/vault}), because absolute paths tell a reader
 * of the store more about the host than it needs, and a restore names its own target anyway.
 *
 * <p>A directory is archived as a POSIX (PAX) tar stream in a fixed order (names sorted); regular files,
 * directories and symbolic links are stored with their permission bits and modification times, links as links,
 * never followed; other file types (sockets, FIFOs, devices) are skipped with a warning. A file whose size or
 * modification time changes while it is read fails the backup with {@link SourceChangedException}: a backup holds
 * consistent copies of files or none.
 *
 * <p>Instances are immutable and thread-safe (a stream source opens its supplier once per backup).
 *
 * @since 0.1
 */
public final class BackupSource {

    /** The longest source name: {@value} characters. */
    public static final int MAX_NAME_LENGTH = 128;

    /**
     * Opens the stream a {@link BackupSource#stream} source reads. Called once per backup; the engine closes the
     * stream.
     *
     * @since 0.1
     */
    @FunctionalInterface
    public interface StreamSupplier {
        /** Opens the stream. */
        InputStream open() throws IOException;
    }

    private final SourceKind kind;
    private final String name;
    private final @Nullable Path path;
    private final @Nullable StreamSupplier supplier;

    private BackupSource(SourceKind kind, String name, @Nullable Path path, @Nullable StreamSupplier supplier) {
        this.kind = kind;
        this.name = Names.printable(name, MAX_NAME_LENGTH, "source name");
        this.path = path;
        this.supplier = supplier;
    }

    /** One regular file, named after its last path element. The file is checked when the backup runs. */
    public static BackupSource file(Path file) {
        Objects.requireNonNull(file, "file");
        return new BackupSource(SourceKind.FILE, defaultName(file), file, null);
    }

    /** A directory tree, named after its last path element. The directory is checked when the backup runs. */
    public static BackupSource directory(Path directory) {
        Objects.requireNonNull(directory, "directory");
        return new BackupSource(SourceKind.DIRECTORY, defaultName(directory), directory, null);
    }

    /**
     * A stream, opened by {@code supplier} when the backup runs.
     *
     * @param name recorded in the manifest: 1 to {@value #MAX_NAME_LENGTH} printable characters
     */
    public static BackupSource stream(String name, StreamSupplier supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return new BackupSource(SourceKind.STREAM, name, null, supplier);
    }

    /**
     * This source under another name.
     *
     * @param name 1 to {@value #MAX_NAME_LENGTH} printable characters
     */
    public BackupSource named(String name) {
        return new BackupSource(kind, name, path, supplier);
    }

    /** The kind of source. */
    public SourceKind kind() {
        return kind;
    }

    /** The name recorded in the manifest. */
    public String name() {
        return name;
    }

    /** The file or directory, for file and directory sources. */
    public Optional<Path> path() {
        return Optional.ofNullable(path);
    }

    /** The supplier of a stream source. */
    Optional<StreamSupplier> supplier() {
        return Optional.ofNullable(supplier);
    }

    private static String defaultName(Path path) {
        Path name = path.toAbsolutePath().normalize().getFileName();
        return name == null ? "root" : name.toString();
    }

    @Override
    public String toString() {
        return "BackupSource[" + kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name + "]";
    }
}
