package dev.drkit.postgres;

/**
 * How a server is stopped, as {@code pg_ctl stop -m} says it.
 *
 * @since 0.1
 */
public enum StopMode {
    /** Waits for every client to disconnect, then shuts down cleanly. May wait for ever on an idle pool. */
    SMART("smart"),
    /** Disconnects clients, rolls back their transactions and shuts down cleanly with a checkpoint. */
    FAST("fast"),
    /** Quits at once without a checkpoint; the next start runs crash recovery. Like a crash, but clean for the OS. */
    IMMEDIATE("immediate");

    private final String pgCtlName;

    StopMode(String pgCtlName) {
        this.pgCtlName = pgCtlName;
    }

    /**
     * The mode's name for {@code pg_ctl stop -m}.
     *
     * @since 0.1
     */
    public String pgCtlName() {
        return pgCtlName;
    }
}
