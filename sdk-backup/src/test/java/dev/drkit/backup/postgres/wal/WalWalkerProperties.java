package dev.drkit.backup.postgres.wal;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

/**
 * Properties of the walker over synthetic WAL written here the way PostgreSQL lays it out (page headers, records
 * aligned to 8 bytes, records continued across pages and segments with {@code xlp_rem_len}, CRC-32C over data then
 * header): a clean stream walks clean with every record found, and any single damaged byte that recovery reads is
 * noticed.
 */
class WalWalkerProperties {

    private static final int SEGMENT = 1 << 20;
    private static final int BLOCK = 8192;
    /** Three pages: the walker refills its buffer 43 times a segment, the last time with two pages. */
    private static final int READ_BUFFER = 3 * BLOCK;
    private static final long SYSID = 7_311_000_000_000_000_042L;
    private static final long FIRST_SEGNO = 5;
    private static final int SEGMENTS = 2;
    private static final Path DIR;
    private static final List<Synthetic> STREAMS = new ArrayList<>();
    private static final List<int[]> READ_OFFSETS = new ArrayList<>();

    static {
        try {
            DIR = Files.createTempDirectory("wal-properties");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (int seed = 0; seed < 4; seed++) {
            Synthetic s = Synthetic.write(new Random(seed));
            STREAMS.add(s);
            int count = 0;
            for (boolean read : s.read()) {
                count += read ? 1 : 0;
            }
            int[] offsets = new int[count];
            for (int i = 0, j = 0; i < s.read().length; i++) {
                if (s.read()[i]) {
                    offsets[j++] = i;
                }
            }
            READ_OFFSETS.add(offsets);
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        try (var files = Files.list(DIR)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.delete(f);
            }
        }
        Files.delete(DIR);
    }

    /** A WAL stream over {@link #SEGMENTS} segments, and which bytes of it recovery reads. */
    record Synthetic(byte[] bytes, boolean[] read, List<Long> records, long end) {

        static Synthetic write(Random random) {
            byte[] wal = new byte[SEGMENTS * SEGMENT];
            boolean[] read = new boolean[wal.length];
            ByteBuffer le = ByteBuffer.wrap(wal).order(ByteOrder.LITTLE_ENDIAN);
            long base = FIRST_SEGNO * SEGMENT;
            // every page gets a header first; continuation flags are set as records are written
            for (int page = 0; page < wal.length / BLOCK; page++) {
                int at = page * BLOCK;
                boolean first = at % SEGMENT == 0;
                le.putShort(at, (short) WalWalker.PAGE_MAGIC_PG15);
                le.putShort(at + 2, (short) (first ? WalWalker.XLP_LONG_HEADER : 0));
                le.putInt(at + 4, 1);
                le.putLong(at + 8, base + at);
                if (first) {
                    le.putLong(at + 24, SYSID);
                    le.putInt(at + 32, SEGMENT);
                    le.putInt(at + 36, BLOCK);
                }
            }
            List<Long> records = new ArrayList<>();
            int pos = WalWalker.LONG_HEADER;
            long prev = base - 64;
            CRC32C crc = new CRC32C();
            while (pos < wal.length - 60_000) {
                int dataLength = random.nextInt(10) == 0 ? random.nextInt(40_000) : random.nextInt(300);
                int total = WalWalker.RECORD_HEADER + dataLength;
                byte[] record = new byte[total];
                random.nextBytes(record);
                ByteBuffer r = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
                r.putInt(0, total);
                r.putLong(8, prev);
                record[17] = (byte) (2 + random.nextInt(19));      // a built-in resource manager other than XLOG/XACT
                crc.reset();
                crc.update(record, WalWalker.RECORD_HEADER, dataLength);
                crc.update(record, 0, 20);
                r.putInt(20, (int) crc.getValue());
                long lsn = base + pos;
                records.add(lsn);
                for (int i = 0; i < total; i++) {
                    if (pos % BLOCK == 0) {
                        // a new page in the middle of the record: it continues here
                        le.putShort(pos + 2, (short) (le.getShort(pos + 2) | WalWalker.XLP_FIRST_IS_CONTRECORD));
                        le.putInt(pos + 16, total - i);
                        markHeaderRead(read, pos, true);
                        pos += pos % SEGMENT == 0 ? WalWalker.LONG_HEADER : WalWalker.SHORT_HEADER;
                    }
                    wal[pos] = record[i];
                    read[pos] = true;
                    pos++;
                }
                prev = lsn;
                pos = (int) Lsn.align8(pos);
                if (pos % BLOCK == 0 && pos < wal.length) {
                    markHeaderRead(read, pos, false);
                    pos += pos % SEGMENT == 0 ? WalWalker.LONG_HEADER : WalWalker.SHORT_HEADER;
                } else if (pos % BLOCK != 0) {
                    markHeaderRead(read, pos - pos % BLOCK, false);
                }
            }
            markHeaderRead(read, pos - pos % BLOCK, false);
            return new Synthetic(wal, read, records, base + pos);
        }

        /** The page header bytes recovery checks: magic, flags, timeline, address; the remaining length if it continues. */
        private static void markHeaderRead(boolean[] read, int page, boolean continues) {
            for (int i = 0; i < 16; i++) {
                read[page + i] = true;
            }
            for (int i = 16; i < 20; i++) {
                read[page + i] |= continues;
            }
            if (page % SEGMENT == 0) {
                for (int i = 24; i < 40; i++) {
                    read[page + i] = true;
                }
            }
        }
    }

    /** What a walk found. */
    record Walk(List<Long> records, List<String> problems, boolean insideRecord, long position) {
    }

    static Walk walk(byte[] wal) throws IOException {
        List<Long> records = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        // the walker hands over XLOG and XACT records only, and these streams have none: a walk is judged by where
        // it ends and what it reports
        WalWalker walker = new WalWalker(new WalWalker.Sink() {
            @Override
            public void record(WalWalker.Record record) {
                records.add(record.lsn());
            }

            @Override
            public void problem(WalWalker.Problem problem, long lsn, String message) {
                problems.add(problem + ": " + message);
            }
        }, SEGMENT, BLOCK, SYSID, READ_BUFFER);
        walker.start(FIRST_SEGNO * SEGMENT, -1);
        for (int s = 0; s < SEGMENTS; s++) {
            Path file = Files.createTempFile(DIR, "seg", "");
            try {
                byte[] segment = new byte[SEGMENT];
                System.arraycopy(wal, s * SEGMENT, segment, 0, SEGMENT);
                Files.write(file, segment);
                WalWalker.Outcome outcome = walker.walkSegment(file, FIRST_SEGNO + s,
                    (address, tli) -> tli == 1 ? null : "page at " + Lsn.format(address) + " is on timeline " + tli);
                if (outcome == WalWalker.Outcome.FAILED || outcome == WalWalker.Outcome.END_OF_WAL) {
                    break;
                }
            } finally {
                Files.delete(file);
            }
        }
        return new Walk(records, problems, walker.insideRecord(), walker.position());
    }

    @Test
    void cleanStreamsWalkCleanToTheirEnd() throws IOException {
        for (Synthetic s : STREAMS) {
            Walk walk = walk(s.bytes());

            assertThat(walk.problems()).isEmpty();
            assertThat(walk.insideRecord()).isFalse();
            assertThat(walk.position()).isEqualTo(s.end());
            assertThat(s.records().size()).isGreaterThan(100);
        }
    }

    @Test
    void foreignSegmentIsCaughtWhenTheWalkStartsPastItsFirstPage() throws IOException {
        // a base backup's WAL starts at a record a few pages into its segment
        Synthetic s = STREAMS.get(0);
        long base = FIRST_SEGNO * SEGMENT;
        int k = 1;
        while (s.records().get(k) - base < 3 * BLOCK) {
            k++;
        }
        long start = s.records().get(k);
        long prev = s.records().get(k - 1);
        Path file = Files.createTempFile(DIR, "seg", "");
        try {
            Files.write(file, java.util.Arrays.copyOf(s.bytes(), SEGMENT));

            assertThat(walkFrom(file, start, prev, SYSID)).isEmpty();
            assertThat(walkFrom(file, start, prev, SYSID + 1)).singleElement().asString()
                .startsWith("SYSTEM_IDENTIFIER at " + Lsn.format(base) + ": the segment at " + Lsn.format(base)
                    + " belongs to database system "
                    + SYSID);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aSegmentFileCutShortEndsTheWalkWhereItsLastWholePageEnds() throws IOException {
        Synthetic s = STREAMS.get(0);
        long base = FIRST_SEGNO * SEGMENT;
        int cut = SEGMENT / 2 + 100;    // half a segment and part of a page
        List<String> problems = new ArrayList<>();
        WalWalker walker = walker(problems, SYSID);
        walker.start(base, -1);
        Path file = Files.createTempFile(DIR, "seg", "");
        try {
            Files.write(file, java.util.Arrays.copyOf(s.bytes(), cut));

            assertThat(walker.walkSegment(file, FIRST_SEGNO, (address, tli) -> null))
                .isEqualTo(WalWalker.Outcome.FAILED);
        } finally {
            Files.delete(file);
        }
        long lastWholePage = base + (long) (cut / BLOCK) * BLOCK;
        assertThat(problems).singleElement().asString().isEqualTo("SHORT_SEGMENT at " + Lsn.format(lastWholePage)
            + ": the segment file ends at offset " + cut + " (" + Lsn.format(base + cut) + "); a segment is "
            + SEGMENT + " bytes");
        assertThat(walker.bytesRead()).isEqualTo(lastWholePage - base);
    }

    private static List<String> walkFrom(Path segment, long start, long prev, long systemIdentifier)
        throws IOException {
        List<String> problems = new ArrayList<>();
        WalWalker walker = walker(problems, systemIdentifier);
        walker.start(start, prev);
        walker.walkSegment(segment, FIRST_SEGNO, (address, tli) -> null);
        return problems;
    }

    /** A walker that adds each problem to {@code problems} as {@code PROBLEM at LSN: message}. */
    private static WalWalker walker(List<String> problems, long systemIdentifier) {
        return new WalWalker(new WalWalker.Sink() {
            @Override
            public void record(WalWalker.Record record) {
            }

            @Override
            public void problem(WalWalker.Problem problem, long lsn, String message) {
                problems.add(problem + " at " + Lsn.format(lsn) + ": " + message);
            }
        }, SEGMENT, BLOCK, systemIdentifier, READ_BUFFER);
    }

    @Test
    void anyDamagedByteThatRecoveryReadsIsNoticed() {
        qt().withExamples(100).forAll(integers().between(0, STREAMS.size() - 1), integers().all(),
            integers().between(1, 255)).checkAssert((stream, pick, mask) -> {
                Synthetic s = STREAMS.get(stream);
                int[] readOffsets = READ_OFFSETS.get(stream);
                int offset = readOffsets[Math.floorMod(pick, readOffsets.length)];
                byte[] damaged = s.bytes().clone();
                damaged[offset] ^= (byte) (int) mask;

                Walk walk;
                try {
                    walk = walk(damaged);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }

                // noticed: a problem is reported, or the walk does not get as far as the clean one
                boolean noticed = !walk.problems().isEmpty() || walk.insideRecord() || walk.position() != s.end();
                assertThat(noticed).as("byte %d (0x%x) xor %d", offset, offset, mask).isTrue();
            });
    }
}
