package dev.drkit.core.secret;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A secret file could not be used: it is missing, unreadable, empty, too large, not a regular file, a
 * symbolic link that was not to be followed, readable by more users than its owner, or not one line of UTF-8 text
 * where a passphrase was required.
 *
 * <p>The message names the file and, where it is known, its mode ({@code 0644 (rw-r--r--)}) and says how to
 * fix it. Nothing read from the file ever appears in the message, the context or {@link #toString()}.
 * Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public class SecretFileException extends SecretUnavailableException {

    private static final long serialVersionUID = 1L;

    /**
     * Why a file was refused.
     *
     * @since 0.1
     */
    public enum Reason {
        /** The file does not exist. */
        MISSING,
        /** It is a directory, a FIFO, a device or a socket. */
        NOT_A_REGULAR_FILE,
        /** It is a symbolic link and following links was not allowed. */
        SYMBOLIC_LINK,
        /** Group or other users may read or write it. */
        TOO_OPEN,
        /** It holds nothing, or only a newline. */
        EMPTY,
        /** It is larger than a secret can reasonably be. */
        TOO_LARGE,
        /**
         * It was to hold one line ({@link Secrets#fromOneLineFile}) but holds a line break, a carriage return or a
         * NUL byte before its one trailing newline.
         */
        NOT_ONE_LINE,
        /**
         * It was to hold a passphrase ({@link Secrets#fromOneLineFile}) but is not UTF-8 text, the encoding of
         * OpenPGP passphrases.
         */
        NOT_UTF8,
        /** It was replaced by another file while it was being read. */
        CHANGED_WHILE_READING,
        /** The file system refused to read it, or cannot report its permissions. */
        UNREADABLE
    }

    private final String file;
    private final Reason reason;
    private final String mode;

    /**
     * @param message what went wrong and how to fix it; never file content
     * @param file    the file
     * @param reason  why it was refused
     * @param mode    its mode as {@code 0644 (rw-r--r--)}, or {@code null} when unknown
     * @param cause   the underlying failure, or {@code null}
     * @since 0.1
     */
    public SecretFileException(String message, Path file, Reason reason, String mode, Throwable cause) {
        this(message, file, true, reason, mode, cause);
    }

    /**
     * As the public constructor; with {@code nameShown} false, the name is left out of the source and the context
     * (though {@link #file()} still returns it), for a name that may be the secret itself.
     */
    SecretFileException(String message, Path file, boolean nameShown, Reason reason, String mode, Throwable cause) {
        super(message, nameShown ? "file " + file : "file (name not shown)", context(nameShown ? file.toString()
            : "(not shown)", reason, mode), cause);
        this.file = file.toString();
        this.reason = reason;
        this.mode = mode;
    }

    /**
     * The file that was refused.
     *
     * @since 0.1
     */
    public Path file() {
        return Path.of(file);
    }

    /**
     * Why it was refused.
     *
     * @since 0.1
     */
    public Reason reason() {
        return reason;
    }

    /**
     * Its mode as {@code 0644 (rw-r--r--)}, when it could be read.
     *
     * @since 0.1
     */
    public Optional<String> mode() {
        return Optional.ofNullable(mode);
    }

    private static Map<String, String> context(String file, Reason reason, String mode) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(reason, "reason");
        Map<String, String> context = new LinkedHashMap<>();
        context.put("file", file);
        context.put("reason", reason.name());
        if (mode != null) {
            context.put("mode", mode);
        }
        return context;
    }
}
