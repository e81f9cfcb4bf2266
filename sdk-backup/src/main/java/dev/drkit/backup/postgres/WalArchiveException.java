package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupException;
import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * A WAL archive, a base backup or a verification state file could not be read at all: the directory does not
 * exist or cannot be listed, the base backup has neither a label nor a manifest, a file cannot be opened.
 *
 * <p>Damage found in readable files is not an exception: it is an {@link ArchiveFault} in the
 * {@link ArchiveReport}. This exception is {@link Kind#ENVIRONMENT} (the CLI exits 3), except when a stored base
 * backup cannot be restored because of its data (a wrong key, damage): then it has its cause's kind,
 * {@link Kind#DATA} (exit 1).
 *
 * @since 0.1
 */
public class WalArchiveException extends BackupException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what could not be read, naming the path
     * @param path    the path that could not be read
     * @param cause   the underlying failure, or {@code null}
     */
    public WalArchiveException(String message, String path, @Nullable Throwable cause) {
        super(message, Kind.ENVIRONMENT, Map.of("path", path), cause);
    }

    /**
     * @param message what could not be read, naming it
     * @param path    where it is
     * @param kind    what kind of failure this is
     * @param cause   the underlying failure, or {@code null}
     * @since 0.1
     */
    public WalArchiveException(String message, String path, Kind kind, @Nullable Throwable cause) {
        super(message, kind, Map.of("path", path), cause);
    }
}
