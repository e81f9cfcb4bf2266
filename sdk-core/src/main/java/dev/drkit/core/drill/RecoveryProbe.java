package dev.drkit.core.drill;

/**
 * A check that the service works as a user would see it: an order can be written and read back, the login
 * page answers, a query returns the expected row. A recovery counts only when such probes pass, not when a
 * process is merely up.
 *
 * <p>A probe must bound its own time (connect and read timeouts well under the probe interval): a probe that
 * hangs stalls the measurement. Implementations are called from one thread at a time.
 *
 * <pre>{@code
 * RecoveryProbe canWrite = () -> {
 *     try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
 *         s.setQueryTimeout(1);
 *         return s.executeUpdate("UPDATE drill_probe SET at = now()") == 1;
 *     }
 * };
 * }</pre>
 *
 * @since 0.1
 */
@FunctionalInterface
public interface RecoveryProbe {

    /**
     * Checks the service once.
     *
     * @return {@code true} if it works; {@code false} if it answered wrongly
     * @throws Exception if it could not be reached or failed; counts as a failed probe
     * @since 0.1
     */
    boolean check() throws Exception;
}
