package dev.drkit.cli;

import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.S3Store;
import dev.drkit.backup.store.StoreUnavailableException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code --store URI} option the backup commands share: a path or {@code file:} URI opens a filesystem store;
 * {@code s3://bucket/prefix} opens an S3 store. For S3, the region, the endpoint of an S3-compatible server and
 * path-style addressing come from options; credentials only from the AWS SDK's default provider chain
 * ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, {@code AWS_PROFILE} and the shared credentials file,
 * web identity, container or instance roles), never from an argument value.
 */
final class StoreOptions {

    @Option(names = "--store", required = true, paramLabel = "URI",
        description = "Where backups are kept: a directory path, a file: URI, or s3://bucket/prefix.")
    String store;

    @Mixin
    S3Options s3 = new S3Options();

    /** Opens the store; a URI or option this build cannot use is a usage error (exit 2). */
    BackupStore open(CommandSpec spec) {
        return open(spec, "--store", store, s3, false);
    }

    /**
     * Opens the store to read from it only: a directory is opened {@linkplain FileSystemStore#openReadOnly
     * read-only}, so a read-only mount or a directory this process cannot write works, and nothing is written in it.
     */
    BackupStore openForReading(CommandSpec spec) {
        return open(spec, "--store", store, s3, true);
    }

    /**
     * Opens the store to write to it, but never creates a directory store: for commands that only add to or remove
     * from a store that must already be there. A missing directory is an environment error (exit 3) whose message
     * ends with {@code why}.
     */
    BackupStore openExisting(CommandSpec spec, String why) {
        if (!isS3(store)) {
            Path root = fileStoreRoot(spec, "--store", store.trim());
            if (!Files.isDirectory(root)) {
                throw new StoreUnavailableException("File store " + root.toAbsolutePath().normalize()
                    + (Files.exists(root) ? " is not a directory" : " does not exist") + "; " + why,
                    Map.of("store", root.toAbsolutePath().normalize().toString()), null);
            }
        }
        return open(spec);
    }

    /** Whether {@code value} names an S3 store ({@code s3://...}). */
    static boolean isS3(String value) {
        return value.trim().toLowerCase(Locale.ROOT).startsWith("s3://");
    }

    /**
     * Opens the store that {@code value} (given as {@code option}) names: a directory path or {@code file:} URI, or
     * {@code s3://bucket/prefix} with the S3 options; anything else is a usage error (exit 2).
     */
    static BackupStore open(CommandSpec spec, String option, String value, S3Options s3, boolean readOnly) {
        String trimmed = value.trim();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (trimmed.isEmpty()) {
            // an empty path would be the working directory: never a store anyone meant
            throw usage(spec, option + " is empty; give a directory path, a file: URI or s3://bucket/prefix");
        }
        if (lower.startsWith("s3://")) {
            return openS3(spec, option, trimmed, s3);
        }
        if (s3.given()) {
            throw usage(spec, "--s3-endpoint, --s3-region and --s3-path-style apply only to s3:// stores");
        }
        Path root = fileStoreRoot(spec, option, trimmed);
        return readOnly ? FileSystemStore.openReadOnly(root) : FileSystemStore.open(root);
    }

    /** The directory a path or {@code file:} URI names; another scheme is a usage error. */
    private static Path fileStoreRoot(CommandSpec spec, String option, String trimmed) {
        Path directory = directoryOf(trimmed);
        if (directory != null) {
            return directory;
        }
        if (trimmed.toLowerCase(Locale.ROOT).startsWith("file:")) {
            throw usage(spec, option + ": not a valid file: URI: " + trimmed);
        }
        throw usage(spec, option + ": unknown store scheme in " + hideUserInfo(trimmed)
            + "; use a directory path, a file: URI or s3://bucket/prefix");
    }

    /**
     * The directory that a store value (a path or {@code file:} URI) names, as opening the store reads it; null for
     * an empty value, {@code s3://} or another scheme, and a {@code file:} URI that is not valid.
     */
    static @Nullable Path directoryOf(@Nullable String value) {
        String trimmed = value == null ? "" : value.trim();
        if (trimmed.isEmpty() || isS3(trimmed)) {
            return null;
        }
        if (trimmed.toLowerCase(Locale.ROOT).startsWith("file:")) {
            try {
                return Path.of(URI.create(trimmed));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return trimmed.matches("[A-Za-z][A-Za-z0-9+.-]*://.*") ? null : Path.of(trimmed);
    }

    /**
     * {@code path} made absolute and normalized, with its longest existing ancestor replaced by that ancestor's real
     * path: the real path of a path that need not exist yet, for telling whether one path is inside another.
     */
    static Path realPath(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null) {
            try {
                return existing.toRealPath().resolve(existing.relativize(absolute));
            } catch (IOException e) {
                existing = existing.getParent();
            }
        }
        return absolute;
    }

    /** A path's entry in its parent's real directory: a link there is the entry itself, not followed. */
    static Path realEntry(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        return parent == null ? absolute : realPath(parent).resolve(absolute.getFileName().toString());
    }

    private static BackupStore openS3(CommandSpec spec, String option, String value, S3Options s3) {
        S3Store.Builder builder;
        try {
            URI uri = new URI(value);
            if (uri.getRawUserInfo() != null || uri.getRawAuthority() != null && uri.getRawAuthority().contains("@")) {
                throw usage(spec, option + ": an s3:// URI must not hold credentials; they come from the AWS SDK's "
                    + "default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, roles)");
            }
            builder = S3Store.builder(uri);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw usage(spec, option + ": not a valid s3://bucket/prefix URI: " + hideUserInfo(value)
                + (e instanceof IllegalArgumentException ? " (" + e.getMessage() + ")" : ""));
        }
        if (s3.endpoint != null) {
            try {
                URI endpoint = new URI(s3.endpoint.trim());
                if (endpoint.getRawUserInfo() != null) {
                    throw usage(spec, "--s3-endpoint must not hold credentials");
                }
                builder.endpointOverride(endpoint);
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw usage(spec, "--s3-endpoint: not an http or https URL: " + hideUserInfo(s3.endpoint));
            }
        }
        if (s3.region != null) {
            try {
                builder.region(s3.region);
            } catch (IllegalArgumentException e) {
                throw usage(spec, "--s3-region: " + e.getMessage());
            }
        }
        return builder.pathStyleAccess(s3.pathStyle).build();
    }

    static String hideUserInfo(String uri) {
        return uri.replaceAll("//[^/@]*@", "//***@");
    }

    private static CommandLine.ParameterException usage(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
