package dev.drkit.core.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One JVM shutdown hook for all of drkit that cleans up whatever was registered and not yet released:
 * credential files, clusters whose owner forgot {@code close()}, or a JVM that exits in the middle of a test.
 * Thread-safe. Internal: no compatibility guarantees.
 *
 * <p>The hook takes no locks, and actions must not either: the hook may run while another thread holds one
 * (for example when that thread called {@code System.exit} from inside a {@code synchronized} method), and
 * waiting for it would hang the JVM's exit for ever.
 */
public final class ExitCleanup {

    /** What to do for one registered resource at exit. Must not block on locks. */
    @FunctionalInterface
    public interface Action {
        void runAtExit();
    }

    private static final Map<Object, Action> PENDING = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExitCleanup::runAll, "drkit-exit-cleanup"));
    }

    private ExitCleanup() {
    }

    /** Registers {@code action} to run at exit unless {@link #unregister(Object)} is called first. */
    public static void register(Object owner, Action action) {
        PENDING.put(owner, action);
    }

    /** Forgets {@code owner}: it cleaned up itself. */
    public static void unregister(Object owner) {
        PENDING.remove(owner);
    }

    /** Whether {@code owner} is registered and not yet cleaned up. */
    public static boolean isRegistered(Object owner) {
        return PENDING.containsKey(owner);
    }

    private static void runAll() {
        List<Action> actions = List.copyOf(PENDING.values());
        PENDING.clear();
        for (Action action : actions) {
            try {
                action.runAtExit();
            } catch (RuntimeException e) {
                // the JVM is exiting; the next resource still deserves its cleanup
            }
        }
    }
}
