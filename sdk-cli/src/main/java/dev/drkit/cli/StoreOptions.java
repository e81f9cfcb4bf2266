package dev.drkit.cli;

import dev.drkit.backup.store.BackupStore;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.backup.store.S3Store;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

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

    @Option(names = "--s3-endpoint", paramLabel = "URL",
        description = "For s3:// stores: the endpoint of an S3-compatible server (http or https); default AWS.")
    @Nullable String s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION",
        description = "For s3:// stores: the region; default the AWS SDK's region chain (AWS_REGION, profile), "
            + "else " + S3Store.DEFAULT_REGION + ".")
    @Nullable String s3Region;

    @Option(names = "--s3-path-style",
        description = "For s3:// stores: address the bucket in the path (host/bucket/key), as most S3-compatible "
            + "servers want.")
    boolean s3PathStyle;

    /** Opens the store; a URI or option this build cannot use is a usage error (exit 2). */
    BackupStore open(CommandSpec spec) {
        String value = store.trim();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("s3://")) {
            return openS3(spec, value);
        }
        if (s3Endpoint != null || s3Region != null || s3PathStyle) {
            throw usage(spec, "--s3-endpoint, --s3-region and --s3-path-style apply only to s3:// stores");
        }
        Path root;
        if (lower.startsWith("file:")) {
            try {
                root = Path.of(URI.create(value));
            } catch (IllegalArgumentException e) {
                throw usage(spec, "--store: not a valid file: URI: " + value);
            }
        } else if (value.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            throw usage(spec, "--store: unknown store scheme in " + hideUserInfo(value)
                + "; use a directory path, a file: URI or s3://bucket/prefix");
        } else {
            root = Path.of(value);
        }
        return FileSystemStore.open(root);
    }

    private BackupStore openS3(CommandSpec spec, String value) {
        S3Store.Builder builder;
        try {
            URI uri = new URI(value);
            if (uri.getRawUserInfo() != null || uri.getRawAuthority() != null && uri.getRawAuthority().contains("@")) {
                throw usage(spec, "--store: an s3:// URI must not hold credentials; they come from the AWS SDK's "
                    + "default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, roles)");
            }
            builder = S3Store.builder(uri);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw usage(spec, "--store: not a valid s3://bucket/prefix URI: " + hideUserInfo(value)
                + (e instanceof IllegalArgumentException ? " (" + e.getMessage() + ")" : ""));
        }
        if (s3Endpoint != null) {
            try {
                URI endpoint = new URI(s3Endpoint.trim());
                if (endpoint.getRawUserInfo() != null) {
                    throw usage(spec, "--s3-endpoint must not hold credentials");
                }
                builder.endpointOverride(endpoint);
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw usage(spec, "--s3-endpoint: not an http or https URL: " + hideUserInfo(s3Endpoint));
            }
        }
        if (s3Region != null) {
            try {
                builder.region(s3Region);
            } catch (IllegalArgumentException e) {
                throw usage(spec, "--s3-region: " + e.getMessage());
            }
        }
        return builder.pathStyleAccess(s3PathStyle).build();
    }

    private static String hideUserInfo(String uri) {
        return uri.replaceAll("//[^/@]*@", "//***@");
    }

    private static CommandLine.ParameterException usage(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
