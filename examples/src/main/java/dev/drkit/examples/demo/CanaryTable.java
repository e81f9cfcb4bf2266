package dev.drkit.examples.demo;

import dev.drkit.core.drill.CanaryRecord;
import dev.drkit.core.drill.CanaryStore;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The drill's canary: a table of numbered, timestamped rows written through the application's data source,
 * which follows a failover by itself. A write returns only after PostgreSQL committed it (with synchronous
 * replication: after the replica flushed it too).
 */
final class CanaryTable implements CanaryStore {

    static final String TABLE = "drkit_canary";
    static final String CREATE = "CREATE TABLE " + TABLE + " (seq bigint PRIMARY KEY, written_at timestamptz NOT NULL)";

    private final DataSource dataSource;

    CanaryTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public void write(long sequence, Instant writtenAt) throws Exception {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert =
                 connection.prepareStatement("INSERT INTO " + TABLE + " (seq, written_at) VALUES (?, ?)")) {
            insert.setLong(1, sequence);
            insert.setTimestamp(2, Timestamp.from(writtenAt));
            insert.executeUpdate();
        }
    }

    @Override
    public List<CanaryRecord> readAll() throws Exception {
        List<CanaryRecord> records = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             Statement query = connection.createStatement();
             ResultSet rows = query.executeQuery("SELECT seq, written_at FROM " + TABLE)) {
            while (rows.next()) {
                records.add(new CanaryRecord(rows.getLong(1), rows.getTimestamp(2).toInstant()));
            }
        }
        return records;
    }
}
