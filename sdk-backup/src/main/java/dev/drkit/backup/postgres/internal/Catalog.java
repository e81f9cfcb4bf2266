package dev.drkit.backup.postgres.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The catalog facts recorded at backup time and compared after a restore, as SQL that both sides run alike, so
 * the two answers are comparable however the rows come back (JDBC on the source, {@code psql} on the scratch
 * cluster): per database, the number of tables, their exact rows ({@code count(*)} of each) and a SHA-256 of the
 * sorted {@code schema.table rows} lines; and a SHA-256 of a normalized description of the schema (relations,
 * columns by position with types and NOT NULL, index definitions, constraint definitions; no owners, no grants, no
 * OIDs, no storage details, so a restore with {@code --no-owner --no-privileges} compares equal).
 */
public final class Catalog {

    private static final String USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') "
        + "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

    private static final String DIGEST_OF_LINES = "encode(sha256(convert_to(coalesce(string_agg(line, E'\\n' "
        + "ORDER BY line COLLATE \"C\"), ''), 'UTF8')), 'hex')";

    /**
     * One row: {@code tables}, {@code rows}, {@code digest}. Permanent tables and populated materialized views of
     * user schemas; each counted {@code FROM ONLY} itself (partitions are counted as their own tables). Costs a
     * full scan of each table.
     */
    public static final String COUNTS = "SELECT count(*) AS tables, coalesce(sum(n), 0) AS rows, "
        + "encode(sha256(convert_to(coalesce(string_agg(name || ' ' || n, E'\\n' ORDER BY name COLLATE \"C\"), ''),"
        + " 'UTF8')), 'hex') AS digest FROM (SELECT format('%I.%I', n.nspname, c.relname) AS name, "
        + "(xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY %I.%I', n.nspname, c.relname),"
        + " false, true, '')))[1]::text::bigint AS n "
        + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE c.relkind IN ('r', 'm') AND c.relpersistence = 'p' AND (c.relkind = 'r' OR c.relispopulated) AND "
        + USER_SCHEMAS + ") t";

    /** One row, one column: the schema digest. */
    public static final String SCHEMA = "SELECT " + DIGEST_OF_LINES + " FROM ("
        + "SELECT format('rel %I.%I %s', n.nspname, c.relname, c.relkind) AS line "
        + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND " + USER_SCHEMAS
        + " UNION ALL "
        + "SELECT format('col %I.%I %s %I %s %s', n.nspname, c.relname, "
        + "(SELECT count(*) FROM pg_attribute b WHERE b.attrelid = c.oid AND b.attnum > 0 AND NOT b.attisdropped "
        + "AND b.attnum <= a.attnum), a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull) "
        + "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND " + USER_SCHEMAS
        + " UNION ALL "
        + "SELECT format('idx %I %s', n.nspname, pg_get_indexdef(i.indexrelid)) "
        + "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE " + USER_SCHEMAS
        + " UNION ALL "
        + "SELECT format('con %I.%I %I %s', n.nspname, c.relname, co.conname, pg_get_constraintdef(co.oid)) "
        + "FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE " + USER_SCHEMAS + ") l";

    /** The databases a base backup's facts cover: every one that accepts connections but template0. */
    public static final String DATABASES = "SELECT datname FROM pg_database WHERE datallowconn "
        + "AND datname <> 'template0' ORDER BY datname COLLATE \"C\"";

    /** The databases {@code --all} dumps: every one that accepts connections and is not a template. */
    public static final String DUMPABLE_DATABASES = "SELECT datname FROM pg_database WHERE datallowconn "
        + "AND NOT datistemplate ORDER BY datname COLLATE \"C\"";

    /** Checks every valid btree index of the current database with amcheck; one row: the number checked. */
    public static final String AMCHECK = "SELECT count(bt_index_check(c.oid)) FROM pg_index i "
        + "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        + "JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence <> 't' "
        + "AND n.nspname NOT LIKE 'pg\\_temp%'";

    private Catalog() {
    }

    /** One database's facts. */
    public record Facts(long tables, long rows, String countsDigest, String schemaDigest) {
    }

    /** Facts of several databases (by name) combined into one: totals, and digests over the sorted per-database lines. */
    public static Facts combine(Map<String, Facts> byDatabase) {
        long tables = 0;
        long rows = 0;
        StringBuilder counts = new StringBuilder();
        StringBuilder schema = new StringBuilder();
        for (Map.Entry<String, Facts> e : new TreeMap<>(byDatabase).entrySet()) {
            tables += e.getValue().tables();
            rows += e.getValue().rows();
            counts.append(e.getKey()).append(' ').append(e.getValue().countsDigest()).append('\n');
            schema.append(e.getKey()).append(' ').append(e.getValue().schemaDigest()).append('\n');
        }
        return new Facts(tables, rows, sha256(counts.toString()), sha256(schema.toString()));
    }

    /** The facts of one database from the answers to {@link #COUNTS} and {@link #SCHEMA}. */
    public static Facts facts(List<String> countsRow, String schemaDigest) {
        return new Facts(Long.parseLong(countsRow.get(0).trim()), Long.parseLong(countsRow.get(1).trim()),
            countsRow.get(2).trim(), schemaDigest.trim());
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
