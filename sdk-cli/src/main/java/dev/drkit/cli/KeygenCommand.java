package dev.drkit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.backup.OpenPgpKeyPair;
import dev.drkit.core.EnvironmentException;
import dev.drkit.core.secret.Secret;
import dev.drkit.core.secret.Secrets;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code drkit keygen}: makes an OpenPGP key pair for public-key backups (Ed25519 + X25519, as gpg's
 * {@code future-default}) and writes {@code NAME.pub.asc} (0644) and {@code NAME.key.asc} (0600) into a
 * directory, never overwriting. Exit 0 on success, 2 on a usage error, 3 when the directory is missing or not
 * writable, a key file exists already, or the passphrase cannot be read.
 */
@Command(name = "keygen", mixinStandardHelpOptions = true,
    description = {"Makes an OpenPGP key pair for backups that the backup host cannot read: Ed25519 + X25519 "
        + "(Curve25519), the kind gpg makes with --quick-gen-key future-default.",
        "Give NAME.pub.asc to the hosts that take backups (--recipient); keep NAME.key.asc offline, with whoever "
            + "restores (--identity). Existing files are never overwritten."})
final class KeygenCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "Directory to write the two key files into; it must exist.")
    Path out;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "backup",
        description = "File name stem: NAME.pub.asc and NAME.key.asc (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--uid", paramLabel = "USERID", defaultValue = "drkit backups",
        description = "The key's user id, such as \"Backups <ops@example.com>\" (default: ${DEFAULT-VALUE}).")
    String userId;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Protection protection;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    /** How the private key is protected: exactly one of these. */
    static final class Protection {
        @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "Protect the private key with the passphrase in FILE (mode 0600 or 0400).")
        @Nullable Path passphraseFile;

        @Option(names = "--passphrase-env", paramLabel = "NAME",
            description = "Protect the private key with the passphrase in environment variable NAME.")
        @Nullable String passphraseEnv;

        @Option(names = "--passphrase-prompt",
            description = "Protect the private key with a passphrase typed twice on the terminal, without echo.")
        boolean passphrasePrompt;

        @Option(names = "--no-passphrase",
            description = "Leave the private key unprotected: anyone who gets the file can read every backup.")
        boolean noPassphrase;
    }

    @Override
    public Integer call() {
        if (!Files.isDirectory(out)) {
            throw new EnvironmentException("--out " + out + " does not exist or is not a directory",
                Map.of("directory", out.toString()), null);
        }
        if (!Files.isWritable(out)) {
            throw new EnvironmentException("--out " + out + " is not writable", Map.of("directory", out.toString()),
                null);
        }
        OpenPgpKeyPair.Generator generator;
        try {
            generator = OpenPgpKeyPair.generator(userId);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--uid: " + e.getMessage());
        }
        if (Files.exists(out.resolve(name + OpenPgpKeyPair.PUBLIC_KEY_SUFFIX))
            || Files.exists(out.resolve(name + OpenPgpKeyPair.SECRET_KEY_SUFFIX))) {
            throw new EnvironmentException("key files " + name + ".pub.asc or " + name + ".key.asc exist already in "
                + out + "; drkit never overwrites a key (choose another --name)", Map.of("directory",
                out.toString()), null);
        }
        OpenPgpKeyPair pair;
        Secret passphrase = readPassphrase();
        try {
            if (passphrase == null) {
                generator.noPassphrase();
            } else {
                generator.passphrase(passphrase);
            }
            pair = generator.generate();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } finally {
            if (passphrase != null) {
                passphrase.close();
            }
        }
        OpenPgpKeyPair.KeyFiles files;
        try (pair) {
            try {
                files = pair.writeTo(out, name);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--name: " + e.getMessage());
            }
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            ObjectNode result = new ObjectMapper().createObjectNode();
            result.put("fingerprint", pair.fingerprint());
            result.put("encryptionKeyId", pair.encryptionKeyId());
            result.put("userId", pair.userId());
            result.put("protected", pair.isProtected());
            result.put("publicKey", files.publicKey().toString());
            result.put("privateKey", files.secretKey().toString());
            stdout.println(result.toPrettyString());
        } else {
            stdout.printf("fingerprint  %s%n", pair.fingerprint());
            stdout.printf("public key   %s%n", files.publicKey());
            stdout.printf("private key  %s%n", files.secretKey());
        }
        stdout.flush();
        PrintWriter stderr = spec.commandLine().getErr();
        if (!pair.isProtected()) {
            stderr.println("drkit keygen: warning: the private key is not protected by a passphrase; anyone who "
                + "gets " + files.secretKey().getFileName() + " can read every backup made for this key");
        }
        stderr.println("drkit keygen: copy " + files.secretKey().getFileName() + " somewhere offline and remove it "
            + "from this host; backup hosts need only " + files.publicKey().getFileName());
        stderr.flush();
        return ExitCodes.OK;
    }

    private @Nullable Secret readPassphrase() {
        if (protection.passphraseFile != null) {
            return Secrets.fromOneLineFile(protection.passphraseFile);
        }
        if (protection.passphraseEnv != null) {
            return KeyOptions.fromEnvOption(spec, "--passphrase-env", protection.passphraseEnv, true);
        }
        if (protection.passphrasePrompt) {
            return KeyOptions.prompted(spec.qualifiedName(), true);
        }
        return null;
    }
}
