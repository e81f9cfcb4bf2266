package dev.drkit.postgres;

/** Starts a cluster and exits without closing it, for {@link ExitCleanupTest}. Not a test itself. */
final class UnclosedClusterMain {

    private UnclosedClusterMain() {
    }

    public static void main(String[] args) {
        PgCluster cluster = PgCluster.start(PgClusterConfig.forTests().toBuilder().name("unclosed").build());
        System.out.println("DIRECTORY=" + cluster.directory());
        System.out.println("PID=" + cluster.postmasterPid().orElseThrow());
        System.out.flush();
        // No close(): the shutdown hook must kill the server and delete the directory.
    }
}
