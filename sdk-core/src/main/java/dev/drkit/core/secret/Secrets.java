package dev.drkit.core.secret;

import dev.drkit.core.internal.PosixModes;
import dev.drkit.core.internal.Text;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Loads {@link Secret}s from the three places the {@code drkit} conventions allow: a file, an environment
 * variable named by the user, and a prompt on the console. Never from a command-line argument, which
 * {@code ps} shows to every user of the machine.
 *
 * <pre>{@code
 * try (Secret passphrase = Secrets.fromFile(Path.of("/etc/drkit/backup.passphrase"))) {
 *     ...
 * }
 * SecretSource vaultSecretId = Secrets.envSource("VAULT_SECRET_ID");   // read again on every get()
 * }</pre>
 *
 * <p>Every failure is a {@link SecretUnavailableException} (a {@link SecretFileException} for files) that
 * names the file or variable and never holds any part of the value. This class is stateless and
 * thread-safe.
 *
 * @since 0.1
 */
public final class Secrets {

    /**
     * The largest secret file read, in bytes: {@value}. Larger files are refused as a likely mistake.
     *
     * @since 0.1
     */
    public static final int MAX_FILE_BYTES = 1 << 20;

    private static final Logger log = LoggerFactory.getLogger(Secrets.class);

    /** The names of the environment variables secrets were read from: never passed on to a child process. */
    private static final Set<String> VARIABLES_READ = ConcurrentHashMap.newKeySet();
    /** A variable name that messages may show: anything else may be a secret given in place of its name. */
    private static final Pattern SHOWN_VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(
        PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private Secrets() {
    }

    /**
     * Reads a secret from a file that only its owner may read or write ({@code 0600} or {@code 0400}), as
     * written by {@code echo "$PASSWORD" > file}: one trailing newline ({@code \n} or {@code \r\n}) is
     * removed, any other byte is kept. The file is read as bytes; no {@code String} of its content is made.
     *
     * <p>Refused, each with a {@link SecretFileException} naming the file and its mode: a missing file; a
     * directory, FIFO or device; a symbolic link (unless {@link FileAccess#FOLLOW_SYMLINKS}); a file its
     * group may read (unless {@link FileAccess#ALLOW_GROUP_READABLE}) or others may read, or group or others
     * may write; a file that is empty or holds only a newline; a file larger than {@value #MAX_FILE_BYTES}
     * bytes; a file that was replaced while it was being read; a file system without POSIX permissions
     * (the check cannot be made, so the file is not trusted).
     *
     * <p>The returned secret is labelled with the file's name: {@code Secret[db.password]}.
     *
     * @param file   the file
     * @param access relaxations of the checks; none for the strict default
     * @return a new secret that the caller closes
     * @throws SecretFileException if the file is refused or cannot be read
     * @since 0.1
     */
    public static Secret fromFile(Path file, FileAccess... access) {
        return read(file, false, access);
    }

    /**
     * Reads a secret that must be one line, from a file held to the checks of
     * {@link #fromFile(Path, FileAccess...)}: what OpenPGP tools read from a passphrase file, so that a passphrase
     * read here is the one {@code gpg --passphrase-file} reads from the same file. gpg takes the bytes up to the
     * first {@code \n}, keeps a {@code \r} as part of the passphrase, and stops at a NUL byte; so here one
     * trailing {@code \n} is removed and a file that still holds a {@code \n}, a {@code \r} or a NUL byte is
     * refused ({@link SecretFileException.Reason#NOT_ONE_LINE}), instead of being read as a passphrase gpg would
     * read differently. {@code openssl rand -base64 64} writes two lines, and a file saved with Windows line ends
     * ends in {@code \r\n}: both are refused.
     *
     * <p>Use it for passphrases that make backups or keys which stock tools must open later.
     *
     * @param file   the file
     * @param access relaxations of the checks; none for the strict default
     * @return a new secret that the caller closes
     * @throws SecretFileException if the file is refused or cannot be read
     * @since 0.1
     */
    public static Secret fromOneLineFile(Path file, FileAccess... access) {
        return read(file, true, access);
    }

    private static Secret read(Path file, boolean oneLine, FileAccess... access) {
        Objects.requireNonNull(file, "file");
        Set<FileAccess> options = options(access);
        boolean follow = options.contains(FileAccess.FOLLOW_SYMLINKS);
        LinkOption[] linkOptions = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};

        PosixFileAttributes before = attributes(file, linkOptions);
        String mode = PosixModes.describe(before.permissions());
        if (before.isSymbolicLink()) {
            throw new SecretFileException("Secret file " + file + " is a symbolic link; name the file it points to,"
                + " or allow following links (FileAccess.FOLLOW_SYMLINKS)", file, SecretFileException.Reason.SYMBOLIC_LINK,
                mode, null);
        }
        if (!before.isRegularFile()) {
            throw new SecretFileException("Secret file " + file + " is not a regular file (a directory, FIFO or device)",
                file, SecretFileException.Reason.NOT_A_REGULAR_FILE, mode, null);
        }
        checkPermissions(file, before.permissions(), options.contains(FileAccess.ALLOW_GROUP_READABLE));
        if (before.size() > MAX_FILE_BYTES) {
            throw tooLarge(file, mode);
        }

        byte[] content = read(file, follow, mode);
        try {
            // The checks above were made on a path, and the read opened it again: if the name now points at
            // another file (an attacker swapped it in between), refuse what was read. File systems without
            // file keys (device and inode) cannot tell, and are trusted as far as the checks above go.
            PosixFileAttributes after = attributes(file, linkOptions);
            if (before.fileKey() != null && !before.fileKey().equals(after.fileKey())) {
                throw new SecretFileException("Secret file " + file + " was replaced while it was being read; try again",
                    file, SecretFileException.Reason.CHANGED_WHILE_READING, mode, null);
            }
            int length = oneLine ? lengthWithoutTrailingLineFeed(content) : lengthWithoutTrailingNewline(content);
            if (length == 0) {
                throw new SecretFileException("Secret file " + file + " is empty" + (content.length > 0 ? " (only a newline)" : ""),
                    file, SecretFileException.Reason.EMPTY, mode, null);
            }
            if (oneLine) {
                // Text first: a file that is not text cannot be read as a whole either, as callers do when they
                // accept more than one line from files earlier versions took.
                checkUtf8(file, content, length, mode);
                checkOneLine(file, content, length, mode);
            }
            byte[] trimmed = Arrays.copyOf(content, length);
            Secret secret;
            try {
                secret = Secret.ofBytes(trimmed, label(file));
            } finally {
                Arrays.fill(trimmed, (byte) 0);
            }
            log.debug("Secrets: read secret '{}' from file {} (mode {})", secret.label(), file, mode);
            return secret;
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Reads a secret from an environment variable whose name the user gave (an option such as
     * {@code --passphrase-env BACKUP_PASSPHRASE}). The value is taken as it is, without trimming.
     *
     * <p>Java hands environment values over as {@code String}s, which cannot be wiped; a file is the better
     * place for long-lived secrets. The returned secret is labelled with the variable's name.
     *
     * <p>Messages and labels show the name only if it looks like one ({@code [A-Za-z_][A-Za-z0-9_]{0,127}}); otherwise
     * they give its length, since what was given in place of a name may be the secret itself.
     *
     * @param variableName the variable, for example {@code "BACKUP_PASSPHRASE"}
     * @return a new secret that the caller closes
     * @throws IllegalArgumentException   if {@code variableName} is empty or holds {@code '='} or a NUL
     * @throws SecretUnavailableException if the variable is not set or is empty
     * @since 0.1
     */
    public static Secret fromEnv(String variableName) {
        return fromEnv(variableName, System.getenv());
    }

    /**
     * The names of the environment variables that {@link #fromEnv} (or a source made by {@link #envSource}) was
     * asked to read in this process, whether or not they were set. Code that starts a child process removes them
     * from the child's environment, so that a secret given as {@code --passphrase-env NAME} does not reach, say,
     * {@code pg_dump}.
     *
     * @since 0.1
     */
    public static Set<String> environmentVariablesRead() {
        return Set.copyOf(VARIABLES_READ);
    }

    /**
     * As {@link #fromEnv(String)}, for a passphrase that encrypts: refuses a value holding a line feed, a carriage
     * return or a NUL, which gpg would read as another passphrase (one line, ended at a NUL), so that what is
     * encrypted with it always opens with stock gpg. The message names the variable, never its value.
     *
     * @throws SecretUnavailableException if the variable is not set, is empty, or is not one line
     * @since 0.1
     */
    public static Secret fromOneLineEnv(String variableName) {
        return fromOneLineEnv(variableName, System.getenv());
    }

    static Secret fromOneLineEnv(String variableName, Map<String, String> environment) {
        Secret secret = fromEnv(variableName, environment);
        String value = environment.get(variableName);
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
            secret.close();
            String shown = shown(variableName);
            throw new SecretUnavailableException("Environment variable " + shown + " holds a line break, a"
                + " carriage return or a NUL, so gpg would read another passphrase from it and could not open what is"
                + " encrypted with it; a passphrase must be one line", "environment variable " + shown,
                Map.of("variable", shown), null);
        }
        return secret;
    }

    static Secret fromEnv(String variableName, Map<String, String> environment) {
        checkVariableName(variableName);
        VARIABLES_READ.add(variableName);
        String shown = shown(variableName);
        String source = "environment variable " + shown;
        String value = environment.get(variableName);
        if (value == null) {
            throw new SecretUnavailableException("Environment variable " + shown + " is not set; set it to the secret,"
                + " or give the secret in a file", source, Map.of("variable", shown), null);
        }
        if (value.isEmpty()) {
            throw new SecretUnavailableException("Environment variable " + shown + " is set but empty",
                source, Map.of("variable", shown), null);
        }
        Secret secret = Secret.ofString(value, shown.equals(variableName) ? label(variableName, "environment")
            : "environment");
        log.debug("Secrets: read secret '{}' from environment variable {}", secret.label(), shown);
        return secret;
    }

    /**
     * Asks for a secret on the console without echoing it ({@link java.io.Console#readPassword}). The
     * returned secret is labelled {@code console}.
     *
     * @param prompt the text shown, for example {@code "Backup passphrase: "}; printed as it is
     * @return a new secret that the caller closes
     * @throws SecretUnavailableException if there is no console (standard input or output is not a terminal,
     *                                    as in CI or under {@code nohup}), input ended, or nothing was typed
     * @since 0.1
     */
    public static Secret fromConsole(String prompt) {
        return fromConsole(prompt, PasswordPrompt.system());
    }

    static Secret fromConsole(String prompt, @Nullable PasswordPrompt console) {
        Objects.requireNonNull(prompt, "prompt");
        if (console == null) {
            throw new SecretUnavailableException("No console to ask for a secret on (standard input or output is not a"
                + " terminal); give the secret in a file or an environment variable instead", "console", Map.of(), null);
        }
        char[] typed = console.readPassword(prompt);
        if (typed == null) {
            throw new SecretUnavailableException("Console input ended before a secret was entered", "console", Map.of(), null);
        }
        try {
            if (typed.length == 0) {
                throw new SecretUnavailableException("An empty secret was entered on the console", "console", Map.of(), null);
            }
            return Secret.of(typed, "console");
        } finally {
            Arrays.fill(typed, '\0');
        }
    }

    /**
     * A source that reads the file again on every {@link SecretSource#get()}, so a rotated file is picked
     * up, with the checks of {@link #fromFile(Path, FileAccess...)}.
     *
     * @since 0.1
     */
    public static SecretSource fileSource(Path file, FileAccess... access) {
        Objects.requireNonNull(file, "file");
        FileAccess[] copy = options(access).toArray(new FileAccess[0]);
        return new NamedSource("file " + file, () -> fromFile(file, copy));
    }

    /**
     * A source that reads the environment variable on every {@link SecretSource#get()}, with the checks of
     * {@link #fromEnv(String)}.
     *
     * @throws IllegalArgumentException if {@code variableName} is empty or holds {@code '='} or a NUL
     * @since 0.1
     */
    public static SecretSource envSource(String variableName) {
        checkVariableName(variableName);
        VARIABLES_READ.add(variableName);
        return new NamedSource("environment variable " + shown(variableName), () -> fromEnv(variableName));
    }

    static SecretSource envSource(String variableName, Map<String, String> environment) {
        checkVariableName(variableName);
        Map<String, String> env = Objects.requireNonNull(environment, "environment");
        return new NamedSource("environment variable " + shown(variableName), () -> fromEnv(variableName, env));
    }

    /**
     * A source that asks on the console on every {@link SecretSource#get()}, with the checks of
     * {@link #fromConsole(String)}. Wrap it in a cache if it is asked often.
     *
     * @since 0.1
     */
    public static SecretSource consoleSource(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        return new NamedSource("console", () -> fromConsole(prompt));
    }

    static SecretSource consoleSource(String prompt, @Nullable PasswordPrompt console) {
        Objects.requireNonNull(prompt, "prompt");
        return new NamedSource("console", () -> fromConsole(prompt, console));
    }

    private static Set<FileAccess> options(FileAccess... access) {
        Objects.requireNonNull(access, "access");
        Set<FileAccess> options = EnumSet.noneOf(FileAccess.class);
        for (FileAccess a : access) {
            options.add(Objects.requireNonNull(a, "access"));
        }
        return options;
    }

    private static PosixFileAttributes attributes(Path file, LinkOption... linkOptions) {
        try {
            return Files.readAttributes(file, PosixFileAttributes.class, linkOptions);
        } catch (NoSuchFileException e) {
            if (!nameMayBeShown(file)) {
                // without its cause: the cause's message is the name
                throw new SecretFileException("Secret file not found; the name given (" + file.toString().length()
                    + " characters) is not shown, as it has no existing directory and may be the secret itself given"
                    + " in place of a file name; name the file with its directory (./NAME for one in the working"
                    + " directory)", file, false, SecretFileException.Reason.MISSING, null, null);
            }
            throw new SecretFileException("Secret file " + file + " does not exist", file, SecretFileException.Reason.MISSING,
                null, e);
        } catch (UnsupportedOperationException e) {
            throw new SecretFileException("Secret file " + file + " is on a file system without POSIX permissions, so who"
                + " may read it cannot be checked; move it to one that has them", file,
                SecretFileException.Reason.UNREADABLE, null, e);
        } catch (IOException e) {
            if (!nameMayBeShown(file)) {
                throw new SecretFileException("Cannot read the attributes of a secret file (" + e.getClass().getSimpleName()
                    + "); the name given (" + file.toString().length() + " characters) is not shown, as it has no existing"
                    + " directory and may be the secret itself given in place of a file name", file, false,
                    SecretFileException.Reason.UNREADABLE, null, null);
            }
            throw new SecretFileException("Cannot read the attributes of secret file " + file + ": "
                + e.getClass().getSimpleName(), file, SecretFileException.Reason.UNREADABLE, null, e);
        }
    }

    /**
     * Whether a file that cannot be found may be named in a message. A command line such as
     * {@code --passphrase-file "$PASS"} hands over the secret where its file's name belongs, and an error that
     * echoed it would write the secret to a terminal, a log or a cron mail; a name whose directory exists is taken
     * to be a name.
     */
    private static boolean nameMayBeShown(Path file) {
        Path parent = file.getParent();
        return parent != null && Files.isDirectory(parent);
    }

    private static void checkPermissions(Path file, Set<PosixFilePermission> permissions, boolean allowGroupRead) {
        Set<PosixFilePermission> tooOpen = new HashSet<>(permissions);
        tooOpen.removeAll(OWNER_ONLY);
        if (allowGroupRead) {
            tooOpen.remove(PosixFilePermission.GROUP_READ);
        }
        // Execute bits alone give nobody the content, but a secret file has no use for them, and
        // PostgreSQL's .pgpass check refuses them too: keep the rule simple to state.
        if (!tooOpen.isEmpty()) {
            String allowed = allowGroupRead ? "0640 or stricter" : "0600 or stricter";
            String chmod = allowGroupRead ? "chmod 640 " : "chmod 600 ";
            throw new SecretFileException("Secret file " + file + " has mode " + PosixModes.describe(permissions)
                + ", which lets " + (tooOpenForOthers(tooOpen) ? "other users" : "its group") + " at it; it must be "
                + allowed + ": " + chmod + file, file, SecretFileException.Reason.TOO_OPEN, PosixModes.describe(permissions),
                null);
        }
    }

    private static boolean tooOpenForOthers(Set<PosixFilePermission> tooOpen) {
        return tooOpen.contains(PosixFilePermission.OTHERS_READ) || tooOpen.contains(PosixFilePermission.OTHERS_WRITE)
            || tooOpen.contains(PosixFilePermission.OTHERS_EXECUTE);
    }

    private static byte[] read(Path file, boolean follow, String mode) {
        Set<OpenOption> open = follow ? Set.of(StandardOpenOption.READ)
            : Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        // Between the checks and this open, the name could be swapped for a FIFO and the open would block;
        // the file-key comparison after reading catches every other swap.
        byte[] buffer = new byte[4096];
        int filled = 0;
        try (SeekableByteChannel channel = Files.newByteChannel(file, open)) {
            while (true) {
                if (filled == buffer.length) {
                    if (buffer.length > MAX_FILE_BYTES) {
                        Arrays.fill(buffer, (byte) 0);
                        throw tooLarge(file, mode);
                    }
                    byte[] bigger = Arrays.copyOf(buffer, Math.min(buffer.length * 2, MAX_FILE_BYTES + 1));
                    Arrays.fill(buffer, (byte) 0);
                    buffer = bigger;
                }
                int n = channel.read(ByteBuffer.wrap(buffer, filled, buffer.length - filled));
                if (n < 0) {
                    break;
                }
                filled += n;
            }
        } catch (IOException e) {
            Arrays.fill(buffer, (byte) 0);
            throw new SecretFileException("Cannot read secret file " + file + ": " + e.getClass().getSimpleName(),
                file, SecretFileException.Reason.UNREADABLE, mode, e);
        }
        if (filled > MAX_FILE_BYTES) {
            Arrays.fill(buffer, (byte) 0);
            throw tooLarge(file, mode);
        }
        byte[] content = Arrays.copyOf(buffer, filled);
        Arrays.fill(buffer, (byte) 0);
        return content;
    }

    private static SecretFileException tooLarge(Path file, String mode) {
        return new SecretFileException("Secret file " + file + " is larger than " + MAX_FILE_BYTES + " bytes; is it the"
            + " right file?", file, SecretFileException.Reason.TOO_LARGE, mode, null);
    }

    /** The length without one trailing "\n" or "\r\n", the newline {@code echo} and editors add. */
    private static int lengthWithoutTrailingNewline(byte[] content) {
        int length = content.length;
        if (length > 0 && content[length - 1] == '\n') {
            length--;
            if (length > 0 && content[length - 1] == '\r') {
                length--;
            }
        }
        return length;
    }

    /** The length without one trailing "\n": gpg reads a passphrase file up to its first "\n" and keeps a "\r". */
    private static int lengthWithoutTrailingLineFeed(byte[] content) {
        int length = content.length;
        return length > 0 && content[length - 1] == '\n' ? length - 1 : length;
    }

    /**
     * Refuses content that gpg would read as another passphrase: with a NUL byte (where gpg's passphrase ends), a
     * "\n" (gpg reads the first line only) or a "\r" (gpg keeps it). Says which, never where or what.
     */
    private static void checkOneLine(Path file, byte[] content, int length, String mode) {
        boolean nul = false;
        boolean lineFeed = false;
        boolean carriageReturn = false;
        for (int i = 0; i < length; i++) {
            nul |= content[i] == 0;
            lineFeed |= content[i] == '\n';
            carriageReturn |= content[i] == '\r';
        }
        String what;
        String fix;
        if (nul) {
            what = " holds a NUL byte, where gpg --passphrase-file would end the passphrase";
            fix = newFile(file);
        } else if (lineFeed) {
            what = " holds more than one line, and gpg --passphrase-file reads only the first";
            fix = newFile(file);
        } else if (carriageReturn) {
            what = " holds a carriage return (\\r, as a Windows line end leaves), which gpg --passphrase-file would"
                + " keep as part of the passphrase";
            fix = "save it with Unix line ends, for example: sed -i 's/\\r$//' " + file;
        } else {
            return;
        }
        throw new SecretFileException("Secret file " + file + what + ", so gpg could not open what is encrypted with"
            + " it; a passphrase file must be one line, with at most a \\n after it: " + fix, file,
            SecretFileException.Reason.NOT_ONE_LINE, mode, null);
    }

    /** Refuses content that is not UTF-8 text: OpenPGP passphrases are UTF-8, and {@link Secret#reveal()} needs it. */
    private static void checkUtf8(Path file, byte[] content, int length, String mode) {
        CharBuffer decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(content, 0, length));
        } catch (CharacterCodingException e) {
            throw new SecretFileException("Secret file " + file + " is not UTF-8 text (saved as Latin-1 or in another"
                + " encoding?), and an OpenPGP passphrase is UTF-8, so nothing could be encrypted or opened with it: "
                + newFile(file), file, SecretFileException.Reason.NOT_UTF8, mode, null);
        }
        Arrays.fill(decoded.array(), '\0');
    }

    /** How to make a one-line passphrase file without overwriting one that earlier backups may need. */
    private static String newFile(Path file) {
        return "put a one-line passphrase in a new file, for example: (umask 077; openssl rand -base64 32 > " + file
            + ".new), and keep this one for what was encrypted with it before";
    }

    private static String label(Path file) {
        Path name = file.getFileName();
        return label(name == null ? "" : name.toString(), "file");
    }

    private static String label(String name, String fallback) {
        String label = Text.oneLine(name, 200);
        return label.isBlank() ? fallback : label;
    }

    /**
     * The variable's name as messages, labels and sources show it: the name itself if it looks like one
     * ({@code [A-Za-z_][A-Za-z0-9_]{0,127}}); otherwise only its length, since what was given in place of a name may be
     * the secret itself ({@code --passphrase-env "$PASS"}).
     */
    static String shown(String variableName) {
        return SHOWN_VARIABLE_NAME.matcher(variableName).matches() ? variableName
            : "(a name of " + variableName.length() + " characters, not shown)";
    }

    private static void checkVariableName(String variableName) {
        Objects.requireNonNull(variableName, "variableName");
        if (variableName.isEmpty() || variableName.indexOf('=') >= 0 || variableName.indexOf('\0') >= 0) {
            // not repeated: a secret given in place of its variable's name is the likely mistake
            throw new IllegalArgumentException("variableName must be a non-empty name without '=' or NUL, but was "
                + (variableName.isEmpty() ? "empty" : "not one (" + variableName.length() + " characters, not shown)"));
        }
    }

    /** A source whose {@code toString()} says where it reads from, never what. */
    private static final class NamedSource implements SecretSource {

        private final String description;
        private final SecretSource delegate;

        NamedSource(String description, SecretSource delegate) {
            this.description = description;
            this.delegate = delegate;
        }

        @Override
        public Secret get() {
            return delegate.get();
        }

        @Override
        public String toString() {
            return "SecretSource[" + description + "]";
        }
    }
}
