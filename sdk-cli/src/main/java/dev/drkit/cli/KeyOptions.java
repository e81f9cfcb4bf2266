package dev.drkit.cli;

import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where the backup passphrase or key comes from: a file ({@code 0600}), an environment variable named by the
 * option, or a key file. Never an argument value, which {@code ps} would show to every user.
 */
final class KeyOptions {

    @Option(names = "--passphrase-file", paramLabel = "FILE",
        description = "Read the passphrase from FILE (mode 0600 or 0400; one trailing newline is ignored).")
    @Nullable Path passphraseFile;

    @Option(names = "--passphrase-env", paramLabel = "NAME",
        description = "Read the passphrase from the environment variable NAME.")
    @Nullable String passphraseEnv;

    /** Whether any key option was given. */
    boolean given() {
        return passphraseFile != null || passphraseEnv != null;
    }

    /** The passphrase; the caller closes it. Exactly one source must be given (usage error otherwise). */
    Secret passphrase(CommandSpec spec, @Nullable Path keyFile, String keyFileOption) {
        int sources = (passphraseFile != null ? 1 : 0) + (passphraseEnv != null ? 1 : 0) + (keyFile != null ? 1 : 0);
        if (sources != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --passphrase-file, "
                + "--passphrase-env or " + keyFileOption);
        }
        if (keyFile != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), keyFileOption
                + ": public-key backups are not supported by this drkit yet; use --passphrase-file or --passphrase-env");
        }
        return passphraseFile != null ? Secrets.fromFile(passphraseFile) : Secrets.fromEnv(passphraseEnv);
    }

    /** Backup side: the passphrase as encryption. */
    static Encryption encryption(Secret passphrase) {
        return Encryption.passphrase(passphrase);
    }

    /** Restore side: the passphrase as a decryption key. */
    static DecryptionKey key(Secret passphrase) {
        return DecryptionKey.passphrase(passphrase);
    }
}
