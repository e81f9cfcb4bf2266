package dev.drkit.backup.postgres.wal;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Walks the records of consecutive WAL segments the way PostgreSQL 15's {@code xlogreader.c} reads them: every page
 * header (magic, flags, page address, timeline, and the long header's system identifier, segment size and block
 * size on a segment's first page, checked even when the walk starts past that page), every record header (length, resource manager, link to the previous record),
 * records that continue across pages and segments ({@code xlp_rem_len} must match), and each record's CRC-32C over
 * its data and then its header up to {@code xl_crc}. After an {@code XLOG_SWITCH} record the rest of the segment is
 * skipped, as recovery skips it.
 *
 * <p>Memory is bounded: one read buffer of whole pages, and the first {@link #PREFIX_BYTES} bytes of the current
 * record, whatever the record's length. Lengths read from the files are checked before they are used. The walker
 * stops at the first problem and reports it to its {@link Sink}; it is not thread-safe.
 *
 * @since 0.1
 */
public final class WalWalker {

    /** {@code XLOG_PAGE_MAGIC} of PostgreSQL 15. */
    public static final int PAGE_MAGIC_PG15 = 0xD110;
    /** The largest record PostgreSQL writes ({@code XLogRecordMaxSize}). */
    public static final long MAX_RECORD_LENGTH = 1020L * 1024 * 1024;
    /** How many leading bytes of each record (header included) are kept for {@link Sink#record}. */
    public static final int PREFIX_BYTES = 512;
    /** Bytes read at once: large enough that a read's own cost is small beside the copy, small enough for L2. */
    static final int READ_BUFFER = 1 << 20;

    static final int SHORT_HEADER = 24;
    static final int LONG_HEADER = 40;
    static final int RECORD_HEADER = 24;
    static final int XLP_FIRST_IS_CONTRECORD = 0x1;
    static final int XLP_LONG_HEADER = 0x2;
    static final int XLP_FIRST_IS_OVERWRITE_CONTRECORD = 0x8;
    static final int XLP_ALL_FLAGS = 0xF;
    static final int RM_XLOG_ID = 0;
    static final int XLOG_SWITCH = 0x40;
    static final int RM_MAX_BUILTIN_ID = 21;
    static final int RM_MIN_CUSTOM_ID = 128;

    /** What kind of problem stopped the walk. */
    public enum Problem {
        /** A page header is wrong: magic, flags, page address, segment size or block size. */
        PAGE_HEADER,
        /** A segment's long header names another database cluster. */
        SYSTEM_IDENTIFIER,
        /** A page's timeline goes down, or is not the one the timeline history expects there. */
        TIMELINE,
        /** A record header is impossible: length, resource manager. */
        RECORD_HEADER,
        /** A record does not point back at the record before it. */
        PREV_LINK,
        /** A record's CRC-32C does not match. */
        RECORD_CRC,
        /** A record that should continue on the next page does not, or continues with the wrong length. */
        CONTINUATION,
        /** The segment file ended before its last page. */
        SHORT_SEGMENT
    }

    /** How a segment's walk ended. */
    public enum Outcome {
        /** The whole segment was read; the walk goes on in the next segment. */
        NEXT_SEGMENT,
        /** A switch record ended the segment early; the walk goes on at the next segment's start. */
        SWITCHED,
        /** Zero bytes where the next record should start: the WAL ends at {@link #position()}. */
        END_OF_WAL,
        /** A problem was reported to the sink; the walk cannot go on. */
        FAILED
    }

    /** A record, as handed to {@link Sink#record}; the object and its prefix are reused. */
    public static final class Record {
        long lsn;
        long end;
        long totalLength;
        int xid;
        long prev;
        int info;
        int rmid;
        final byte[] prefix = new byte[PREFIX_BYTES];
        int prefixLength;

        /** Where the record starts. */
        public long lsn() {
            return lsn;
        }

        /** Where the record ends (the byte after its last byte, before alignment). */
        public long end() {
            return end;
        }

        /** {@code xl_tot_len}. */
        public long totalLength() {
            return totalLength;
        }

        /** {@code xl_info}. */
        public int info() {
            return info;
        }

        /** {@code xl_rmid}. */
        public int rmid() {
            return rmid;
        }

        /** {@code xl_xid}. */
        public int xid() {
            return xid;
        }

        /** The record's first bytes, header included: {@link #prefixLength()} of them are valid. */
        public byte[] prefix() {
            return prefix;
        }

        /** How many bytes of {@link #prefix()} hold the record. */
        public int prefixLength() {
            return prefixLength;
        }
    }

    /** Receives what the walk finds. */
    public interface Sink {
        /**
         * A record of the WAL-control or transaction resource manager (the only ones the verifier decodes) whose
         * header, links and CRC are valid. Other records are checked just the same but not handed over.
         */
        void record(Record record);

        /** The problem that stops the walk, at an LSN, in words an operator can act on. */
        void problem(Problem problem, long lsn, String message);
    }

    /** Decides whether a page's timeline is the one expected at its address; returns why not, or null. */
    @FunctionalInterface
    public interface TimelineRule {
        @Nullable String check(long pageAddress, int pageTimeline);
    }

    private final Sink sink;
    private final int segmentSize;
    private final long systemIdentifier;
    private final int blockSize;
    /** Whole pages of the segment being walked; direct, so reads need no copy and CRC-32C runs on its memory. */
    private final ByteBuffer buffer;
    /** Absolute little-endian reads of {@link #buffer}, and a view of it for CRC-32C. */
    private final ByteBuffer le;
    private final ByteBuffer crcView;
    private final byte[] header = new byte[RECORD_HEADER];
    private final ByteBuffer headerLe = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private final Record record = new Record();

    private long next;
    private long prev;
    private boolean skipContinuation;
    private int lastPageTimeline;
    private boolean inRecord;
    private long remaining;
    private int headerFill;
    private long bytesRead;

    /**
     * @param sink             receives records and the problem that stops the walk
     * @param segmentSize      the WAL segment size (a power of two, 1 MiB to 1 GiB)
     * @param blockSize        the WAL block size (a power of two, 1 to 64 KiB)
     * @param systemIdentifier the database system identifier every segment must carry
     */
    public WalWalker(Sink sink, int segmentSize, int blockSize, long systemIdentifier) {
        this(sink, segmentSize, blockSize, systemIdentifier, READ_BUFFER);
    }

    /** As the public constructor, reading {@code readBuffer} bytes at a time (whole pages; tests use a few). */
    WalWalker(Sink sink, int segmentSize, int blockSize, long systemIdentifier, int readBuffer) {
        this.sink = sink;
        if (!isValidSegmentSize(segmentSize)) {
            throw new IllegalArgumentException("segment size must be a power of two from 1 MiB to 1 GiB, but was "
                + segmentSize);
        }
        if (blockSize < 1024 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two from 1 to 64 KiB, but was "
                + blockSize);
        }
        this.segmentSize = segmentSize;
        this.blockSize = blockSize;
        this.systemIdentifier = systemIdentifier;
        if (readBuffer < blockSize || readBuffer % blockSize != 0) {
            throw new IllegalArgumentException("the read buffer must hold whole pages, but was " + readBuffer);
        }
        this.buffer = ByteBuffer.allocateDirect(readBuffer);
        this.le = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.crcView = buffer.duplicate();
    }

    /** Whether {@code size} is a segment size PostgreSQL allows. */
    public static boolean isValidSegmentSize(long size) {
        return size >= (1 << 20) && size <= (1 << 30) && Long.bitCount(size) == 1;
    }

    /**
     * Sets where the walk starts: the LSN of a record (or a page or segment boundary just before one), and the LSN
     * of the record before it, or -1 if unknown (then the first record's link is not checked).
     */
    public void start(long lsn, long previousRecord) {
        this.next = lsn;
        this.prev = previousRecord;
        this.inRecord = false;
        this.skipContinuation = previousRecord < 0;
        this.lastPageTimeline = 0;
    }

    /** Where the next record starts (after a walk that ended between records), or where the WAL ended. */
    public long position() {
        return next;
    }

    /** The LSN of the last complete record, or -1. */
    public long previousRecord() {
        return prev;
    }

    /** Whether the walk is inside a record that continues in the next segment. */
    public boolean insideRecord() {
        return inRecord;
    }

    /** The start of the record being read when {@link #insideRecord()}. */
    public long recordStart() {
        return record.lsn;
    }

    /** The timeline of the last page read, or 0. */
    public int lastPageTimeline() {
        return lastPageTimeline;
    }

    /** Sets the timeline the next page must not go below (when resuming a walk). */
    public void lastPageTimeline(int timeline) {
        this.lastPageTimeline = timeline;
    }

    /** Bytes read from segment files so far. */
    public long bytesRead() {
        return bytesRead;
    }

    /** Walks one segment file whose segment number is {@code segno}. */
    public Outcome walkSegment(Path file, long segno, TimelineRule timelines) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return walkSegment(channel, segno, timelines);
        }
    }

    /**
     * Walks one segment read from {@code channel} (positioned reads; the channel is not closed). The file is read in
     * whole pages into one reused buffer: mapping it instead costs a page fault per 4 KiB, which took longer than
     * copying and checking the same bytes (see {@code WalVerifyBenchmark}).
     */
    public Outcome walkSegment(FileChannel channel, long segno, TimelineRule timelines) throws IOException {
        long segStart = segno * segmentSize;
        long segEnd = segStart + segmentSize;
        if (!inRecord && Long.compareUnsigned(next, segStart) < 0) {
            next = segStart;
        }
        long firstOffset = inRecord ? 0 : Math.max(0, (next - segStart) & ~((long) blockSize - 1));
        if (firstOffset >= segmentSize) {
            return Outcome.NEXT_SEGMENT;
        }
        int firstPage = (int) (firstOffset / blockSize);
        int page = firstPage;
        long fileEnd = firstOffset;
        try {
            if (firstPage > 0 && readPages(channel, 0, 1) == 1) {
                // the walk starts past the first page, whose long header alone names the cluster and the sizes:
                // check it as recovery does, or a foreign segment of the same name walks clean
                Outcome bad = longHeader(0, segStart);
                if (bad != null) {
                    return bad;
                }
            }
            int pagesPerRead = buffer.capacity() / blockSize;
            int lastPage = segmentSize / blockSize;
            while (page < lastPage) {
                int got = readPages(channel, (long) page * blockSize, Math.min(pagesPerRead, lastPage - page));
                fileEnd = (long) (page + got) * blockSize;
                if (got == 0) {
                    break;
                }
                for (int i = 0; i < got; i++, page++) {
                    long pageAddress = segStart + (long) page * blockSize;
                    Outcome outcome = page(i * blockSize, pageAddress, page == 0, timelines);
                    if (outcome == Outcome.SWITCHED) {
                        next = segEnd;
                        page++;
                        return outcome;
                    }
                    if (outcome != null) {
                        page++;
                        return outcome;
                    }
                }
            }
        } finally {
            bytesRead += (long) Math.max(0, page - firstPage) * blockSize;
        }
        if (fileEnd < segmentSize) {
            long size = channel.size();
            sink.problem(Problem.SHORT_SEGMENT, segStart + fileEnd, "the segment file ends at offset " + size
                + " (" + Lsn.format(segStart + size) + "); a segment is " + segmentSize + " bytes");
            return Outcome.FAILED;
        }
        return Outcome.NEXT_SEGMENT;
    }

    /**
     * Reads up to {@code count} whole pages from {@code offset} into the buffer; returns how many whole pages it
     * holds (fewer at the end of the file).
     */
    private int readPages(FileChannel channel, long offset, int count) throws IOException {
        buffer.clear().limit(count * blockSize);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                break;
            }
        }
        return buffer.position() / blockSize;
    }

    /** One page at {@code base} in the buffer; returns null to go on to the next page. */
    private @Nullable Outcome page(int base, long pageAddress, boolean firstInSegment, TimelineRule timelines) {
        int magic = le.getShort(base) & 0xFFFF;
        int info = le.getShort(base + 2) & 0xFFFF;
        int tli = le.getInt(base + 4);
        long address = le.getLong(base + 8);
        long remLen = le.getInt(base + 16) & 0xFFFF_FFFFL;
        if (magic != PAGE_MAGIC_PG15) {
            return fail(Problem.PAGE_HEADER, pageAddress, String.format(Locale.ROOT,
                "page header at %s has magic 0x%04X, expected 0x%04X (PostgreSQL 15)",
                Lsn.format(pageAddress), magic, PAGE_MAGIC_PG15));
        }
        if ((info & ~XLP_ALL_FLAGS) != 0) {
            return fail(Problem.PAGE_HEADER, pageAddress, String.format(Locale.ROOT,
                "page header at %s has invalid info bits 0x%04X", Lsn.format(pageAddress), info));
        }
        if (firstInSegment) {
            Outcome bad = longHeaderFields(base, pageAddress, info);
            if (bad != null) {
                return bad;
            }
        }
        if (address != pageAddress) {
            return fail(Problem.PAGE_HEADER, pageAddress, "page header at " + Lsn.format(pageAddress)
                + " carries page address " + Lsn.format(address) + " (stale, misplaced or damaged page)");
        }
        if (Integer.compareUnsigned(tli, lastPageTimeline) < 0) {
            return fail(Problem.TIMELINE, pageAddress, "page at " + Lsn.format(pageAddress) + " is on timeline "
                + Integer.toUnsignedString(tli) + ", after a page on timeline " + lastPageTimeline
                + " (timelines must not go down)");
        }
        String timelineProblem = timelines.check(pageAddress, tli);
        if (timelineProblem != null) {
            return fail(Problem.TIMELINE, pageAddress, timelineProblem);
        }
        lastPageTimeline = tli;
        int headerSize = (info & XLP_LONG_HEADER) != 0 ? LONG_HEADER : SHORT_HEADER;
        int pos = headerSize;
        boolean continues = (info & XLP_FIRST_IS_CONTRECORD) != 0;
        if (inRecord) {
            if (!continues && (info & XLP_FIRST_IS_OVERWRITE_CONTRECORD) != 0) {
                // the rest of the record was never written; PostgreSQL overwrote it after a crash
                inRecord = false;
                prev = -1;
                next = pageAddress + headerSize;
            } else if (!continues) {
                return fail(Problem.CONTINUATION, record.lsn, "record at " + Lsn.format(record.lsn)
                    + " continues on the page at " + Lsn.format(pageAddress)
                    + ", which does not say it continues a record");
            } else if (remLen != remaining) {
                return fail(Problem.CONTINUATION, record.lsn, "record at " + Lsn.format(record.lsn) + " has "
                    + remaining + " bytes left, but the page at " + Lsn.format(pageAddress) + " says " + remLen);
            }
        } else if (Long.compareUnsigned(next, pageAddress + pos) > 0) {
            pos = (int) (next - pageAddress);
        } else if (continues) {
            if (!skipContinuation) {
                return fail(Problem.CONTINUATION, pageAddress + pos, "page at " + Lsn.format(pageAddress)
                    + " says it continues a record, but the record before it ended at " + Lsn.format(next));
            }
            // starting without knowing the record before: skip the rest of the record this page continues
            long skip = Lsn.align8(remLen);
            if (skip >= blockSize - pos) {
                return null;
            }
            pos += (int) skip;
            next = pageAddress + pos;
        } else {
            next = pageAddress + pos;
        }
        skipContinuation = false;
        while (pos < blockSize) {
            if (!inRecord) {
                long totalLength = le.getInt(base + pos) & 0xFFFF_FFFFL;
                next = pageAddress + pos;
                if (totalLength == 0) {
                    return Outcome.END_OF_WAL;
                }
                if (totalLength < RECORD_HEADER || totalLength > MAX_RECORD_LENGTH) {
                    return fail(Problem.RECORD_HEADER, next, "record at " + Lsn.format(next)
                        + " has an impossible length " + totalLength);
                }
                inRecord = true;
                record.lsn = next;
                record.totalLength = totalLength;
                record.prefixLength = 0;
                remaining = totalLength;
                headerFill = 0;
                crc.reset();
            }
            int n = (int) Math.min(remaining, blockSize - pos);
            int from = base + pos;
            int headerPart = Math.min(n, RECORD_HEADER - headerFill);
            if (headerPart > 0) {
                le.get(from, header, headerFill, headerPart);
                headerFill += headerPart;
                if (headerFill == RECORD_HEADER) {
                    Outcome bad = checkHeader();
                    if (bad != null) {
                        return bad;
                    }
                }
            }
            // only records the verifier decodes keep their first bytes: WAL-control and transaction records
            int prefixPart = record.rmid <= WalRecords.RM_XACT_ID || headerFill < RECORD_HEADER
                ? Math.min(n, PREFIX_BYTES - record.prefixLength) : 0;
            if (prefixPart > 0) {
                le.get(from, record.prefix, record.prefixLength, prefixPart);
                record.prefixLength += prefixPart;
            }
            if (n > headerPart) {
                crcView.limit(from + n).position(from + headerPart);
                crc.update(crcView);
            }
            pos += n;
            remaining -= n;
            if (remaining > 0) {
                return null;
            }
            inRecord = false;
            crc.update(header, 0, 20);
            int stored = headerLe.getInt(20);
            if ((int) crc.getValue() != stored) {
                return fail(Problem.RECORD_CRC, record.lsn, String.format(Locale.ROOT,
                    "record at %s (%d bytes) has CRC-32C %08x, computed %08x", Lsn.format(record.lsn),
                    record.totalLength, stored, (int) crc.getValue()));
            }
            record.end = pageAddress + pos;
            prev = record.lsn;
            next = Lsn.align8(record.end);
            if (record.rmid <= WalRecords.RM_XACT_ID) {
                sink.record(record);
            }
            if (record.rmid == RM_XLOG_ID && (record.info & 0xF0) == XLOG_SWITCH) {
                return Outcome.SWITCHED;
            }
            pos = (int) (next - pageAddress);
        }
        return null;
    }

    /**
     * The first page's header when the walk does not read that page: magic, flags, page address, and the long
     * header's system identifier and sizes.
     */
    private @Nullable Outcome longHeader(int base, long pageAddress) {
        int magic = le.getShort(base) & 0xFFFF;
        int info = le.getShort(base + 2) & 0xFFFF;
        long address = le.getLong(base + 8);
        if (magic != PAGE_MAGIC_PG15 || (info & ~XLP_ALL_FLAGS) != 0) {
            return fail(Problem.PAGE_HEADER, pageAddress, String.format(Locale.ROOT,
                "the first page of the segment at %s has magic 0x%04X and info bits 0x%04X, expected magic 0x%04X"
                    + " (PostgreSQL 15)", Lsn.format(pageAddress), magic, info, PAGE_MAGIC_PG15));
        }
        Outcome bad = longHeaderFields(base, pageAddress, info);
        if (bad != null) {
            return bad;
        }
        if (address != pageAddress) {
            return fail(Problem.PAGE_HEADER, pageAddress, "page header at " + Lsn.format(pageAddress)
                + " carries page address " + Lsn.format(address) + " (stale, misplaced or damaged page)");
        }
        return null;
    }

    /** The long header of a segment's first page: present, this cluster's system identifier, these sizes. */
    private @Nullable Outcome longHeaderFields(int base, long pageAddress, int info) {
        if ((info & XLP_LONG_HEADER) == 0) {
            return fail(Problem.PAGE_HEADER, pageAddress, "the first page of the segment at "
                + Lsn.format(pageAddress) + " has no long header");
        }
        long sysid = le.getLong(base + 24);
        int segSize = le.getInt(base + 32);
        int blcksz = le.getInt(base + 36);
        if (sysid != systemIdentifier) {
            return fail(Problem.SYSTEM_IDENTIFIER, pageAddress, "the segment at " + Lsn.format(pageAddress)
                + " belongs to database system " + Long.toUnsignedString(sysid) + ", not "
                + Long.toUnsignedString(systemIdentifier) + " (the base backup's)");
        }
        if (segSize != segmentSize || blcksz != blockSize) {
            return fail(Problem.PAGE_HEADER, pageAddress, "the segment at " + Lsn.format(pageAddress)
                + " says segment size " + Integer.toUnsignedString(segSize) + " and block size "
                + Integer.toUnsignedString(blcksz) + ", expected " + segmentSize + " and " + blockSize);
        }
        return null;
    }

    private @Nullable Outcome checkHeader() {
        record.xid = headerLe.getInt(4);
        record.prev = headerLe.getLong(8);
        record.info = header[16] & 0xFF;
        record.rmid = header[17] & 0xFF;
        if (record.rmid > RM_MAX_BUILTIN_ID && record.rmid < RM_MIN_CUSTOM_ID) {
            return fail(Problem.RECORD_HEADER, record.lsn, "record at " + Lsn.format(record.lsn)
                + " names resource manager " + record.rmid + ", which does not exist");
        }
        if (prev >= 0 && record.prev != prev) {
            return fail(Problem.PREV_LINK, record.lsn, "record at " + Lsn.format(record.lsn)
                + " links back to " + Lsn.format(record.prev) + ", but the record before it is at "
                + Lsn.format(prev));
        }
        return null;
    }

    private Outcome fail(Problem problem, long lsn, String message) {
        sink.problem(problem, lsn, message);
        return Outcome.FAILED;
    }
}
