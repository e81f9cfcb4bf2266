package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --event-log FILE}: the engine's JSON-lines log of backups, restores, verifications and deletions. */
final class EventLogOption {

    @Option(names = "--event-log", paramLabel = "FILE",
        description = "Append a JSON line per backup, restore, verification or deletion to FILE (created 0600 if"
            + " missing): what happened, when, how long it took, and the error if it failed.")
    @Nullable Path file;

    /** {@code builder}, with the event log when one was given. */
    BackupEngine.Builder applyTo(BackupEngine.Builder builder) {
        return file == null ? builder : builder.eventLog(file);
    }
}
