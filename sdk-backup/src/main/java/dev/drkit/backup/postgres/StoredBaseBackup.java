package dev.drkit.backup.postgres;

import dev.drkit.backup.BackupEngine;
import dev.drkit.backup.BackupManifest;
import dev.drkit.backup.DecryptionKey;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.Objects;

/**
 * A base backup that {@code drkit pg backup --base-backup} stored ({@link PgLabels#KIND} {@code basebackup}), read as
 * the tar stream it holds: {@link BackupEngine#restore(String, DecryptionKey, OutputStream)} runs on a thread of its
 * own and writes into a pipe that {@link #open()} returns the other end of. Nothing is staged on disk. The engine
 * judges the backup's checksums only once all of it is written, so the stream hands over a failure of the restore
 * (a wrong key, damage, a store that cannot be read) when its end is read: a reader that reads to the end never
 * takes a damaged or foreign backup for a good one.
 */
final class StoredBaseBackup implements PitrDrill.TarStream {

    private final BackupEngine engine;
    private final String id;
    private final DecryptionKey key;

    StoredBaseBackup(BackupEngine engine, String id, DecryptionKey key) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.id = Objects.requireNonNull(id, "id");
        this.key = Objects.requireNonNull(key, "key");
    }

    /** How the backup is named in messages: its id and the store's location. */
    String describe() {
        return "backup " + id + " in " + engine.store().location();
    }

    /**
     * Why this backup is not a base backup, or null if it is one: its manifest (checksum checked) must carry
     * {@link PgLabels#KIND} {@code basebackup}.
     */
    @Nullable String notABaseBackup() {
        BackupManifest manifest = engine.info(id).manifest();
        String kind = manifest.labels().get(PgLabels.KIND);
        if (PgLabels.KIND_BASE_BACKUP.equals(kind)) {
            return null;
        }
        return describe() + " is not a base backup: its " + PgLabels.KIND + " label is "
            + (kind == null ? "missing" : "\"" + kind + "\"") + " (drkit pg backup --base-backup stores one)";
    }

    @Override
    public InputStream open() throws IOException {
        return openRestore();
    }

    /**
     * As {@link #open()}, for a reader that must tell the restore's failure from its own: the stream also says, once
     * it has been read to its end, whether the restore failed ({@link RestoreStream#readToEndAndJudge()}).
     */
    RestoreStream openRestore() throws IOException {
        Pipe pipe = Pipe.open();
        Restore restore = new Restore(pipe);
        restore.thread.start();
        return new RestoreStream(Channels.newInputStream(pipe.source()), restore);
    }

    /** The engine's restore into the pipe. */
    private final class Restore implements Runnable {
        final Pipe pipe;
        final Thread thread;
        volatile @Nullable RuntimeException failure;

        Restore(Pipe pipe) {
            this.pipe = pipe;
            this.thread = new Thread(this, "drkit-stored-base-backup");
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try (OutputStream out = Channels.newOutputStream(pipe.sink())) {
                engine.restore(id, key, out);
            } catch (RuntimeException e) {
                failure = e;
            } catch (IOException e) {
                failure = new java.io.UncheckedIOException("the pipe from " + describe() + " failed to close", e);
            }
        }

        /** Waits for the restore; its failure, if any. */
        @Nullable RuntimeException await() throws InterruptedIOException {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while " + describe() + " was restored");
            }
            return failure;
        }
    }

    /** The pipe's end, which throws the restore's failure where the stream ends. */
    static final class RestoreStream extends java.io.FilterInputStream {
        private final Restore restore;
        private boolean judged;

        private RestoreStream(InputStream in, Restore restore) {
            super(in);
            this.restore = restore;
        }

        /**
         * Reads what is left, without throwing the restore's failure, and returns that failure, or null when the
         * backup was restored whole and every checksum matched.
         */
        @Nullable RuntimeException readToEndAndJudge() throws IOException {
            judged = true;
            try {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                // the restore's end of the pipe closed early: its failure, if any, says why
                RuntimeException failure = restore.await();
                if (failure != null) {
                    return failure;
                }
                throw e;
            }
            return restore.await();
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                atEnd();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n < 0) {
                atEnd();
            }
            return n;
        }

        private void atEnd() throws IOException {
            if (judged) {
                return;
            }
            judged = true;
            RuntimeException failure = restore.await();
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void close() throws IOException {
            // a reader that stops early breaks the pipe; the restore then ends with a failure nobody needs
            super.close();
            restore.await();
        }
    }
}
