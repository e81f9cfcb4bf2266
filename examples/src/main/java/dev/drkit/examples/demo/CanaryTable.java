package dev.drkit.examples.demo;

import dev.drkit.core.drill.CanaryRecord;
import dev.drkit.core.drill.CanaryStore;
import dev.drkit.postgres.PgCluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The drill's canary: a table of numbered, timestamped rows written to whichever server is the primary now,
 * as an application that follows a failover would. A write returns only after PostgreSQL committed it (with
 * synchronous replication: after the replica flushed it too).
 */
final class CanaryTable implements CanaryStore {

    static final String CREATE = "CREATE TABLE drkit_canary (seq bigint PRIMARY KEY, written_at timestamptz NOT NULL)";

    private final Supplier<PgCluster> primary;

    CanaryTable(Supplier<PgCluster> primary) {
        this.primary = primary;
    }

    @Override
    public void write(long sequence, Instant writtenAt) throws Exception {
        try (Connection connection = primary.get().connect();
             PreparedStatement insert =
                 connection.prepareStatement("INSERT INTO drkit_canary (seq, written_at) VALUES (?, ?)")) {
            insert.setLong(1, sequence);
            insert.setTimestamp(2, Timestamp.from(writtenAt));
            insert.executeUpdate();
        }
    }

    @Override
    public List<CanaryRecord> readAll() throws Exception {
        List<CanaryRecord> records = new ArrayList<>();
        try (Connection connection = primary.get().connect();
             Statement query = connection.createStatement();
             ResultSet rows = query.executeQuery("SELECT seq, written_at FROM drkit_canary")) {
            while (rows.next()) {
                records.add(new CanaryRecord(rows.getLong(1), rows.getTimestamp(2).toInstant()));
            }
        }
        return records;
    }
}
