package dev.drkit.backup;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Something a {@link BackupEngine} did: a backup, a restore or a verification, successful or not. Written as one
 * JSON line to the engine's event log and passed to its listeners, after the fact. Events carry ids, sizes,
 * durations and failure messages; never keys or contents. New types and fields may appear in minor releases;
 * readers ignore what they do not know.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class BackupEvent {

    /**
     * What happened.
     *
     * @since 0.1
     */
    public enum Type {
        /** A backup was made, or failed. */
        BACKUP,
        /** A backup was restored, or the restore failed. */
        RESTORE,
        /** A backup was verified. */
        VERIFY,
        /** A backup was deleted. */
        DELETE
    }

    private final Type type;
    private final boolean success;
    private final Instant occurredAt;
    private final String engine;
    private final @Nullable String backupId;
    private final Duration duration;
    private final Map<String, String> details;

    BackupEvent(Type type, boolean success, Instant occurredAt, String engine, @Nullable String backupId,
                Duration duration, Map<String, String> details) {
        this.type = Objects.requireNonNull(type, "type");
        this.success = success;
        this.occurredAt = Objects.requireNonNull(occurredAt, "occurredAt");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.backupId = backupId;
        this.duration = Objects.requireNonNull(duration, "duration");
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** What happened. */
    public Type type() {
        return type;
    }

    /** Whether it succeeded (for verifications: whether every check passed). */
    public boolean success() {
        return success;
    }

    /** When it finished, from the engine's clock. */
    public Instant occurredAt() {
        return occurredAt;
    }

    /** The engine's name. */
    public String engine() {
        return engine;
    }

    /** The backup concerned, if known (a backup that failed before its id was chosen has none). */
    public Optional<String> backupId() {
        return Optional.ofNullable(backupId);
    }

    /** How long it took. */
    public Duration duration() {
        return duration;
    }

    /** Further facts: sizes, the verification mode, the restore target, the failure message. */
    public Map<String, String> details() {
        return details;
    }

    /** This event as one line of JSON. */
    public String toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("time", occurredAt.toString());
        node.put("event", type.name().toLowerCase(Locale.ROOT));
        node.put("outcome", success ? "success" : "failure");
        node.put("engine", engine);
        if (backupId != null) {
            node.put("backupId", backupId);
        }
        node.put("durationMs", duration.toMillis());
        details.forEach(node::put);
        return node.toString();
    }

    @Override
    public String toString() {
        return "BackupEvent" + toJson();
    }
}
