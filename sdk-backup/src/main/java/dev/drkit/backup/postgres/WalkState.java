package dev.drkit.backup.postgres;

import dev.drkit.backup.postgres.wal.Lsn;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/** Where a verification walk stopped, and what it had learnt, as saved between incremental runs. */
final class WalkState {

    static final String FORMAT = "drkit.wal-verify-state/1";
    private static final long MAX_BYTES = 64 * 1024;

    long systemIdentifier;
    long firstLsn = -1;
    int segmentSize;
    String timelines = "";
    long resume = -1;
    long prev = -1;
    int pageTimeline;
    long walkedTo = -1;
    boolean consistent;
    long newestBeforeConsistency = Long.MIN_VALUE;
    long newestAfterConsistency = Long.MIN_VALUE;

    WalkState copy() {
        WalkState c = new WalkState();
        c.systemIdentifier = systemIdentifier;
        c.firstLsn = firstLsn;
        c.segmentSize = segmentSize;
        c.timelines = timelines;
        c.resume = resume;
        c.prev = prev;
        c.pageTimeline = pageTimeline;
        c.walkedTo = walkedTo;
        c.consistent = consistent;
        c.newestBeforeConsistency = newestBeforeConsistency;
        c.newestAfterConsistency = newestAfterConsistency;
        return c;
    }

    static WalkState read(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new IOException("larger than a state file can be");
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        if (!FORMAT.equals(p.getProperty("format"))) {
            throw new IOException("not a " + FORMAT + " file");
        }
        WalkState s = new WalkState();
        s.systemIdentifier = Long.parseUnsignedLong(required(p, "systemIdentifier"));
        s.firstLsn = Lsn.parse(required(p, "firstLsn"));
        s.segmentSize = Integer.parseInt(required(p, "segmentSize"));
        s.timelines = required(p, "timelines");
        s.resume = Lsn.parse(required(p, "resume"));
        String prev = required(p, "prev");
        s.prev = prev.equals("-") ? -1 : Lsn.parse(prev);
        s.pageTimeline = Integer.parseInt(required(p, "pageTimeline"));
        s.walkedTo = Lsn.parse(required(p, "walkedTo"));
        s.consistent = Boolean.parseBoolean(required(p, "consistent"));
        s.newestBeforeConsistency = Long.parseLong(required(p, "newestCommitBeforeConsistency"));
        s.newestAfterConsistency = Long.parseLong(required(p, "newestCommitAfterConsistency"));
        return s;
    }

    void write(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("format", FORMAT);
        p.setProperty("systemIdentifier", Long.toUnsignedString(systemIdentifier));
        p.setProperty("firstLsn", Lsn.format(firstLsn));
        p.setProperty("segmentSize", Integer.toString(segmentSize));
        p.setProperty("timelines", timelines);
        p.setProperty("resume", Lsn.format(resume));
        p.setProperty("prev", prev < 0 ? "-" : Lsn.format(prev));
        p.setProperty("pageTimeline", Integer.toString(pageTimeline));
        p.setProperty("walkedTo", Lsn.format(Math.max(walkedTo, 0)));
        p.setProperty("consistent", Boolean.toString(consistent));
        p.setProperty("newestCommitBeforeConsistency", Long.toString(newestBeforeConsistency));
        p.setProperty("newestCommitAfterConsistency", Long.toString(newestAfterConsistency));
        Path dir = file.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                p.store(out, "drkit WAL archive verification: where the last walk stopped");
                out.flush();
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static String required(Properties p, String key) throws IOException {
        String value = p.getProperty(key);
        if (value == null) {
            throw new IOException("it has no " + key);
        }
        return value;
    }
}
