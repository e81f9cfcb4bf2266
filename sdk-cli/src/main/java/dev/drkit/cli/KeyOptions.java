package dev.drkit.cli;

import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.Identity;
import dev.drkit.backup.RecipientKey;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.SecretFileException;
import dev.drkit.core.secret.SecretUnavailableException;
import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the backup passphrase or key comes from: a file ({@code 0600}), an environment variable named by the
 * option, the terminal, or a key file. Never an argument value, which {@code ps} would show to every user. With a private key
 * ({@code --identity}), the passphrase options give the key's own passphrase, if it has one.
 *
 * <p>A passphrase file must be one line ({@link Secrets#fromOneLineFile}), as {@code gpg --passphrase-file} reads
 * only the first: backups made with a file of more lines, or with a {@code \r} in it, would not open with gpg.
 * Commands that make backups refuse such a file (exit 3) before anything is written. Commands that only read
 * backups read it as a whole, as drkit did before this rule, with a warning: the backups an earlier drkit made with
 * it open with nothing else.
 */
final class KeyOptions {

    @Option(names = "--passphrase-file", paramLabel = "FILE",
        description = "Read the passphrase from FILE (mode 0600 or 0400; one line, as gpg --passphrase-file reads "
            + "only the first; one trailing newline is ignored)." + WITH_IDENTITY)
    @Nullable Path passphraseFile;

    @Option(names = "--passphrase-env", paramLabel = "NAME",
        description = "Read the passphrase from the environment variable NAME." + WITH_IDENTITY)
    @Nullable String passphraseEnv;

    @Option(names = "--passphrase-prompt",
        description = "Ask for the passphrase on the terminal, without echo (twice when it encrypts). Standard input "
            + "and output must be a terminal." + WITH_IDENTITY)
    boolean passphrasePrompt;

    /** The sentence the passphrase options' help ends with, which only commands that take --identity keep. */
    private static final String WITH_IDENTITY = " With --identity: the private key's passphrase.";

    /**
     * Drops the passphrase options' word on {@code --identity} from the help of every command in {@code cli} that
     * has no {@code --identity} (backup, wal-push, pg backup): there it would name an option they do not have.
     */
    static CommandLine fitHelp(CommandLine cli) {
        CommandSpec spec = cli.getCommandSpec();
        if (spec.findOption("--identity") == null) {
            for (String name : new String[] {"--passphrase-file", "--passphrase-env", "--passphrase-prompt"}) {
                CommandLine.Model.OptionSpec option = spec.findOption(name);
                if (option == null || option.group() != null) {
                    continue;   // picocli cannot replace an option inside an argument group
                }
                String[] description = option.description().clone();
                for (int i = 0; i < description.length; i++) {
                    description[i] = description[i].replace(WITH_IDENTITY, "");
                }
                spec.remove(option);
                spec.addOption(CommandLine.Model.OptionSpec.builder(option).description(description).build());
            }
        }
        cli.getSubcommands().values().forEach(KeyOptions::fitHelp);
        return cli;
    }

    /** Whether any passphrase option was given. */
    boolean given() {
        return passphraseFile != null || passphraseEnv != null || passphrasePrompt;
    }

    /**
     * Backup side: encryption to the public key in {@code recipient}, or with the passphrase. Exactly one of them
     * must be given (usage error otherwise).
     */
    ForBackup forBackup(CommandSpec spec, @Nullable Path recipient) {
        if (recipient != null) {
            if (given()) {
                throw usage(spec, "give either --recipient or a passphrase option, not both");
            }
            return new ForBackup(Encryption.recipients(RecipientKey.read(recipient)), null);
        }
        if (!given()) {
            throw usage(spec, "give one of --passphrase-file, --passphrase-env, --passphrase-prompt or --recipient");
        }
        Secret passphrase = passphrase(spec, true);
        return new ForBackup(Encryption.passphrase(passphrase), passphrase);
    }

    /**
     * Restore and full-verification side: the private key in {@code identity} (unlocked with the passphrase
     * options, if given), or the passphrase.
     */
    ForRestore forRestore(CommandSpec spec, @Nullable Path identity) {
        if (identity != null) {
            Secret passphrase = given() ? passphrase(spec, false) : null;
            try {
                Identity key = passphrase == null ? Identity.fromFile(identity) : Identity.fromFile(identity, passphrase);
                return new ForRestore(key, passphrase, key);
            } catch (RuntimeException e) {
                if (passphrase != null) {
                    passphrase.close();
                }
                throw e;
            }
        }
        if (!given()) {
            throw usage(spec, "give one of --passphrase-file, --passphrase-env, --passphrase-prompt or --identity");
        }
        Secret passphrase = passphrase(spec, false);
        return new ForRestore(DecryptionKey.passphrase(passphrase), passphrase, null);
    }

    /**
     * The passphrase from the file or the variable. A file must be one line to make backups ({@code forWriting});
     * to read them, a file of more lines is read as a whole, as before, with a warning.
     */
    private Secret passphrase(CommandSpec spec, boolean forWriting) {
        if ((passphraseFile != null ? 1 : 0) + (passphraseEnv != null ? 1 : 0) + (passphrasePrompt ? 1 : 0) > 1) {
            throw usage(spec, "give only one of --passphrase-file, --passphrase-env and --passphrase-prompt");
        }
        if (passphrasePrompt) {
            return prompted(spec.qualifiedName(), forWriting);
        }
        if (passphraseFile == null) {
            return fromEnvOption(spec, "--passphrase-env", passphraseEnv, forWriting);
        }
        if (forWriting) {
            return Secrets.fromOneLineFile(passphraseFile);
        }
        try {
            return Secrets.fromOneLineFile(passphraseFile);
        } catch (SecretFileException e) {
            if (e.reason() != SecretFileException.Reason.NOT_ONE_LINE) {
                throw e;
            }
            Secret whole = Secrets.fromFile(passphraseFile);
            PrintWriter err = spec.commandLine().getErr();
            err.println(spec.qualifiedName() + ": warning: passphrase file " + passphraseFile + " is not one line (it"
                + " holds a line break, a \\r or a NUL byte before its end), so gpg --passphrase-file reads another"
                + " passphrase from it and cannot open backups made with it; reading it as a whole, as the drkit that"
                + " made them did. New backups need a one-line passphrase file");
            err.flush();
            return whole;
        }
    }

    /**
     * The passphrase typed on the terminal. One that encrypts (or protects a new key) is asked for twice, since a typo would make backups
     * that no one can open; the terminal gives one line, so it always matches what gpg reads from a one-line file.
     */
    static Secret prompted(String command, boolean forWriting) {
        Secret typed = Secrets.fromConsole(command + ": passphrase: ");
        if (!forWriting) {
            return typed;
        }
        try (Secret again = Secrets.fromConsole(command + ": the same passphrase again: ")) {
            if (!typed.equals(again)) {
                throw new SecretUnavailableException("The two passphrases typed differ; nothing was written",
                    "console", Map.of(), null);
            }
            return typed;
        } catch (RuntimeException e) {
            typed.close();
            throw e;
        }
    }

    /**
     * The secret in the environment variable that {@code option} names. The name is checked, and left out of the
     * messages about a variable that is not there: the likely mistake is {@code --passphrase-env "$PASSPHRASE"},
     * which would have the passphrase printed to the terminal, cron's mail or PostgreSQL's log.
     */
    static Secret fromEnvOption(CommandSpec spec, String option, String name, boolean oneLine) {
        if (!ENVIRONMENT_NAME.matcher(name).matches()) {
            throw usage(spec, option + " takes the name of an environment variable (letters, digits and underscores,"
                + " not starting with a digit); the value given is not one, and is not repeated here in case it is"
                + " the secret itself");
        }
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            throw new SecretUnavailableException("The environment variable that " + option + " names is "
                + (value == null ? "not set" : "empty") + " (its name is not repeated here, in case a secret was given"
                + " in its place); set it to the secret, or give the secret in a file", "environment variable named"
                + " by " + option, Map.of("option", option), null);
        }
        return oneLine ? Secrets.fromOneLineEnv(name) : Secrets.fromEnv(name);
    }

    private static final Pattern ENVIRONMENT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private static CommandLine.ParameterException usage(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** The encryption for a backup, and the secret behind it, which {@link #close()} wipes. */
    record ForBackup(Encryption encryption, @Nullable Secret passphrase) implements AutoCloseable {
        @Override
        public void close() {
            if (passphrase != null) {
                passphrase.close();
            }
        }
    }

    /** The key that opens a backup, and the secrets behind it, which {@link #close()} wipes. */
    record ForRestore(DecryptionKey key, @Nullable Secret passphrase, @Nullable Identity identity)
        implements AutoCloseable {
        @Override
        public void close() {
            if (identity != null) {
                identity.close();
            }
            if (passphrase != null) {
                passphrase.close();
            }
        }
    }
}
