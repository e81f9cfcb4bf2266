package dev.drkit.backup.postgres.wal;

import org.jspecify.annotations.Nullable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * What the verifier needs from a few record types: the commit and abort times of transactions
 * ({@code RM_XACT_ID}; {@code xact_time} is the first field of {@code xl_xact_commit} and {@code xl_xact_abort}),
 * the end of a base backup ({@code XLOG_BACKUP_END}) and the timelines of an end-of-recovery record. The main data
 * is found by walking the record's block headers as {@code DecodeXLogRecord} does; a record whose headers do not
 * fit in the kept prefix yields nothing.
 *
 * @since 0.1
 */
public final class WalRecords {

    /** {@code RM_XLOG_ID}. */
    public static final int RM_XLOG_ID = 0;
    /** {@code RM_XACT_ID}. */
    public static final int RM_XACT_ID = 1;
    static final int XLOG_CHECKPOINT_SHUTDOWN = 0x00;
    static final int XLOG_CHECKPOINT_ONLINE = 0x10;
    static final int XLOG_BACKUP_END = 0x50;
    static final int XLOG_END_OF_RECOVERY = 0x90;
    static final int XLOG_XACT_OPMASK = 0x70;
    static final int XLOG_XACT_COMMIT = 0x00;
    static final int XLOG_XACT_ABORT = 0x20;
    static final int XLOG_XACT_COMMIT_PREPARED = 0x30;
    static final int XLOG_XACT_ABORT_PREPARED = 0x40;
    /** Seconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z. */
    static final long POSTGRES_EPOCH_SECONDS = 946_684_800L;

    private WalRecords() {
    }

    /** The kind of a transaction-end record. */
    public enum XactKind {
        COMMIT, ABORT, COMMIT_PREPARED, ABORT_PREPARED
    }

    /** The transaction-end kind of a record, or null if it is not a commit or abort. */
    public static @Nullable XactKind xactKind(WalWalker.Record r) {
        if (r.rmid() != RM_XACT_ID) {
            return null;
        }
        switch (r.info() & XLOG_XACT_OPMASK) {
            case XLOG_XACT_COMMIT:
                return XactKind.COMMIT;
            case XLOG_XACT_ABORT:
                return XactKind.ABORT;
            case XLOG_XACT_COMMIT_PREPARED:
                return XactKind.COMMIT_PREPARED;
            case XLOG_XACT_ABORT_PREPARED:
                return XactKind.ABORT_PREPARED;
            default:
                return null;
        }
    }

    /** Microseconds since 2000-01-01 UTC of a commit or abort record, if it is one and its time is readable. */
    public static OptionalLong xactTime(WalWalker.Record r) {
        if (xactKind(r) == null) {
            return OptionalLong.empty();
        }
        return mainDataLong(r, 0);
    }

    /** The backup start point an {@code XLOG_BACKUP_END} record names. */
    public static OptionalLong backupEndStart(WalWalker.Record r) {
        if (r.rmid() != RM_XLOG_ID || (r.info() & 0xF0) != XLOG_BACKUP_END) {
            return OptionalLong.empty();
        }
        return mainDataLong(r, 0);
    }

    /** Whether the record is an end-of-recovery or shutdown checkpoint record, the first of a new timeline. */
    public static boolean startsTimeline(WalWalker.Record r) {
        int kind = r.info() & 0xF0;
        return r.rmid() == RM_XLOG_ID && (kind == XLOG_END_OF_RECOVERY || kind == XLOG_CHECKPOINT_SHUTDOWN
            || kind == XLOG_CHECKPOINT_ONLINE);
    }

    /**
     * The (this, previous) timelines of an {@code XLOG_END_OF_RECOVERY} record, packed as {@code this << 32 | prev};
     * empty for other records.
     */
    public static OptionalLong endOfRecoveryTimelines(WalWalker.Record r) {
        if (r.rmid() != RM_XLOG_ID || (r.info() & 0xF0) != XLOG_END_OF_RECOVERY) {
            return OptionalLong.empty();
        }
        OptionalLong value = mainDataLong(r, 8);
        if (value.isEmpty()) {
            return value;
        }
        long raw = value.getAsLong();
        long thisTli = raw & 0xFFFF_FFFFL;
        long prevTli = raw >>> 32;
        return OptionalLong.of(thisTli << 32 | prevTli);
    }

    /** A PostgreSQL timestamp (microseconds since 2000-01-01 UTC) as an instant. */
    public static Instant toInstant(long postgresMicros) {
        return Instant.ofEpochSecond(POSTGRES_EPOCH_SECONDS + Math.floorDiv(postgresMicros, 1_000_000L),
            Math.floorMod(postgresMicros, 1_000_000L) * 1000L);
    }

    /** An instant as a PostgreSQL timestamp, microseconds since 2000-01-01 UTC. */
    public static long toPostgresMicros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond() - POSTGRES_EPOCH_SECONDS, 1_000_000L),
            instant.getNano() / 1000);
    }

    /** Eight little-endian bytes at {@code offset} into the record's main data, if they are in the prefix. */
    static OptionalLong mainDataLong(WalWalker.Record r, int offset) {
        long start = mainDataStart(r);
        if (start < 0 || start + offset + 8 > r.prefixLength() || start + offset + 8 > r.totalLength()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(ByteBuffer.wrap(r.prefix(), (int) start + offset, 8).order(ByteOrder.LITTLE_ENDIAN)
            .getLong());
    }

    /** Offset of the main data in the record, or -1 if there is none or the headers are not readable. */
    static long mainDataStart(WalWalker.Record r) {
        byte[] p = r.prefix();
        int limit = r.prefixLength();
        ByteBuffer le = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        long total = r.totalLength();
        int pos = WalWalker.RECORD_HEADER;
        long mainLength = 0;
        while (pos < total) {
            if (pos >= limit) {
                return -1;
            }
            int id = p[pos++] & 0xFF;
            if (id == 255) {
                if (pos + 1 > limit) {
                    return -1;
                }
                mainLength = p[pos] & 0xFF;
                break;
            } else if (id == 254) {
                if (pos + 4 > limit) {
                    return -1;
                }
                mainLength = le.getInt(pos) & 0xFFFF_FFFFL;
                break;
            } else if (id == 253) {
                pos += 2;
            } else if (id == 252) {
                pos += 4;
            } else if (id <= 32) {
                if (pos + 3 > limit) {
                    return -1;
                }
                int forkFlags = p[pos] & 0xFF;
                pos += 3;
                if ((forkFlags & 0x10) != 0) {
                    if (pos + 5 > limit) {
                        return -1;
                    }
                    int imageInfo = p[pos + 4] & 0xFF;
                    pos += 5;
                    if ((imageInfo & 0x01) != 0 && (imageInfo & (0x04 | 0x08 | 0x10)) != 0) {
                        pos += 2;
                    }
                }
                if ((forkFlags & 0x80) == 0) {
                    pos += 12;
                }
                pos += 4;
            } else {
                return -1;
            }
        }
        if (mainLength == 0 || mainLength > total) {
            return -1;
        }
        return total - mainLength;
    }
}
