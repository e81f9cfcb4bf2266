package dev.drkit.backup;

import dev.drkit.core.DrkitException;
import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * The root of the exceptions the backup module throws on purpose.
 *
 * <p>Messages and {@link #context()} name what failed (a stage, a packet, a check) and never hold a passphrase,
 * a key or backup contents.
 *
 * @since 0.1
 */
public abstract class BackupException extends DrkitException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened; never a secret
     * @param kind    what kind of failure this is
     * @param context named facts; never a secret
     * @param cause   the underlying failure, or {@code null}
     */
    protected BackupException(String message, Kind kind, Map<String, String> context, @Nullable Throwable cause) {
        super(message, kind, context, cause);
    }
}
