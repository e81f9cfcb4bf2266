package dev.drkit.backup;

import dev.drkit.core.internal.Names;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

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

    /**
     * Labels a source knows only once it has been read to its end (a base backup's end LSN, a tool's exit), added
     * to the manifest of the backup that read it. Called once, after the source's stream was read and closed, and
     * only if that succeeded.
     *
     * @since 0.1
     */
    @FunctionalInterface
    public interface LabelsAfterRead {
        /** The labels, each following {@link BackupEngine.Builder#label(String, String)}'s rules. */
        Map<String, String> labels();
    }

    private final SourceKind kind;
    private final String name;
    private final @Nullable Path path;
    private final @Nullable StreamSupplier supplier;
    private final @Nullable LabelsAfterRead labelsAfterRead;

    private BackupSource(SourceKind kind, String name, @Nullable Path path, @Nullable StreamSupplier supplier,
                         @Nullable LabelsAfterRead labelsAfterRead) {
        this.kind = kind;
        this.name = Names.printable(name, MAX_NAME_LENGTH, "source name");
        this.path = path;
        this.supplier = supplier;
        this.labelsAfterRead = labelsAfterRead;
    }

    /**
     * One regular file, named after its last path element (made printable and at most {@value #MAX_NAME_LENGTH}
     * characters). The file is checked when the backup runs.
     */
    public static BackupSource file(Path file) {
        Objects.requireNonNull(file, "file");
        return new BackupSource(SourceKind.FILE, defaultName(file), file, null, null);
    }

    /**
     * A directory tree, named after its last path element (made printable and at most {@value #MAX_NAME_LENGTH}
     * characters). The directory is checked when the backup runs.
     */
    public static BackupSource directory(Path directory) {
        Objects.requireNonNull(directory, "directory");
        return new BackupSource(SourceKind.DIRECTORY, defaultName(directory), directory, null, null);
    }

    /**
     * A stream, opened by {@code supplier} when the backup runs.
     *
     * @param name recorded in the manifest: 1 to {@value #MAX_NAME_LENGTH} printable characters
     */
    public static BackupSource stream(String name, StreamSupplier supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return new BackupSource(SourceKind.STREAM, name, null, supplier, null);
    }

    /**
     * This source under another name.
     *
     * @param name 1 to {@value #MAX_NAME_LENGTH} printable characters
     */
    public BackupSource named(String name) {
        return new BackupSource(kind, name, path, supplier, labelsAfterRead);
    }

    /**
     * This source, adding the labels {@code labels} returns once the source has been read: facts known only at the
     * end, such as what a child process reported when it exited. They join the engine's labels in the manifest and
     * win over an engine label with the same key. A label that breaks the rules fails the backup (nothing is kept).
     */
    public BackupSource withLabelsAfterRead(LabelsAfterRead labels) {
        return new BackupSource(kind, name, path, supplier, Objects.requireNonNull(labels, "labels"));
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

    /**
     * The engine's labels with this source's labels after read over them.
     *
     * @throws IllegalArgumentException if a label of the source breaks the rules, or there would be too many
     */
    SortedMap<String, String> labelsAfterRead(SortedMap<String, String> engineLabels) {
        if (labelsAfterRead == null) {
            return engineLabels;
        }
        SortedMap<String, String> merged = new TreeMap<>(engineLabels);
        Map<String, String> added = Objects.requireNonNull(labelsAfterRead.labels(), "labels after read");
        for (Map.Entry<String, String> label : added.entrySet()) {
            String key = Objects.requireNonNull(label.getKey(), "label key");
            String value = Objects.requireNonNull(label.getValue(), "label value");
            if (!ManifestFormat.LABEL_KEY.matcher(key).matches() || !ManifestFormat.validLabelValue(value)) {
                throw new IllegalArgumentException("source " + name + " produced an invalid label "
                    + dev.drkit.backup.internal.SafePaths.printable(key));
            }
            merged.put(key, value);
        }
        if (merged.size() > ManifestFormat.MAX_LABELS) {
            throw new IllegalArgumentException("at most " + ManifestFormat.MAX_LABELS + " labels, but source " + name
                + " would make " + merged.size());
        }
        return merged;
    }

    /**
     * The path's last element as a source name, whatever the file system allows there (255 bytes, control
     * characters): control characters become {@code ?}, a blank name {@code unnamed}, and a name longer than
     * {@link #MAX_NAME_LENGTH} is cut, ending in {@code ...}. {@link #named} gives another.
     */
    static String defaultName(Path path) {
        Path element = path.toAbsolutePath().normalize().getFileName();
        if (element == null) {
            return "root";
        }
        StringBuilder name = new StringBuilder(element.toString().length());
        element.toString().codePoints().forEach(c -> name.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        if (name.toString().isBlank()) {
            return "unnamed";
        }
        if (name.length() > MAX_NAME_LENGTH) {
            int cut = MAX_NAME_LENGTH - 3;
            if (Character.isLowSurrogate(name.charAt(cut))) {
                cut--;                                              // not between the halves of a pair
            }
            name.setLength(cut);
            name.append("...");
        }
        return name.toString();
    }

    @Override
    public String toString() {
        return "BackupSource[" + kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name + "]";
    }
}
