package dev.drkit.backup;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Public-key mode: each backup's session key is encrypted to one or more OpenPGP public keys
 * ({@link RecipientKey}), so the host that takes backups holds no secret that reads them; only the holders of the
 * matching private keys can. The message is what {@code gpg --encrypt --recipient KEY} writes (a public-key
 * encrypted session key packet per recipient, then AES-256 with a modification detection code), so
 * {@code gpg --decrypt} with any one of the private keys restores it.
 *
 * <p>Optionally a passphrase as well ({@link Builder#passphrase(PassphraseEncryption)}): the same session key is
 * then also encrypted with the passphrase, and either opens the backup. That puts a secret back on the backup
 * host, so use it only where that is intended (for example a passphrase kept in escrow, fed from a vault).
 *
 * <pre>{@code
 * Encryption enc = Encryption.recipients(RecipientKey.read(Path.of("ops.pub.asc")),
 *                                        RecipientKey.read(Path.of("escrow.pub.asc")));
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe; the builder is not.
 *
 * @since 0.1
 */
public final class RecipientEncryption implements Encryption {

    private final List<RecipientKey> recipients;
    private final @Nullable PassphraseEncryption passphrase;

    private RecipientEncryption(Builder builder) {
        this.recipients = List.copyOf(builder.recipients.values());
        this.passphrase = builder.passphrase;
    }

    /** A builder with no recipients yet. */
    public static Builder builder() {
        return new Builder();
    }

    /** The recipients, without duplicates, in the order first given. */
    public List<RecipientKey> recipients() {
        return recipients;
    }

    /** The primary key fingerprints of the recipients, in order; what a manifest records. */
    public List<String> fingerprints() {
        List<String> fingerprints = new ArrayList<>();
        recipients.forEach(r -> fingerprints.add(r.fingerprint()));
        return List.copyOf(fingerprints);
    }

    /** The passphrase that also opens each backup, if one was added. */
    public Optional<PassphraseEncryption> passphrase() {
        return Optional.ofNullable(passphrase);
    }

    @Override
    public String toString() {
        return "RecipientEncryption[recipients=" + fingerprints()
            + (passphrase == null ? "" : ", passphrase=" + passphrase) + "]";
    }

    /**
     * Builds {@link RecipientEncryption}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final Map<String, RecipientKey> recipients = new LinkedHashMap<>();
        private @Nullable PassphraseEncryption passphrase;

        private Builder() {
        }

        /** Adds a recipient; a key already added (same fingerprint) is not added twice. */
        public Builder recipient(RecipientKey recipient) {
            Objects.requireNonNull(recipient, "recipient");
            recipients.putIfAbsent(recipient.fingerprint(), recipient);
            return this;
        }

        /** Adds each of {@code recipients}. */
        public Builder recipients(List<RecipientKey> recipients) {
            Objects.requireNonNull(recipients, "recipients").forEach(this::recipient);
            return this;
        }

        /** Also encrypts the session key with this passphrase, so that it opens the backups too. */
        public Builder passphrase(PassphraseEncryption passphrase) {
            this.passphrase = Objects.requireNonNull(passphrase, "passphrase");
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalStateException if no recipient was added
         */
        public RecipientEncryption build() {
            if (recipients.isEmpty()) {
                throw new IllegalStateException("recipients must not be empty, but no recipient was added");
            }
            return new RecipientEncryption(this);
        }
    }
}
