package dev.drkit.backup.postgres;

import dev.drkit.backup.postgres.wal.BaseBackup;
import dev.drkit.backup.postgres.wal.Lsn;
import dev.drkit.postgres.PgCluster;
import dev.drkit.postgres.ReplicaOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The verifier against a real archive from PostgreSQL 15 ({@link PitrArchive}), clean and with each fault the
 * issue lists injected into a copy.
 */
class WalArchiveVerifierTest {

    private static PitrArchive pitr;

    @BeforeAll
    static void buildArchive() throws Exception {
        pitr = PitrArchive.build();
    }

    @AfterAll
    static void removeArchive() throws IOException {
        if (pitr != null) {
            pitr.close();
        }
    }

    private static WalArchiveVerifier.Builder verifier(Path archive, Path base) {
        return WalArchiveVerifier.builder().archive(archive).baseBackup(base);
    }

    private static ArchiveFault onlyFault(ArchiveReport report) {
        assertThat(report.faults()).as(report.toText()).hasSize(1);
        return report.faults().get(0);
    }

    // ------------------------------------------------------------------ clean

    @Test
    void anEmptyArchiveIsAFaultNotAPass(@org.junit.jupiter.api.io.TempDir Path empty) {
        ArchiveReport report = WalArchiveVerifier.builder().archive(empty).build().verify();

        assertThat(report.ok()).as(report.toText()).isFalse();
        ArchiveFault fault = onlyFault(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.MISSING_SEGMENT);
        assertThat(fault.message()).contains("no WAL segment");
    }


    @Test
    void cleanArchiveAcrossAFailoverVerifiesClean() throws IOException {
        ArchiveReport report = verifier(pitr.archive, pitr.baseBackup).build().verify();

        assertThat(report.faults()).as(report.toText()).isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.targetTimeline()).isEqualTo(2);
        assertThat(report.consistent()).isTrue();
        assertThat(report.ranges()).extracting(VerifiedRange::timeline).containsExactly(1, 2);
        assertThat(report.systemIdentifier()).isEqualTo(pitr.promoted.systemIdentifier());
        // the walk reaches the newest segment of timeline 2
        List<String> tl2 = PitrArchive.segments(pitrArchive(), 2);
        long lastSegno = Long.parseLong(tl2.get(tl2.size() - 1).substring(16), 16)
            + (Long.parseLong(tl2.get(tl2.size() - 1).substring(8, 16), 16) << 8);
        assertThat(report.walkedTo()).isGreaterThan(lastSegno * pitr.segmentSize);
        assertThat(report.toJson()).contains("\"ok\":true").contains("\"format\":\"drkit.wal-archive-report/1\"");
    }

    private static Path pitrArchive() {
        return pitr.archive;
    }

    @Test
    void newestReachablePointIsTheLastCommitAndTheEarliestIsTheBackupStart() {
        ArchiveReport report = verifier(pitr.archive, pitr.baseBackup).build().verify();

        assertThat(report.newestReachable()).hasValueSatisfying(newest ->
            assertThat(newest).isCloseTo(pitr.lastCommitted, within(Duration.ofSeconds(2))));
        assertThat(report.earliestReachable()).hasValueSatisfying(earliest ->
            assertThat(earliest).isBetween(pitr.backupStarted.minusSeconds(2), pitr.phaseOneCommitted));
    }

    @Test
    void targetBetweenTheBackupAndTheLastCommitIsReachable() {
        ArchiveReport report = verifier(pitr.archive, pitr.baseBackup).targetTime(pitr.phaseOneCommitted).build()
            .verify();

        assertThat(report.verdict()).hasValueSatisfying(v -> {
            assertThat(v.reachable()).as(v.reason()).isTrue();
            assertThat(v.target()).isEqualTo(pitr.phaseOneCommitted);
        });
        assertThat(report.ok()).isTrue();
    }

    @Test
    void targetOlderThanTheBaseBackupIsNotReachable() {
        Instant before = pitr.backupStarted.minusSeconds(60);

        ArchiveReport report = verifier(pitr.archive, pitr.baseBackup).targetTime(before).build().verify();

        assertThat(report.ok()).isFalse();
        assertThat(report.verdict().orElseThrow().reachable()).isFalse();
        ArchiveFault fault = onlyFault(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.TARGET_UNREACHABLE);
        assertThat(fault.message()).contains("before the base backup");
    }

    @Test
    void backupStartInAnAmbiguousTimeZoneIsUnknownAndNoTargetIsVouchedFor() throws IOException {
        // log_timezone = 'America/Chicago' and 'Asia/Shanghai' both write CST, six hours after UTC and eight before
        Path base = pitr.copyOfBaseBackup("label-in-cst");
        Path label = base.resolve("backup_label");
        String text = Files.readString(label).replaceFirst("(?m)^(START TIME: \\S+ \\S+) \\S+$", "$1 CST");
        Files.delete(label);   // a hard link to the original's
        Files.writeString(label, text);

        ArchiveReport report = verifier(pitr.archive, base).checkBaseBackupFiles(false)
            .targetTime(pitr.phaseOneCommitted).build().verify();

        assertThat(report.consistent()).isTrue();
        assertThat(report.earliestReachable()).isEmpty();
        assertThat(report.warnings()).anySatisfy(w -> assertThat(w).contains("START TIME cannot be read"));
        assertThat(report.verdict().orElseThrow().reachable()).isFalse();
        assertThat(onlyFault(report).message()).contains("start time is unknown");
    }

    @Test
    void targetNewerThanTheArchiveReachesIsNotReachable() {
        Instant after = pitr.lastCommitted.plusSeconds(5);

        ArchiveReport report = verifier(pitr.archive, pitr.baseBackup).targetTime(after).build().verify();

        ArchiveFault fault = onlyFault(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.TARGET_UNREACHABLE);
        assertThat(fault.message()).contains("no commit or abort after it");
    }

    @Test
    void rpoIsNowMinusTheNewestVerifiedCommit() {
        Instant now = pitr.lastCommitted.plus(Duration.ofMinutes(10));

        ArchiveReport report = verifier(pitr.archive, pitr.baseBackup).clock(Clock.fixed(now, ZoneOffset.UTC))
            .rpoTarget(Duration.ofMinutes(5)).archiveTimeout(Duration.ofMinutes(10)).build().verify();

        assertThat(report.rpo()).hasValueSatisfying(rpo ->
            assertThat(rpo).isBetween(Duration.ofMinutes(10).minusSeconds(2), Duration.ofMinutes(10).plusSeconds(2)));
        ArchiveFault fault = onlyFault(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.RPO_EXCEEDED);
        assertThat(report.warnings()).anySatisfy(w -> assertThat(w).contains("archive_timeout 10m0s cannot meet"));
    }

    // ------------------------------------------------------------------ segment faults

    @Test
    void segmentMissingInTheMiddleIsNamed() throws IOException {
        Path archive = pitr.copyOfArchive("missing");
        long segno = pitr.bigRecordEnd / pitr.segmentSize;   // the 20 MB record continues into it
        String name = pitr.segmentName(1, segno);
        Files.delete(archive.resolve(name));

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        assertThat(report.ok()).isFalse();
        ArchiveFault fault = report.faults().get(0);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.MISSING_SEGMENT);
        assertThat(fault.file()).contains(name);
        assertThat(fault.lsnText()).contains(Lsn.format(segno * pitr.segmentSize));
        assertThat(fault.message()).contains(name + " is missing");
        assertThat(report.newestReachable().orElseThrow()).isBefore(pitr.phaseOneCommitted);
        assertThat(report.walkedTo()).isLessThanOrEqualTo(pitr.bigRecordStart + 64);
    }

    @Test
    void byteFlippedInsideARecordFailsItsCrc() throws IOException {
        Path archive = pitr.copyOfArchive("flip-record");
        long segno = pitr.bigRecordEnd / pitr.segmentSize;   // in the middle of the 20 MB record
        String name = pitr.segmentName(1, segno);
        flip(PitrArchive.materialize(archive.resolve(name)), 5 * 8192 + 1000);
        assertThat(segno * pitr.segmentSize).isGreaterThan(pitr.bigRecordStart);

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        ArchiveFault fault = onlyFaultBesides(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.RECORD_CRC);
        assertThat(fault.file()).contains(name);
        // named by the record's start, in an earlier segment
        assertThat(fault.lsn().orElseThrow()).isBetween(pitr.bigRecordStart, segno * pitr.segmentSize);
        assertThat(fault.message()).contains(name).contains("record at " + fault.lsnText().orElseThrow());
        // the verified chain ends just before the damaged record
        assertThat(report.walkedTo()).isEqualTo(fault.lsn().orElseThrow());
        assertThat(report.ranges().get(report.ranges().size() - 1).end()).isEqualTo(fault.lsn().orElseThrow());
    }

    @Test
    void byteFlippedInAPageHeaderIsNamedByPage() throws IOException {
        Path archive = pitr.copyOfArchive("flip-header");
        long segno = pitr.bigRecordEnd / pitr.segmentSize + 1;
        String name = pitr.segmentName(1, segno);
        flip(PitrArchive.materialize(archive.resolve(name)), 7 * 8192 + 9);   // in xlp_pageaddr of page 7

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        ArchiveFault fault = onlyFaultBesides(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.PAGE_HEADER);
        long page = segno * pitr.segmentSize + 7 * 8192;
        assertThat(fault.lsnText()).contains(Lsn.format(page));
        assertThat(fault.message()).contains(name).contains("page header at " + Lsn.format(page));
        assertThat(report.walkedTo()).isLessThanOrEqualTo(page);
    }

    @Test
    void truncatedLastSegmentIsNamed() throws IOException {
        Path archive = pitr.copyOfArchive("truncated");
        List<String> tl2 = PitrArchive.segments(archive, 2);
        String last = tl2.get(tl2.size() - 1);
        try (RandomAccessFile f = new RandomAccessFile(PitrArchive.materialize(archive.resolve(last)).toFile(), "rw")) {
            f.setLength(5_000_000);
        }

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        ArchiveFault fault = onlyFault(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.SEGMENT_SIZE);
        assertThat(fault.file()).contains(last);
        assertThat(fault.message()).contains(last + " is 5000000 bytes").contains("truncated");
    }

    // ------------------------------------------------------------------ timelines

    @Test
    void missingHistoryFileAfterAPromotionIsAFault() throws IOException {
        Path archive = pitr.copyOfArchive("no-history");
        Files.delete(archive.resolve("00000002.history"));

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        assertThat(report.ok()).isFalse();
        assertThat(report.faults()).anySatisfy(f -> {
            assertThat(f.kind()).isEqualTo(ArchiveFault.Kind.HISTORY_MISSING);
            assertThat(f.file()).contains("00000002.history");
            assertThat(f.message()).contains("timeline 2").contains("00000002.history is not");
        });
        assertThat(report.targetTimeline()).isEqualTo(1);
    }

    @Test
    void editedHistoryFileIsAFault() throws IOException {
        Path archive = pitr.copyOfArchive("edited-history");
        Path history = PitrArchive.materialize(archive.resolve("00000002.history"));
        String text = Files.readString(history);
        long switchPoint = Lsn.parse(text.split("\\s+")[1]);
        long edited = switchPoint - 3 * 8192;
        Files.writeString(history, text.replace(Lsn.format(switchPoint), Lsn.format(edited)));

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        assertThat(report.ok()).isFalse();
        assertThat(report.faults()).anySatisfy(f -> {
            assertThat(f.kind()).isIn(ArchiveFault.Kind.TIMELINE, ArchiveFault.Kind.HISTORY_INVALID,
                ArchiveFault.Kind.MISSING_SEGMENT);
            assertThat(f.message()).contains("00000002.history");
        });
    }

    @Test
    void drillTimelineWrittenIntoTheArchiveIsAFault() throws Exception {
        // a copy of the promoted primary ("the drill") is promoted while the primary goes on, both archiving here
        Path archive = pitr.copyOfArchive("drill");
        PgCluster live = pitr.promoted;
        live.applySettings(PitrArchive.archiveSettings(archive));
        try (PgCluster drill = live.createReplica(ReplicaOptions.builder("pitr-drill")
            .setting("archive_command", PitrArchive.archiveCommand(archive)).build())) {
            drill.awaitReplay(live.currentLsn(), Duration.ofSeconds(60));
            drill.promote();
            drill.execute("CREATE TABLE drill_only (v int); INSERT INTO drill_only VALUES (1)");
            drill.execute("SELECT pg_switch_wal()");
            PitrArchive.awaitArchived(drill);
            live.execute("INSERT INTO marker (phase) SELECT 4 FROM generate_series(1, 100)");
            live.execute("SELECT pg_switch_wal()");
            live.execute("INSERT INTO marker (phase) VALUES (4)");
            live.execute("SELECT pg_switch_wal()");
            PitrArchive.awaitArchived(live);
        } finally {
            live.applySettings(PitrArchive.archiveSettings(PitrArchive.newDirectory(pitr.root, "after-drill")));
        }
        assertThat(archive.resolve("00000003.history")).exists();

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();
        ArchiveReport withPrimary = verifier(archive, pitr.baseBackup).primaryTimeline(2).build().verify();

        assertThat(report.ok()).isFalse();
        assertThat(report.faults()).anySatisfy(f -> {
            assertThat(f.kind()).isEqualTo(ArchiveFault.Kind.FOREIGN_TIMELINE);
            assertThat(f.message()).contains("timeline 2 went on").contains("timeline 3 branched off");
        });
        assertThat(withPrimary.faults()).anySatisfy(f -> {
            assertThat(f.kind()).isEqualTo(ArchiveFault.Kind.FOREIGN_TIMELINE);
            assertThat(f.file()).contains("00000003.history");
            assertThat(f.message()).contains("newer than the primary's timeline 2");
        });
    }

    // ------------------------------------------------------------------ base backup

    @Test
    void alteredBaseBackupFileIsNamed() throws IOException {
        Path base = pitr.copyOfBaseBackup("altered");
        Path file = largestRelationFile(base);
        flip(PitrArchive.materialize(file), 100);
        String relative = base.relativize(file).toString();

        ArchiveReport report = verifier(pitr.archive, base).build().verify();

        ArchiveFault fault = onlyFault(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.BASE_BACKUP);
        assertThat(fault.message()).contains(relative + " was modified");
    }

    @Test
    void aBaseBackupReadFromItsTarStreamFindsWhatItsDirectoryHas() throws Exception {
        BaseBackup fromDirectory = BaseBackup.read(pitr.baseBackup, true);

        BaseBackup fromTar = BaseBackup.readTar(new java.io.ByteArrayInputStream(tarOf(pitr.baseBackup)), "tar", true);

        assertThat(fromTar.problems()).isEmpty();
        assertThat(fromDirectory.problems()).isEmpty();
        assertThat(fromTar.directory()).isEmpty();
        assertThat(fromTar.startLsn()).isEqualTo(fromDirectory.startLsn());
        assertThat(fromTar.endLsn()).isEqualTo(fromDirectory.endLsn()).isGreaterThan(fromTar.startLsn());
        assertThat(fromTar.startTimeline()).isEqualTo(fromDirectory.startTimeline());
        assertThat(fromTar.checkpointLsn()).isEqualTo(fromDirectory.checkpointLsn());
        assertThat(fromTar.systemIdentifier()).isEqualTo(pitr.promoted.systemIdentifier());
        assertThat(fromTar.startTime()).isEqualTo(fromDirectory.startTime());
    }

    @Test
    void anAlteredFileInABaseBackupTarStreamIsNamed() throws Exception {
        Path base = pitr.copyOfBaseBackup("altered-tar");
        Path file = largestRelationFile(base);
        flip(PitrArchive.materialize(file), 100);
        String relative = base.relativize(file).toString();

        BaseBackup fromTar = BaseBackup.readTar(new java.io.ByteArrayInputStream(tarOf(base)), "tar", true);

        assertThat(fromTar.problems()).singleElement().asString().contains(relative + " was modified: its CRC32C");
        assertThat(fromTar.checkFiles()).isEqualTo(fromTar.problems());
    }

    /** The tar of a plain-format base backup, as pg_basebackup -Ft would write its files. */
    private static byte[] tarOf(Path base) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar =
                 new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(bytes);
             java.util.stream.Stream<Path> files = Files.walk(base)) {
            tar.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                if (f.equals(base)) {
                    continue;
                }
                String name = base.relativize(f).toString() + (Files.isDirectory(f) ? "/" : "");
                org.apache.commons.compress.archivers.tar.TarArchiveEntry entry =
                    new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
                if (!Files.isDirectory(f)) {
                    entry.setSize(Files.size(f));
                }
                tar.putArchiveEntry(entry);
                if (!Files.isDirectory(f)) {
                    Files.copy(f, tar);
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void deletedBaseBackupFileIsNamed() throws IOException {
        Path base = pitr.copyOfBaseBackup("deleted");
        Path file = largestRelationFile(base);
        Files.delete(file);
        String relative = base.relativize(file).toString();

        ArchiveReport report = verifier(pitr.archive, base).build().verify();

        ArchiveFault fault = onlyFault(report);
        assertThat(fault.kind()).isEqualTo(ArchiveFault.Kind.BASE_BACKUP);
        assertThat(fault.message()).contains(relative + " is missing");
    }

    @Test
    void baseBackupWithoutLabelOrManifestCannotBeRead() throws IOException {
        Path base = pitr.copyOfBaseBackup("unreadable");
        Files.delete(base.resolve("backup_label"));
        Files.delete(base.resolve("backup_manifest"));

        assertThatThrownBy(() -> verifier(pitr.archive, base).build().verify())
            .isInstanceOf(WalArchiveException.class)
            .hasMessageContaining("neither a readable backup_label nor a backup_manifest");
    }

    @Test
    void archiveThatIsNotADirectoryCannotBeRead() {
        Path missing = pitr.root.resolve("no-such-archive");

        assertThatThrownBy(() -> verifier(missing, pitr.baseBackup).build().verify())
            .isInstanceOf(WalArchiveException.class)
            .hasMessageContaining("is not a directory");
    }

    // ------------------------------------------------------------------ incremental

    @Test
    void incrementalRunReadsOnlyNewSegmentsAndStillCatchesDamageInThem() throws IOException {
        Path full = pitr.copyOfArchive("incremental-full");
        Path archive = pitr.root.resolve("copies").resolve("incremental");
        Files.createDirectories(archive);
        // the first part: timeline 1 up to the segment that ends with the switch after phase 1
        List<String> later = new java.util.ArrayList<>();
        try (var files = Files.list(full)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                boolean firstPart = name.startsWith("00000001") && name.length() == 24
                    && Long.parseLong(name.substring(16), 16) + (Long.parseLong(name.substring(8, 16), 16) << 8)
                    <= pitr.phaseOneSwitchSegno;
                if (firstPart || name.endsWith(".backup")) {
                    Files.createLink(archive.resolve(name), f);
                } else {
                    later.add(name);
                }
            }
        }
        Path state = pitr.root.resolve("copies").resolve("incremental.state");
        Path damagedState = pitr.root.resolve("copies").resolve("incremental-damaged.state");

        ArchiveReport first = verifier(archive, pitr.baseBackup).stateFile(state).build().verify();
        Files.copy(state, damagedState);
        // the rest arrives
        for (String name : later) {
            Files.createLink(archive.resolve(name), full.resolve(name));
        }
        long newSegments = later.stream().filter(n -> n.length() == 24).count();
        ArchiveReport second = verifier(archive, pitr.baseBackup).stateFile(state).build().verify();
        ArchiveReport again = verifier(archive, pitr.baseBackup).stateFile(state).build().verify();

        assertThat(first.faults()).as(first.toText()).isEmpty();
        assertThat(first.resumed()).isFalse();
        assertThat(second.faults()).as(second.toText()).isEmpty();
        assertThat(second.resumed()).isTrue();
        assertThat(second.segmentsRead()).isEqualTo(newSegments);
        assertThat(second.walBytesRead()).isPositive().isLessThanOrEqualTo(newSegments * pitr.segmentSize);
        assertThat(second.walkedTo()).isEqualTo(
            verifier(pitr.archive, pitr.baseBackup).build().verify().walkedTo());
        assertThat(second.newestReachable()).isEqualTo(
            verifier(pitr.archive, pitr.baseBackup).build().verify().newestReachable());
        assertThat(again.walBytesRead()).isZero();
        assertThat(again.ok()).isTrue();

        // damage in the new part is still found by an incremental run
        List<String> tl2 = PitrArchive.segments(archive, 2);
        String damaged = tl2.get(0);
        flip(PitrArchive.materialize(archive.resolve(damaged)), 3 * 8192 + 4000);
        ArchiveReport third = verifier(archive, pitr.baseBackup).stateFile(damagedState).build().verify();

        assertThat(third.resumed()).isTrue();
        assertThat(third.faults()).anySatisfy(f -> {
            assertThat(f.kind()).isIn(ArchiveFault.Kind.RECORD_CRC, ArchiveFault.Kind.RECORD_HEADER,
                ArchiveFault.Kind.PREV_LINK);
            assertThat(f.file()).contains(damaged);
        });
    }

    @Test
    void resumedRunOverAnArchiveThatLostItsNewestSegmentAgreesWithAFreshRun() throws IOException {
        Path archive = pitr.copyOfArchive("lost-tail");
        Path state = pitr.root.resolve("copies").resolve("lost-tail.state");
        ArchiveReport first = verifier(archive, pitr.baseBackup).stateFile(state).build().verify();
        assertThat(first.ok()).as(first.toText()).isTrue();
        List<String> tl2 = PitrArchive.segments(archive, 2);
        String newest = tl2.get(tl2.size() - 1);
        Files.delete(archive.resolve(newest));

        ArchiveReport fresh = verifier(archive, pitr.baseBackup).build().verify();
        ArchiveReport resumed = verifier(archive, pitr.baseBackup).stateFile(state).build().verify();

        assertThat(fresh.walkedTo()).isLessThan(first.walkedTo());
        assertThat(resumed.resumed()).isFalse();
        assertThat(resumed.warnings()).anySatisfy(w -> assertThat(w).contains(newest));
        assertThat(resumed.walkedTo()).isEqualTo(fresh.walkedTo());
        assertThat(resumed.newestReachable()).isEqualTo(fresh.newestReachable());
        assertThat(resumed.consistent()).isEqualTo(fresh.consistent());
        assertThat(resumed.faults()).isEqualTo(fresh.faults());
    }

    @Test
    void resumedRunOverAnArchiveThatLostAWalkedSegmentStopsAtTheGapAsAFreshRunDoes() throws IOException {
        Path archive = pitr.copyOfArchive("lost-middle");
        Path state = pitr.root.resolve("copies").resolve("lost-middle.state");
        verifier(archive, pitr.baseBackup).stateFile(state).build().verify();
        String gone = pitr.segmentName(1, pitr.bigRecordEnd / pitr.segmentSize);
        Files.delete(archive.resolve(gone));

        ArchiveReport fresh = verifier(archive, pitr.baseBackup).build().verify();
        ArchiveReport resumed = verifier(archive, pitr.baseBackup).stateFile(state).build().verify();

        assertThat(resumed.faults()).as(resumed.toText()).anySatisfy(f -> {
            assertThat(f.kind()).isEqualTo(ArchiveFault.Kind.MISSING_SEGMENT);
            assertThat(f.file()).contains(gone);
        });
        assertThat(resumed.walkedTo()).isEqualTo(fresh.walkedTo());
        assertThat(resumed.newestReachable()).isEqualTo(fresh.newestReachable());
        assertThat(resumed.faults()).isEqualTo(fresh.faults());
    }

    @Test
    void archiveWithoutTheSegmentThatHoldsTheSwitchPointEndsWhereRecoveryEnds() throws IOException {
        // the fixture's only timeline-2 segment holds the switch point; timeline 1's copy is there only as .partial,
        // which restore_command is never asked for: recovery ends where timeline 1's last whole segment ends
        Path archive = pitr.copyOfArchive("no-switch-segment");
        long switchPoint = timelineTwoBegin(archive);
        long switchSegno = switchPoint / pitr.segmentSize;
        String first = pitr.segmentName(2, switchSegno);
        assertThat(PitrArchive.segments(archive, 2)).containsExactly(first);
        assertThat(archive.resolve(pitr.segmentName(1, switchSegno) + ".partial")).exists();
        Files.delete(archive.resolve(first));

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        // nothing after the missing segment is archived: the archive looks as it does just after a failover, before
        // timeline 2 fills its first segment; the RPO, not a fault, tells how much is not archived yet
        assertThat(report.faults()).as(report.toText()).isEmpty();
        assertThat(report.walkedTo()).isEqualTo(switchSegno * pitr.segmentSize);
        assertThat(report.ranges()).extracting(VerifiedRange::timeline).containsExactly(1);
        assertThat(report.newestReachable().orElseThrow()).isBefore(pitr.lastCommitted);
    }

    @Test
    void missingSegmentThatHoldsTheSwitchPointIsNamedWhenLaterSegmentsExist() throws Exception {
        // timeline 2 archives more segments; the one holding the switch point is lost, and timeline 1's copy of that
        // segment number is there whole: recovery needs timeline 2's, since timeline 1's holds no WAL of timeline 2
        Path archive = pitr.copyOfArchive("gap-at-switch");
        long switchPoint = timelineTwoBegin(archive);
        long switchSegno = switchPoint / pitr.segmentSize;
        PgCluster live = pitr.promoted;
        live.applySettings(PitrArchive.archiveSettings(archive));
        try {
            live.execute("INSERT INTO marker (phase, payload) SELECT 5, 'five' FROM generate_series(1, 100)");
            live.execute("SELECT pg_switch_wal()");
            live.execute("INSERT INTO marker (phase) VALUES (5)");
            live.execute("SELECT pg_switch_wal()");
            PitrArchive.awaitArchived(live);
        } finally {
            live.applySettings(PitrArchive.archiveSettings(PitrArchive.newDirectory(pitr.root, "after-gap-at-switch")));
        }
        String first = pitr.segmentName(2, switchSegno);
        String oldTimelineCopy = pitr.segmentName(1, switchSegno);
        assertThat(PitrArchive.segments(archive, 2)).hasSizeGreaterThan(1).first().isEqualTo(first);
        Files.copy(archive.resolve(oldTimelineCopy + ".partial"), archive.resolve(oldTimelineCopy));
        Files.delete(archive.resolve(first));

        ArchiveReport report = verifier(archive, pitr.baseBackup).build().verify();

        assertThat(report.ok()).isFalse();
        ArchiveFault fault = report.faults().get(0);
        assertThat(fault.kind()).as(report.toText()).isEqualTo(ArchiveFault.Kind.MISSING_SEGMENT);
        assertThat(fault.file()).contains(first);
        assertThat(fault.lsn()).hasValue(switchSegno * pitr.segmentSize);
        assertThat(fault.message()).contains(first + " is missing").contains(oldTimelineCopy + " of timeline 1");
        // timeline 1's copy is not walked: the verified chain ends where timeline 1's last whole segment ends
        assertThat(report.walkedTo()).isEqualTo(switchSegno * pitr.segmentSize);
        assertThat(report.ranges()).extracting(VerifiedRange::timeline).containsExactly(1);
    }

    private static long timelineTwoBegin(Path archive) throws IOException {
        return Lsn.parse(Files.readString(archive.resolve("00000002.history")).split("\\s+")[1]);
    }

    // ------------------------------------------------------------------ helpers

    /** The first fault, when any other fault is only the consequence that the backup end or RPO is unknown. */
    private static ArchiveFault onlyFaultBesides(ArchiveReport report) {
        assertThat(report.faults()).as(report.toText()).isNotEmpty();
        assertThat(report.faults().subList(1, report.faults().size()))
            .allSatisfy(f -> assertThat(f.kind()).isIn(ArchiveFault.Kind.BACKUP_END_NOT_REACHED));
        return report.faults().get(0);
    }

    private static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x5A);
        }
    }

    private static Path largestRelationFile(Path base) throws IOException {
        try (var files = Files.walk(base.resolve("base"))) {
            return files.filter(Files::isRegularFile)
                .max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).orElseThrow();
        }
    }

    @SuppressWarnings("unused")
    private static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }
}
