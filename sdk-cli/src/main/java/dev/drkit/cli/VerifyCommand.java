package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.VerificationResult;
import dev.drkit.backup.store.BackupStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code drkit verify}: quick (no key) or full verification of one backup or all. Exit 1 if any fails. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Verifies backups. Quick (default, no key): the manifest's checksum and the stored data's size "
        + "and SHA-256. Full (--full, with the key): also the manifest's authenticity, decryption, decompression "
        + "and every checksum, writing nothing. Exit 1 if any backup fails.")
final class VerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    EventLogOption events;

    @Mixin
    StoreOptions store;

    @Option(names = "--id", paramLabel = "ID", converter = BackupIdConverter.class,
        description = "The backup to verify.")
    @Nullable String id;

    @Option(names = "--all", description = "Verify every backup in the store.")
    boolean all;

    @Option(names = "--full", description = "Full verification; needs the passphrase or key.")
    boolean full;

    @Mixin
    KeyOptions keys;

    @Option(names = "--identity", paramLabel = "KEYFILE",
        description = "The private key (KEYFILE, mode 0600) for backups made to public-key recipients; "
            + "the passphrase options unlock it if it is protected.")
    @Nullable Path identity;

    @Option(names = "--history", paramLabel = "FILE", description = "Append each result to FILE as a JSON line.")
    @Nullable Path history;

    @Option(names = "--json", description = "Print one JSON object per backup.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if ((id == null) == !all) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --id ID or --all");
        }
        if (!full && (keys.given() || identity != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "a passphrase or key is only used with --full");
        }
        try (KeyOptions.ForRestore keyMaterial = full ? keys.forRestore(spec, identity) : null;
             BackupStore backups = store.openForReading(spec)) {
            BackupEngine.Builder builder = events.applyTo(BackupEngine.builder(backups));
            if (history != null) {
                builder.verificationHistory(history);
            }
            BackupEngine engine = builder.build();
            DecryptionKey key = keyMaterial == null ? null : keyMaterial.key();
            List<String> ids;
            try {
                ids = all ? backups.list() : List.of(id);
            } catch (java.io.IOException e) {
                throw new dev.drkit.backup.BackupIoException("Store " + backups.location() + " could not be listed ("
                    + e.getClass().getSimpleName() + ")", java.util.Map.of("store", backups.location()), e);
            }
            if (ids.isEmpty()) {
                // a check from cron must not pass on nothing: an unmounted backup volume is an empty directory
                PrintWriter err = spec.commandLine().getErr();
                err.println(spec.qualifiedName() + ": store " + backups.location() + " holds no backup, so none was"
                    + " verified: is it the right store, and is its file system mounted?");
                err.flush();
                return ExitCodes.DATA;
            }
            List<VerificationResult> failed = new ArrayList<>();
            PrintWriter out = spec.commandLine().getOut();
            for (String backup : ids) {
                VerificationResult result = key == null ? engine.verify(backup) : engine.verify(backup, key);
                if (!result.passed()) {
                    failed.add(result);
                }
                out.println(json ? result.toJson() : backup + "  " + (result.passed() ? "ok" : "FAILED: "
                    + result.failure().map(Throwable::getMessage).orElse("")) + "  (" + result.mode().name()
                    .toLowerCase(java.util.Locale.ROOT) + ")");
            }
            out.flush();
            if (!failed.isEmpty()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println(spec.qualifiedName() + ": " + failed.size() + " of " + ids.size()
                    + " backups failed verification");
                err.flush();
                return ExitCodes.DATA;
            }
            return ExitCodes.OK;
        }
    }
}
