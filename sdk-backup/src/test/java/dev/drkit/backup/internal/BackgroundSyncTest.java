package dev.drkit.backup.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackgroundSyncTest {

    @Test
    void aFailedBackgroundSyncIsThrownByFinishEvenThoughALaterSyncWouldSucceed(@TempDir Path dir) throws Exception {
        try (FailingForceChannel channel = new FailingForceChannel(
                FileChannel.open(dir.resolve("file"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
            BackgroundSync sync = new BackgroundSync(channel);
            sync.written(BackgroundSync.INTERVAL);

            assertThatThrownBy(sync::finish).isInstanceOf(IOException.class).hasMessage(FailingForceChannel.FAILURE);
            assertThat(sync.started()).isEqualTo(1);
            assertThat(channel.forces()).isEqualTo(1);
            // the kernel would now report success: the failure must stay known
            channel.force(false);
            assertThatThrownBy(sync::finish).hasMessage(FailingForceChannel.FAILURE);
        }
    }

    @Test
    void fewerBytesThanTheIntervalStartNoSyncAndFinishPasses(@TempDir Path dir) throws Exception {
        try (FailingForceChannel channel = new FailingForceChannel(
                FileChannel.open(dir.resolve("file"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
            BackgroundSync sync = new BackgroundSync(channel);
            sync.written(BackgroundSync.INTERVAL - 1);

            assertThatCode(sync::finish).doesNotThrowAnyException();
            assertThat(sync.started()).isZero();
            assertThat(channel.forces()).isZero();
        }
    }
}
