package dev.drkit.backup.postgres;

import dev.drkit.backup.postgres.wal.Lsn;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One thing wrong with a WAL archive, its base backup, or what they promise: what kind of fault, in which file,
 * at which LSN, in one sentence an operator can act on.
 *
 * @param kind    what kind of fault this is
 * @param file    the archive or backup file it is in (a segment name such as {@code 000000010000000000000003},
 *                a history file, a base backup file), if one
 * @param lsn     where in the WAL, if it has a place there
 * @param message what is wrong, naming the file and the LSN as {@code X/X}
 * @since 0.1
 */
public record ArchiveFault(Kind kind, Optional<String> file, OptionalLong lsn, String message) {

    /**
     * What kind of fault.
     *
     * @since 0.1
     */
    public enum Kind {
        /** A segment the walk needs is not in the archive. */
        MISSING_SEGMENT,
        /** A segment file is not exactly the segment size (truncated, or padded). */
        SEGMENT_SIZE,
        /** A page header is wrong: magic, flags, page address, segment or block size. */
        PAGE_HEADER,
        /** A segment belongs to another database cluster than the base backup. */
        SYSTEM_IDENTIFIER,
        /** A page or record is on a timeline the history does not lead to there, or timelines go down. */
        TIMELINE,
        /** A record header is impossible. */
        RECORD_HEADER,
        /** A record does not link back to the record before it. */
        PREV_LINK,
        /** A record's CRC-32C does not match its bytes. */
        RECORD_CRC,
        /** A record that should continue on the next page does not, or with the wrong length. */
        CONTINUATION,
        /** The WAL ends (zero bytes) before the segment does, with no switch record. */
        WAL_ENDS_EARLY,
        /** Segments of a timeline are archived but its history file is not. */
        HISTORY_MISSING,
        /** A timeline history file cannot be parsed, or contradicts another one or the WAL. */
        HISTORY_INVALID,
        /** A timeline that is not the primary's: from a drill, a stray promoted standby, or a split brain. */
        FOREIGN_TIMELINE,
        /** A base backup file is missing, altered or unexpected, or its manifest or label is damaged. */
        BASE_BACKUP,
        /** The verified WAL does not reach the end of the base backup: a restore would not become consistent. */
        BACKUP_END_NOT_REACHED,
        /** The measured RPO is larger than the configured one. */
        RPO_EXCEEDED,
        /** The requested recovery target time cannot be reached with this base backup and archive. */
        TARGET_UNREACHABLE,
        /**
         * A file in drkit's own WAL store fails its checks when fetched: its record is damaged, or the stored object
         * does not decrypt or does not match the size and SHA-256 recorded when it was pushed.
         */
        STORED_OBJECT
    }

    public ArchiveFault {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(lsn, "lsn");
        Objects.requireNonNull(message, "message");
    }

    static ArchiveFault of(Kind kind, String file, long lsn, String message) {
        return new ArchiveFault(kind, Optional.of(file), lsn < 0 ? OptionalLong.empty() : OptionalLong.of(lsn),
            message);
    }

    static ArchiveFault of(Kind kind, String message) {
        return new ArchiveFault(kind, Optional.empty(), OptionalLong.empty(), message);
    }

    /** The LSN as {@code X/X}, if there is one. */
    public Optional<String> lsnText() {
        return lsn.isPresent() ? Optional.of(Lsn.format(lsn.getAsLong())) : Optional.empty();
    }

    @Override
    public String toString() {
        return kind + ": " + message;
    }
}
