package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupException;

import java.util.Map;

/**
 * The WAL archive has no file of that name. Not a fault in itself: PostgreSQL asks a {@code restore_command} for
 * files that do not exist (the next timeline's history file, the segment after the last one archived), and
 * {@code drkit wal-fetch} exits quietly with its own code (4) for it.
 *
 * <p>{@link Kind#DATA}. {@link #walFileName()} is the file asked for.
 *
 * @since 0.1
 */
public final class NoSuchWalFileException extends BackupException {

    private static final long serialVersionUID = 1L;

    private final String walFileName;

    /**
     * @param walFileName the file asked for
     * @param location    the store, as {@code BackupStore.location()} gives it
     */
    public NoSuchWalFileException(String walFileName, String location) {
        super("WAL archive " + location + " has no " + walFileName, Kind.DATA,
            Map.of("store", location, "walFile", walFileName), null);
        this.walFileName = walFileName;
    }

    /** The file asked for. */
    public String walFileName() {
        return walFileName;
    }
}
