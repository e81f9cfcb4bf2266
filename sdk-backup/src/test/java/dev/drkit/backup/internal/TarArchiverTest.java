package dev.drkit.backup.internal;

import dev.drkit.backup.ManifestEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the archiver writes for each entry of a tree, and what it hands to the manifest. */
class TarArchiverTest {

    @Test
    void headersCarryWholeSecondsAndTheManifestTheExactTime(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path sub = Files.createDirectories(root.resolve("sub"));
        Path file = Files.writeString(sub.resolve("file.txt"), "some text");
        Path link = Files.createSymbolicLink(root.resolve("link"), Path.of("sub/file.txt"));
        Path longName = Files.writeString(sub.resolve("n".repeat(120)), "x");
        Map<String, Instant> times = new LinkedHashMap<>();
        times.put("link", Instant.parse("2026-02-03T04:05:06.123456789Z"));
        times.put("sub/file.txt", Instant.parse("2026-02-03T04:05:07.999999999Z"));
        times.put("sub/" + "n".repeat(120), Instant.parse("2026-02-03T04:05:08.5Z"));
        times.put("sub", Instant.parse("2026-02-03T04:05:09.000000001Z"));
        for (Map.Entry<String, Instant> time : times.entrySet()) {
            Path path = root.resolve(time.getKey());
            Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(time.getValue()), null, null);
            // as the file system keeps it (a link's time may be set to the microsecond only)
            time.setValue(Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS).toInstant());
            assertThat(time.getValue().getNano()).as(time.getKey()).isNotZero();
        }
        assertThat(List.of(file, link, longName)).allMatch(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS));

        List<ManifestEntry> listed = new ArrayList<>();
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        int count = TarArchiver.write(root, tar, listed::add);

        assertThat(count).isEqualTo(4);
        for (ManifestEntry entry : listed) {
            assertThat(entry.mtime()).as(entry.path()).isEqualTo(times.get(entry.path()));
        }
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()),
            "UTF-8")) {
            int read = 0;
            for (TarArchiveEntry entry; (entry = in.getNextEntry()) != null; read++) {
                String name = entry.getName().endsWith("/") ? entry.getName().substring(0, entry.getName().length()
                    - 1) : entry.getName();
                Instant exact = times.get(name);
                assertThat(entry.getLastModifiedTime().toInstant()).as(name)
                    .isEqualTo(Instant.ofEpochSecond(exact.getEpochSecond()));
            }
            assertThat(read).isEqualTo(4);
        }
        // only the name too long for its header needs a PAX header (its path); a time never does
        assertThat(paxHeaders(tar.toByteArray())).isEqualTo(1);
    }

    /** The number of PAX extended headers (type 'x') among the archive's headers. */
    private static int paxHeaders(byte[] tar) {
        int count = 0;
        for (int block = 0; block + 512 <= tar.length; ) {
            if (tar[block] == 0) {
                break;  // the end-of-archive blocks
            }
            long size = Long.parseLong(new String(tar, block + 124, 11, StandardCharsets.US_ASCII).trim(), 8);
            if (tar[block + 156] == 'x') {
                count++;
            }
            block += 512 + (int) ((size + 511) / 512) * 512;
        }
        return count;
    }
}
