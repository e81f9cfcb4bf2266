package dev.drkit.backup.internal;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/** Backup ids sortable by time: {@code 20261123T142501Z-1a2b3c4d} (UTC second, then 32 random bits). */
public final class BackupIds {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private BackupIds() {
    }

    /** A new id for a backup started at {@code time}. */
    public static String next(Instant time) {
        byte[] random = new byte[4];
        RANDOM.nextBytes(random);
        return STAMP.format(time) + "-" + HexFormat.of().formatHex(random);
    }

    /** {@code time} as in ids and {@code .pre-restore-} names: {@code 20261123T142501Z}. */
    public static String stamp(Instant time) {
        return STAMP.format(time);
    }
}
