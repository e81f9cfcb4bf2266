package dev.drkit.examples.vaultbackup;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupInfo;
import dev.drkit.backup.BackupSource;
import dev.drkit.backup.Compression;
import dev.drkit.backup.DecryptionKey;
import dev.drkit.backup.Encryption;
import dev.drkit.backup.store.FileSystemStore;
import dev.drkit.core.DrkitException;
import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.VaultAuth;
import dev.drkit.secrets.VaultClient;
import dev.drkit.secrets.VaultConfig;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A service's nightly backup whose passphrase lives in Vault: log in with an AppRole (role and secret ID from
 * files only the service can read), read the passphrase from KV v2 as a {@link Secret}, take an encrypted,
 * verified backup of a directory into a store, and forget the passphrase. The passphrase is never in argv, the
 * environment, a file of the service's, or a log line.
 *
 * <pre>
 * java -cp ... dev.drkit.examples.vaultbackup.VaultBackupApp \
 *     --vault-addr https://vault.example:8200 \
 *     --role-id-file /etc/orders/vault-role-id --secret-id-file /etc/orders/vault-secret-id \
 *     --kv-mount secret --kv-path orders/backup --kv-key passphrase \
 *     --source /var/lib/orders/uploads --store /var/backups/orders
 * </pre>
 *
 * Prints the backup's id on stdout. Exit codes as drkit's: 0 done, 1 the backup failed its verification, 2 usage,
 * 3 environment (Vault unreachable or refusing, a file missing or too open, a store that cannot be written).
 */
public final class VaultBackupApp {

    private static final List<String> OPTIONS = List.of("--vault-addr", "--role-id-file", "--secret-id-file",
        "--kv-mount", "--kv-path", "--kv-key", "--source", "--store");

    /** What the app needs; {@link #parse(String[])} builds it from the command line. */
    public record Settings(URI vaultAddress, Path roleIdFile, Path secretIdFile, String kvMount, String kvPath,
                           String kvKey, Path source, Path store) {
    }

    private VaultBackupApp() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the app with {@code args}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Settings settings;
        try {
            settings = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("vault-backup: " + e.getMessage());
            err.println("usage: vault-backup " + String.join(" VALUE ", OPTIONS) + " VALUE");
            return 2;
        }
        try {
            BackupInfo info = backup(settings);
            out.println(info.id());
            err.println("vault-backup: " + info.sourceName() + " backed up as " + info.id() + " ("
                + info.plaintextBytes() + " bytes, verified)");
            return 0;
        } catch (DrkitException e) {
            // drkit's messages never carry a secret: print them as they are.
            err.println("vault-backup: " + e.getMessage());
            return e.kind().exitCode();
        } catch (RuntimeException e) {
            // Anything else is a bug here or below; its message may quote data, so only its type is printed.
            err.println("vault-backup: internal error (" + e.getClass().getName() + ")");
            return 70;
        }
    }

    /**
     * The whole job: Vault login, the passphrase from KV, an encrypted backup, a full verification (decrypting
     * with the same passphrase), and the Vault token revoked on the way out.
     */
    public static BackupInfo backup(Settings settings) {
        VaultConfig config = VaultConfig.builder(settings.vaultAddress(),
                VaultAuth.appRoleFiles(settings.roleIdFile(), settings.secretIdFile()))
            .name("vault-backup")
            .build();
        // The store is opened (and made) only once the passphrase is in hand: Vault down leaves nothing behind.
        try (VaultClient vault = VaultClient.start(config);
             Secret passphrase = vault.kv2(settings.kvMount()).source(settings.kvPath(), settings.kvKey()).get();
             FileSystemStore store = FileSystemStore.open(settings.store())) {
            BackupEngine engine = BackupEngine.builder(store)
                .name("vault-backup")
                .encryption(Encryption.passphrase(passphrase))
                .compression(Compression.zstd(3))
                .build();
            BackupInfo info = engine.backup(BackupSource.directory(settings.source()));
            engine.verify(info.id(), DecryptionKey.passphrase(passphrase)).orThrow();
            return info;
        }
    }

    /** Reads {@code --name value} pairs; every option is required. */
    public static Settings parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!OPTIONS.contains(name)) {
                throw new IllegalArgumentException("unknown option " + name);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            values.put(name, args[++i]);
        }
        for (String name : OPTIONS) {
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("missing " + name);
            }
        }
        URI address = URI.create(values.get("--vault-addr"));
        if (!Set.of("http", "https").contains(String.valueOf(address.getScheme()))) {
            throw new IllegalArgumentException("--vault-addr must be an http(s) URL");
        }
        return new Settings(address, Path.of(values.get("--role-id-file")), Path.of(values.get("--secret-id-file")),
            values.get("--kv-mount"), values.get("--kv-path"), values.get("--kv-key"),
            Path.of(values.get("--source")), Path.of(values.get("--store")));
    }
}
