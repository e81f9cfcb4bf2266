package dev.drkit.cli;

import dev.drkit.backup.store.S3Store;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The options of an {@code s3://bucket/prefix} store that the commands taking a store URI share ({@code --store},
 * {@code pitr verify --archive}): the endpoint of an S3-compatible server, the region and path-style addressing.
 * Credentials never come from here: only from the AWS SDK's default provider chain.
 */
final class S3Options {

    @Option(names = "--s3-endpoint", paramLabel = "URL",
        description = "For s3:// stores: the endpoint of an S3-compatible server (http or https); default AWS.")
    @Nullable String endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION",
        description = "For s3:// stores: the region; default the AWS SDK's region chain (AWS_REGION, profile), "
            + "else " + S3Store.DEFAULT_REGION + ".")
    @Nullable String region;

    @Option(names = "--s3-path-style",
        description = "For s3:// stores: address the bucket in the path (host/bucket/key), as most S3-compatible "
            + "servers want.")
    boolean pathStyle;

    /** Whether any of the options was given. */
    boolean given() {
        return endpoint != null || region != null || pathStyle;
    }
}
