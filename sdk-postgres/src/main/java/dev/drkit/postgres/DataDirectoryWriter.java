package dev.drkit.postgres;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Fills an empty data directory with the files of a copy of a cluster, such as a base backup, for
 * {@link PgCluster#restore(PgClusterConfig, DataDirectoryWriter)}.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface DataDirectoryWriter {

    /**
     * Writes the cluster's files into {@code dataDirectory}, which exists, is empty and belongs to this JVM's user;
     * ownership and modes are fixed afterwards.
     *
     * @throws IOException if the files cannot be read or written
     * @since 0.1
     */
    void writeTo(Path dataDirectory) throws IOException;
}
