package dev.drkit.backup.internal;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

/**
 * The archiver's entries cut long names for the tar header in a few encodings rather than one per character; the
 * archive must be byte for byte what commons-compress writes on its own, and read back with the whole names.
 */
class TarHeaderNamesTest {

    private static final String EMOJI = "\uD83D\uDE00";   // one code point, two chars, four bytes in UTF-8

    @Test
    void namesAroundTheFieldLimitAreWrittenExactlyAsBefore() throws IOException {
        List<String> names = new ArrayList<>();
        for (int length = 95; length <= 105; length++) {
            names.add("a".repeat(length));
            names.add("\u00e9".repeat(length / 2) + "x");
            names.add("\u4e2d".repeat(length / 3) + "yz");
            names.add("b".repeat(length - 3) + EMOJI + "c");
            names.add("d".repeat(length - 1) + EMOJI);
        }
        names.add("deep/".repeat(800) + "file");
        names.add(EMOJI.repeat(60));
        names.add("e".repeat(99) + "\uD83D");   // a lone surrogate: commons-compress escapes it in the header
        for (String name : names) {
            assertSame(name, name.length() % 3 == 0 ? "t".repeat(name.length()) : name);
        }
    }

    @Test
    void randomNamesAreWrittenExactlyAsBefore() {
        // code points below the surrogates; pairs are among the names above
        Gen<String> text = SourceDSL.strings().betweenCodePoints(0x20, 0xD7FF).ofLengthBetween(1, 400);
        qt().withExamples(300).forAll(text, text).checkAssert(TarHeaderNamesTest::assertSame);
    }

    @Test
    void aNameThatSurelyFitsFitsInUtf8() {
        Gen<String> text = SourceDSL.strings().allPossible().ofLengthBetween(0, 120);
        qt().withExamples(2000).forAll(text).checkAssert(name -> {
            if (TarArchiver.HeaderEntry.surelyFits(name)) {
                assertThat(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(
                    TarConstants.NAMELEN);
            }
        });
        assertThat(TarArchiver.HeaderEntry.surelyFits("a".repeat(TarConstants.NAMELEN))).isTrue();
        assertThat(TarArchiver.HeaderEntry.surelyFits("a".repeat(TarConstants.NAMELEN + 1))).isFalse();
        assertThat(TarArchiver.HeaderEntry.surelyFits(EMOJI.repeat(17))).isFalse();
    }

    private static void assertSame(String name, String linkTarget) {
        try {
            for (byte type : new byte[] {TarConstants.LF_NORMAL, TarConstants.LF_DIR, TarConstants.LF_SYMLINK}) {
                String entryName = type == TarConstants.LF_DIR ? name + "/" : name;
                byte[] plain = archive(new TarArchiveEntry(entryName, type), type, linkTarget);
                byte[] ours = archive(new TarArchiver.HeaderEntry(entryName, type), type, linkTarget);
                assertThat(ours).as("%s (%d chars)", type, name.length()).isEqualTo(plain);
                if (hasLoneSurrogate(name) || hasLoneSurrogate(linkTarget)) {
                    continue;   // not a name a file system gives; it cannot be read back as it was
                }
                try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(ours), "UTF-8")) {
                    TarArchiveEntry read = in.getNextEntry();
                    assertThat(read.getName()).isEqualTo(new TarArchiveEntry(entryName, type).getName());
                    if (type == TarConstants.LF_SYMLINK) {
                        assertThat(read.getLinkName()).isEqualTo(linkTarget);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean hasLoneSurrogate(String text) {
        return !text.equals(new String(text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            java.nio.charset.StandardCharsets.UTF_8));
    }

    private static byte[] archive(TarArchiveEntry entry, byte type, String linkTarget) throws IOException {
        entry.setModTime(FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        entry.setUserName("");
        entry.setGroupName("");
        if (type == TarConstants.LF_SYMLINK) {
            entry.setLinkName(linkTarget);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            tar.putArchiveEntry(entry);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }
}
