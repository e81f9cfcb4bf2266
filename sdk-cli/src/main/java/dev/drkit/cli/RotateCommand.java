package dev.drkit.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.RotationResult;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.BackupStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code drkit rotate}: applies a retention policy to a store, deleting what no rule keeps. */
@Command(name = "rotate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Applies a retention policy to a store: plans keep or delete for every backup (restic's rules;",
        "see drkit retention plan), then deletes what no rule keeps, oldest first. The newest backup is never",
        "deleted. Without --keep options: 7 daily, 4 weekly, 12 monthly."})
final class RotateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    RetentionOptions keep;

    @Option(names = "--dry-run", description = "Print the plan and delete nothing.")
    boolean dryRun;

    @Option(names = "--event-log", paramLabel = "FILE", description = "Append a JSON line per deletion to FILE.")
    @Nullable Path eventLog;

    @Option(names = "--json", description = "Print the plan and what was deleted as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        RetentionPolicy policy;
        try {
            policy = keep.policy();
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try (BackupStore backups = store.open(spec)) {
            BackupEngine.Builder builder = BackupEngine.builder(backups);
            if (eventLog != null) {
                builder.eventLog(eventLog);
            }
            RotationResult result = builder.build().rotate(policy, dryRun);
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? json(result) : text(result));
            out.flush();
            return ExitCodes.OK;
        }
    }

    private static String text(RotationResult result) {
        StringBuilder text = new StringBuilder();
        for (RetentionPlan.Decision decision : result.plan().decisions()) {
            String id = decision.backup().id();
            String verb = decision.keep() ? "keep  " : result.dryRun() ? "delete" : "deleted";
            text.append(verb).append(' ').append(id);
            if (decision.keep()) {
                text.append("  ").append(String.join(", ", decision.reasons().stream().map(Object::toString)
                    .toList()));
            }
            text.append('\n');
        }
        text.append(result.dryRun()
            ? "dry run: " + result.plan().toDelete().size() + " would be deleted"
            : result.deleted().size() + " deleted, " + result.bytesFreed() + " bytes freed");
        return text.toString();
    }

    private static String json(RotationResult result) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("dryRun", result.dryRun());
        root.put("bytesFreed", result.bytesFreed());
        ArrayNode deleted = root.putArray("deleted");
        result.deleted().forEach(deleted::add);
        ArrayNode decisions = root.putArray("decisions");
        for (RetentionPlan.Decision decision : result.plan().decisions()) {
            ObjectNode node = decisions.addObject();
            node.put("id", decision.backup().id());
            node.put("time", decision.backup().time().toString());
            node.put("keep", decision.keep());
            ArrayNode reasons = node.putArray("reasons");
            decision.reasons().forEach(reason -> reasons.add(reason.toString()));
        }
        return root.toString();
    }
}
