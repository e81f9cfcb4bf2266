package dev.drkit.backup;

import dev.drkit.core.secret.Secret;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {

    private static final Secret SECRET = Secret.ofString("s3cret-value", "backup-passphrase");

    @Test
    void passphraseDefaultsToGpgsS2kCountOfAbout65MillionBytes() {
        PassphraseEncryption enc = Encryption.passphrase(SECRET);
        assertThat(enc.s2kBytes()).isEqualTo(65_011_712L).isEqualTo(PassphraseEncryption.DEFAULT_S2K_BYTES);
        assertThat(enc.s2kCountCode()).isEqualTo(0xFF);
    }

    @Test
    void s2kCountIsRoundedUpToTheNextCountOpenPgpCanExpress() {
        assertThat(PassphraseEncryption.builder(SECRET).s2kBytes(1024).build().s2kBytes()).isEqualTo(1024);
        assertThat(PassphraseEncryption.builder(SECRET).s2kBytes(1025).build().s2kBytes()).isEqualTo(1088);
        assertThat(PassphraseEncryption.builder(SECRET).s2kBytes(1_000_000).build().s2kBytes()).isEqualTo(1_015_808);
        assertThat(PassphraseEncryption.builder(SECRET).s2kBytes(65_011_712).build().s2kCountCode()).isEqualTo(0xFF);
    }

    @Test
    void rejectsS2kCountsOpenPgpCannotExpress() {
        assertThatThrownBy(() -> PassphraseEncryption.builder(SECRET).s2kBytes(1023))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("s2kBytes must be between 1024 and 65011712, but was 1023");
        assertThatThrownBy(() -> PassphraseEncryption.builder(SECRET).s2kBytes(65_011_713))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringNeverShowsThePassphrase() {
        PipelineSettings settings = PipelineSettings.of(Encryption.passphrase(SECRET));
        assertThat(settings.toString())
            .doesNotContain("s3cret")
            .contains("Secret[backup-passphrase]", "zstd(3)", "s2kBytes=65011712");
    }

    @Test
    void compressionDefaultsToZstdLevel3AndRejectsLevelsOutOfRange() {
        assertThat(PipelineSettings.of(Encryption.passphrase(SECRET)).compression()).isEqualTo(Compression.zstd(3));
        assertThat(Compression.none().isZstd()).isFalse();
        assertThatThrownBy(() -> Compression.zstd(0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("zstd level must be between 1 and 19, but was 0");
        assertThatThrownBy(() -> Compression.zstd(20)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toBuilderKeepsEverySetting() {
        PipelineSettings settings = PipelineSettings.builder(Encryption.passphrase(SECRET))
            .compression(Compression.none()).build();
        PipelineSettings copy = settings.toBuilder().build();
        assertThat(copy.compression()).isEqualTo(settings.compression());
        assertThat(copy.encryption()).isSameAs(settings.encryption());
    }
}
