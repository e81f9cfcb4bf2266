package dev.drkit.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.drkit.backup.Engines.engine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A source's labels known only once it has been read join the manifest, after the stream closed. */
class LabelsAfterReadTest {

    @ParameterizedTest(name = "in parts: {0}")
    @ValueSource(booleans = {false, true})
    void labelsAfterReadJoinTheEngineLabelsAndWinOnTheSameKey(boolean parts) {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).label("app", "orders").label("kind", "engine's")
            .partBytes(parts ? BackupEngine.MIN_PART_BYTES : 0).build();
        AtomicBoolean closed = new AtomicBoolean();
        BackupSource source = BackupSource.stream("data", () -> new ByteArrayInputStream(
                "payload".getBytes(StandardCharsets.UTF_8)) {
                @Override
                public void close() {
                    closed.set(true);
                }
            })
            .withLabelsAfterRead(() -> {
                assertThat(closed).as("the stream is closed before the labels are asked for").isTrue();
                return Map.of("kind", "source's", "end", "0/2000100");
            });

        BackupInfo info = engine.backup(source);

        assertThat(engine.manifest(info.id()).labels()).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of(
            "app", "orders", "kind", "source's", "end", "0/2000100")));
        assertThat(engine.verify(info.id(), Engines.KEY).passed()).isTrue();
    }

    @ParameterizedTest(name = "in parts: {0}")
    @ValueSource(booleans = {false, true})
    void anInvalidLabelAfterReadFailsTheBackupAndKeepsNothing(boolean parts) {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).partBytes(parts ? BackupEngine.MIN_PART_BYTES : 0).build();
        BackupSource source = BackupSource.stream("data", () -> new ByteArrayInputStream(new byte[10]))
            .withLabelsAfterRead(() -> Map.of("bad key with spaces", "x"));

        assertThatThrownBy(() -> engine.backup(source)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("invalid label");
        assertThat(engine.list()).isEmpty();
    }

    @Test
    void aSourceThatFailsNeverHasItsLabelsAsked() {
        InMemoryBackupStore store = new InMemoryBackupStore();
        BackupEngine engine = engine(store).build();
        AtomicBoolean asked = new AtomicBoolean();
        BackupSource source = BackupSource.stream("data", () -> {
            throw new IllegalStateException("tool failed");
        }).withLabelsAfterRead(() -> {
            asked.set(true);
            return Map.of();
        });

        assertThatThrownBy(() -> engine.backup(source)).hasMessage("tool failed");
        assertThat(asked).isFalse();
        assertThat(engine.list()).isEmpty();
    }
}
