package dev.drkit.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.RotationOptions;
import dev.drkit.backup.RotationResult;
import dev.drkit.backup.retention.RetentionPlan;
import dev.drkit.backup.retention.RetentionPolicy;
import dev.drkit.backup.store.BackupStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code drkit rotate}: applies a retention policy to a store, deleting what no rule keeps. A backup the store will
 * not delete does not stop the others: the result is printed either way, and the exit code is then 3.
 */
@Command(name = "rotate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Applies a retention policy to a store: plans keep or delete for every backup (restic's rules; "
        + "see drkit retention plan), then deletes what no rule keeps, oldest first. Each source (what a backup "
        + "backs up: its kind and name, and for PostgreSQL its kind, database and server) is a series planned on "
        + "its own, and the newest backup of a series is never deleted, nor its newest backup not dated in the "
        + "future. Without --keep options: 7 daily, 4 weekly, 12 monthly. --keep-tag matches labels: "
        + "--keep-tag KEY=VALUE. Deletes nothing while any manifest in the store cannot be read (exit 1). A backup "
        + "that cannot be deleted is reported and the others are still deleted (exit 3). Warnings (backups dated "
        + "in the future, a --keep-tag or --label that matches no backup) go to standard error."})
final class RotateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    RetentionOptions keep;

    @Option(names = "--group-by", paramLabel = "source|none", defaultValue = "source",
        description = "How backups are split into series, each planned on its own: source (default), one series "
            + "per source; none, the whole store (or the backups --label selects) as one series.")
    String groupBy;

    @Option(names = "--label", paramLabel = "KEY=VALUE",
        description = "Rotate only backups with this label (repeatable: all of them); leave the others alone.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--dry-run", description = "Print the plan and delete nothing.")
    boolean dryRun;

    @Mixin
    EventLogOption events;

    @Option(names = "--json", description = "Print the plan and what was deleted as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        RetentionPolicy policy;
        RotationOptions options;
        try {
            policy = keep.policy();
            checkKeepTags(keep.tags);
            RotationOptions.GroupBy grouping = RetentionOptions.convert("--group-by", groupBy, new GroupByConverter());
            try {
                options = RotationOptions.builder().groupBy(grouping).labels(labels).build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--label: " + e.getMessage(), e);
            }
        } catch (IllegalArgumentException e) {
            // Bad options are the caller's to fix: one line, usage exit code, as drkit retention plan does.
            err.println(spec.qualifiedName() + ": " + e.getMessage());
            err.flush();
            return ExitCodes.USAGE;
        }
        try (BackupStore backups = store.openExisting(spec, "there is nothing to rotate")) {
            BackupEngine engine = events.applyTo(BackupEngine.builder(backups)).build();
            RotationResult result;
            RotationResult.DeletionsFailedException failure = null;
            try {
                result = engine.rotate(policy, options, dryRun);
            } catch (RotationResult.DeletionsFailedException e) {
                // Some backups stay; what was deleted is printed all the same, then the failure is reported (exit 3).
                failure = e;
                result = e.result();
            }
            for (String warning : result.warnings()) {
                err.println(spec.qualifiedName() + ": warning: " + warning);
            }
            err.flush();
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? json(result, options) : text(result));
            out.flush();
            if (failure != null) {
                throw failure;
            }
            return ExitCodes.OK;
        }
    }

    /**
     * Refuses a {@code --keep-tag} tag without '=': rotate sees a backup's labels as its tags, {@code key=value}, so
     * such a tag would match no backup and keep nothing, silently.
     */
    private static void checkKeepTags(List<String> tagLists) {
        for (String tagList : tagLists) {
            for (String tag : tagList.split(",", -1)) {
                if (tag.indexOf('=') <= 0) {
                    boolean several = tagList.indexOf(',') >= 0;
                    throw new IllegalArgumentException(("--keep-tag '" + tagList + "': "
                        + (several ? "'" + tag + "' is not KEY=VALUE; " : "")
                        + "rotate matches a backup's labels, so a keep-tag is KEY=VALUE, like --keep-tag pinned=yes"
                        + (several ? " (a comma separates labels a backup must all carry; a label whose value has a"
                        + " comma cannot be matched)" : "")).replaceAll("\\p{Cntrl}", "?"));
                }
            }
        }
    }

    /** The series as the plan prints it: its name, or what it is when the backups were not grouped. */
    private static String seriesName(String series) {
        return series.isEmpty() ? "all backups (--group-by none)" : series;
    }

    private static String text(RotationResult result) {
        StringBuilder text = new StringBuilder();
        for (String series : result.plan().series()) {
            List<RetentionPlan.Decision> decisions = result.plan().decisions(series);
            text.append("series ").append(seriesName(series)).append(" (").append(decisions.size())
                .append(decisions.size() == 1 ? " backup" : " backups").append(")\n");
            for (RetentionPlan.Decision decision : decisions) {
                String id = decision.backup().id();
                String failed = result.failed().get(id);
                String verb = decision.keep() ? "keep  " : result.dryRun() ? "delete"
                    : result.deleted().contains(id) ? "deleted" : failed != null ? "failed" : "skipped";
                text.append("  ").append(verb).append(' ').append(id);
                if (decision.keep()) {
                    text.append("  ").append(String.join(", ", decision.reasons().stream().map(Object::toString)
                        .toList()));
                } else if (failed != null) {
                    text.append("  ").append(failed);
                } else if (!result.dryRun() && !result.deleted().contains(id)) {
                    text.append("  already deleted by another rotation");
                }
                text.append('\n');
            }
        }
        int seriesCount = result.plan().series().size();
        text.append(seriesCount).append(" series; ");
        text.append(result.dryRun()
            ? "dry run: " + result.plan().toDelete().size() + " would be deleted"
            : result.deleted().size() + " deleted, " + (result.failed().isEmpty() ? ""
                : result.failed().size() + " could not be deleted, ") + result.bytesFreed() + " bytes freed");
        return text.toString();
    }

    private static String json(RotationResult result, RotationOptions options) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("dryRun", result.dryRun());
        root.put("groupBy", options.groupBy().name().toLowerCase(Locale.ROOT));
        ObjectNode selected = root.putObject("labels");
        options.labels().forEach(selected::put);
        root.put("bytesFreed", result.bytesFreed());
        ArrayNode deleted = root.putArray("deleted");
        result.deleted().forEach(deleted::add);
        ArrayNode failed = root.putArray("failed");
        result.failed().forEach((id, reason) -> failed.addObject().put("id", id).put("reason", reason));
        ArrayNode warnings = root.putArray("warnings");
        result.warnings().forEach(warnings::add);
        ArrayNode series = root.putArray("series");
        result.plan().series().forEach(series::add);
        ArrayNode decisions = root.putArray("decisions");
        for (RetentionPlan.Decision decision : result.plan().decisions()) {
            ObjectNode node = decisions.addObject();
            node.put("id", decision.backup().id());
            node.put("series", decision.backup().series());
            node.put("time", decision.backup().time().toString());
            node.put("keep", decision.keep());
            ArrayNode reasons = node.putArray("reasons");
            decision.reasons().forEach(reason -> reasons.add(reason.toString()));
        }
        return root.toString();
    }

    /** {@code source} or {@code none}, in any case. */
    static final class GroupByConverter implements ITypeConverter<RotationOptions.GroupBy> {
        @Override
        public RotationOptions.GroupBy convert(String value) {
            for (RotationOptions.GroupBy groupBy : RotationOptions.GroupBy.values()) {
                if (groupBy.name().equalsIgnoreCase(value)) {
                    return groupBy;
                }
            }
            throw new TypeConversionException("must be source or none, but was '"
                + value.replaceAll("\\p{Cntrl}", "?") + "'");
        }
    }
}
