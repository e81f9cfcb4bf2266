package dev.drkit.backup;

/** What a child JVM of a kill test does when it reaches the middle of its work. */
final class KilledMidway {

    private KilledMidway() {
    }

    /**
     * Tells the parent test ("MIDWAY" on standard output) that the work is halfway, then waits for the parent's
     * {@code kill -9}; exits 3 should it never come.
     */
    static void announceAndWait() {
        System.out.println("MIDWAY");
        System.out.flush();
        try {
            Thread.sleep(120_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // never reached in the test: the parent kills this JVM first
        System.exit(3);
    }
}
