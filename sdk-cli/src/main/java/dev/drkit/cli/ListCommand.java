package dev.drkit.cli;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.store.BackupStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code drkit list}: the complete backups in a store, oldest first. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "Lists the complete backups in a store, oldest first, from their manifests (no key needed).")
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
            List<BackupInfo> infos = BackupEngine.builder(backups).build().list();
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
            }
            out.flush();
            return ExitCodes.OK;
        }
    }
}
