package dev.drkit.postgres.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TreesTest {

    @TempDir
    Path root;

    @Test
    void copiesADataDirectoryLeavingOutWhatABaseBackupLeavesOut() throws IOException {
        Path source = root.resolve("source");
        for (String file : List.of("PG_VERSION", "postgresql.conf", "postmaster.pid", "postmaster.opts",
            "standby.signal", "backup_label", "base/1/1259", "base/1/pg_internal.init", "global/pg_control",
            "pg_wal/000000010000000000000001", "pg_wal/archive_status/000000010000000000000001.done",
            "pg_replslot/r1/state", "pg_stat_tmp/global.stat", "pg_subtrans/0000", "base/pgsql_tmp/t1",
            "pg_xact/0000")) {
            Path p = source.resolve(file);
            Files.createDirectories(p.getParent());
            Files.writeString(p, file);
        }
        Files.createDirectories(source.resolve("pg_tblspc"));
        Path target = root.resolve("target");

        Trees.copyDataDirectory(source, target, RunAs.direct());

        try (Stream<Path> copied = Files.walk(target)) {
            assertThat(copied.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()))
                .containsExactlyInAnyOrder("PG_VERSION", "postgresql.conf", "base/1/1259", "global/pg_control",
                    "pg_xact/0000");
        }
        assertThat(target.resolve("pg_wal/archive_status")).isEmptyDirectory();
        assertThat(target.resolve("pg_replslot")).isEmptyDirectory();
        assertThat(target.resolve("base/pgsql_tmp")).doesNotExist();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("PG_VERSION"))))
            .isEqualTo("rw-------");
    }

    @Test
    void refusesToCopyTablespaces() throws IOException {
        Path source = root.resolve("source");
        Files.createDirectories(source.resolve("pg_tblspc"));
        Files.createSymbolicLink(source.resolve("pg_tblspc/16384"), root);

        assertThatThrownBy(() -> Trees.copyDataDirectory(source, root.resolve("target"), RunAs.direct()))
            .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void neverCopiesThroughALinkOnTheTargetSide() throws IOException {
        Path source = root.resolve("source");
        Files.createDirectories(source.resolve("base"));
        Files.writeString(source.resolve("PG_VERSION"), "15\n");
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
        Path target = Files.createSymbolicLink(root.resolve("target"), elsewhere);

        assertThatThrownBy(() -> Trees.copyDataDirectory(source, target, RunAs.direct()))
            .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void deletesTreesWithoutFollowingLinks() throws IOException {
        Path outside = Files.writeString(root.resolve("outside"), "keep me");
        Path tree = root.resolve("tree");
        Files.createDirectories(tree.resolve("a/b"));
        Files.writeString(tree.resolve("a/b/file"), "x");
        Files.createSymbolicLink(tree.resolve("a/link"), outside);

        assertThat(Trees.deleteQuietly(tree)).isTrue();
        assertThat(tree).doesNotExist();
        assertThat(outside).hasContent("keep me");
        assertThat(Trees.deleteQuietly(tree)).isTrue();
    }
}
