package dev.drkit.backup.internal;

import java.io.IOException;

/** Throwing, on the caller's thread, a failure caught on a helper thread. */
final class Failures {

    private Failures() {
    }

    /**
     * Throws {@code failure} itself when it is an {@link IOException}, a {@link RuntimeException} or an
     * {@link Error}, so callers that classify failures by identity keep working; anything else wrapped in an
     * IOException.
     */
    static void rethrow(Throwable failure) throws IOException {
        if (failure instanceof IOException) {
            throw (IOException) failure;
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        throw new IOException(failure);
    }
}
