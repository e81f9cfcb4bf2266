package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.postgres.internal.Catalog;
import dev.drkit.backup.postgres.internal.SourceConnection;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Backups of a whole PostgreSQL server as separate, separately restorable backups: what {@code drkit pg backup
 * --all} makes.
 *
 * <p>{@link #all} stores {@code pg_dumpall --globals-only} (roles, tablespaces) and then one {@code pg_dump -Fc} of
 * every database that accepts connections and is not a template, each its own backup labelled with the same
 * {@link PgLabels#RUN} and the run's size ({@link PgLabels#RUN_SIZE}). To restore: {@code psql -f globals.sql},
 * then {@code pg_restore -C -d postgres} each dump (or only the one needed). One custom-format archive per database
 * keeps {@code pg_restore}'s selective and parallel restore; a single {@code pg_dumpall} script would lose both.
 * If any part fails, the parts this run already stored are deleted and the failure is thrown, so a run leaves all
 * its backups or none.
 *
 * @since 0.1
 */
public final class PgBackups {

    private static final Logger log = LoggerFactory.getLogger(PgBackups.class);

    private PgBackups() {
    }

    /**
     * Backs up the globals and every database of {@code server} into {@code engine}'s store.
     *
     * @param rowCounts whether dumps record exact row counts (see {@link PgBackupSource#withRowCounts})
     * @return the backups made, globals first, then the databases by name
     * @throws PgConnectionException if the server cannot be reached or refuses the login
     * @throws PgToolException       if a tool fails (the run's backups are deleted)
     */
    public static List<BackupInfo> all(BackupEngine engine, PgServer server, boolean rowCounts) {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(server, "server");
        List<String> databases = new ArrayList<>();
        try (SourceConnection c = SourceConnection.open(server, "postgres")) {
            for (List<@Nullable String> row : c.query(Catalog.DUMPABLE_DATABASES)) {
                databases.add(Objects.requireNonNull(row.get(0)));
            }
        }
        byte[] random = new byte[6];
        new java.security.SecureRandom().nextBytes(random);
        String run = HexFormat.of().formatHex(random);
        String size = Integer.toString(databases.size() + 1);
        List<PgBackupSource> parts = new ArrayList<>();
        parts.add(PgBackupSource.globals(server));
        for (String database : databases) {
            // pg_dump compresses only when the engine does not: zstd after gzip gains nothing and costs time.
            parts.add(PgBackupSource.dump(server, database).withRowCounts(rowCounts)
                .withDumpCompression(!engine.compression().isZstd()));
        }
        List<BackupInfo> made = new ArrayList<>();
        try {
            for (PgBackupSource part : parts) {
                made.add(engine.backup(part.withLabel(PgLabels.RUN, run).withLabel(PgLabels.RUN_SIZE, size)
                    .source()));
            }
            return List.copyOf(made);
        } catch (RuntimeException e) {
            for (BackupInfo info : made) {
                try {
                    engine.store().delete(info.id());
                } catch (IOException | RuntimeException deleteFailed) {
                    e.addSuppressed(deleteFailed);
                    log.warn("PgBackups: run {} failed, and its backup {} could not be deleted: {}", run, info.id(),
                        deleteFailed.getClass().getSimpleName());
                }
            }
            throw e;
        }
    }
}
