package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupException;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupListing;
import dev.drkit.backup.store.BackupStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code drkit list}: the complete backups in a store, oldest first. A backup whose manifest cannot be read is
 * reported, and the others still listed; the exit code is then 1.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = {"Lists the complete backups in a store, oldest first, from their manifests (no key needed).",
        "A backup whose manifest cannot be read is marked UNREADABLE with the error (after the others; with",
        "--json on standard error only), and the exit code is 1."})
final class ListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--json", description = "Print a JSON array.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (BackupStore backups = store.openForReading(spec)) {
            BackupListing listing = BackupEngine.builder(backups).build().listAll();
            List<BackupInfo> infos = listing.backups();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                StringBuilder array = new StringBuilder("[");
                for (int i = 0; i < infos.size(); i++) {
                    array.append(i == 0 ? "" : ",").append(infos.get(i).toJson());
                }
                out.println(array.append("]"));
            } else {
                for (BackupInfo info : infos) {
                    out.printf("%s  %-9s %-24s %12d bytes  %s%n", info.id(),
                        info.sourceKind().name().toLowerCase(java.util.Locale.ROOT), info.sourceName(),
                        info.plaintextBytes(), info.labels().isEmpty() ? "" : info.labels());
                }
                for (Map.Entry<String, BackupException> bad : listing.unreadable().entrySet()) {
                    out.printf("%s  UNREADABLE  %s%n", bad.getKey(), bad.getValue().getMessage());
                }
            }
            out.flush();
            if (listing.complete()) {
                return ExitCodes.OK;
            }
            PrintWriter err = spec.commandLine().getErr();
            if (json) {
                for (Map.Entry<String, BackupException> bad : listing.unreadable().entrySet()) {
                    err.println(spec.qualifiedName() + ": backup " + bad.getKey() + " is unreadable: "
                        + bad.getValue().getMessage());
                }
            }
            int count = listing.unreadable().size();
            err.println(spec.qualifiedName() + ": " + count + " of " + (infos.size() + count) + " backups cannot be"
                + " read (" + String.join(", ", listing.unreadable().keySet()) + "); check them with drkit verify");
            err.flush();
            return ExitCodes.DATA;
        }
    }
}
