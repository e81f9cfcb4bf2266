package dev.drkit.cli;

import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.Identity;
import dev.drkit.backup.RecipientKey;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where the backup passphrase or key comes from: a file ({@code 0600}), an environment variable named by the
 * option, or a key file. Never an argument value, which {@code ps} would show to every user. With a private key
 * ({@code --identity}), the passphrase options give the key's own passphrase, if it has one.
 */
final class KeyOptions {

    @Option(names = "--passphrase-file", paramLabel = "FILE",
        description = "Read the passphrase from FILE (mode 0600 or 0400; one trailing newline is ignored). "
            + "With --identity: the private key's passphrase.")
    @Nullable Path passphraseFile;

    @Option(names = "--passphrase-env", paramLabel = "NAME",
        description = "Read the passphrase from the environment variable NAME. With --identity: the private "
            + "key's passphrase.")
    @Nullable String passphraseEnv;

    /** Whether any passphrase option was given. */
    boolean given() {
        return passphraseFile != null || passphraseEnv != null;
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
            throw usage(spec, "give one of --passphrase-file, --passphrase-env or --recipient");
        }
        Secret passphrase = passphrase(spec);
        return new ForBackup(Encryption.passphrase(passphrase), passphrase);
    }

    /**
     * Restore and full-verification side: the private key in {@code identity} (unlocked with the passphrase
     * options, if given), or the passphrase.
     */
    ForRestore forRestore(CommandSpec spec, @Nullable Path identity) {
        if (identity != null) {
            Secret passphrase = given() ? passphrase(spec) : null;
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
            throw usage(spec, "give one of --passphrase-file, --passphrase-env or --identity");
        }
        Secret passphrase = passphrase(spec);
        return new ForRestore(DecryptionKey.passphrase(passphrase), passphrase, null);
    }

    private Secret passphrase(CommandSpec spec) {
        if (passphraseFile != null && passphraseEnv != null) {
            throw usage(spec, "give only one of --passphrase-file and --passphrase-env");
        }
        return passphraseFile != null ? Secrets.fromFile(passphraseFile) : Secrets.fromEnv(passphraseEnv);
    }

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
