package dev.drkit.backup.internal;

import org.jspecify.annotations.Nullable;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Streams that remember the {@link IOException}s their underlying stream threw, so that code further along can tell
 * a failing store (the environment) from a failure elsewhere, even after the exception was wrapped.
 */
public final class RecordingStreams {

    private RecordingStreams() {
    }

    /** An output stream recording the failures of {@code out}. */
    public static Output output(OutputStream out) {
        return new Output(out);
    }

    /** An input stream recording the failures of {@code in}. */
    public static Input input(InputStream in) {
        return new Input(in);
    }

    /** Whether {@code recorded} is {@code failure} or one of its causes. */
    static boolean inChain(@Nullable IOException recorded, Throwable failure) {
        if (recorded == null) {
            return false;
        }
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t == recorded) {
                return true;
            }
        }
        return false;
    }

    /** See {@link #output(OutputStream)}. */
    public static final class Output extends FilterOutputStream {
        private @Nullable IOException failure;

        Output(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        /** Whether {@code e} is, or was caused by, a failure of the underlying stream. */
        public boolean threw(Throwable e) {
            return failure != null && (inChain(failure, e) || e == failure);
        }

        /** Whether the underlying stream failed at all. */
        public boolean failed() {
            return failure != null;
        }
    }

    /** See {@link #input(InputStream)}. */
    public static final class Input extends FilterInputStream {
        private @Nullable IOException failure;

        Input(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        /** Whether {@code e} is, or was caused by, a failure of the underlying stream. */
        public boolean threw(Throwable e) {
            return inChain(failure, e);
        }

        /** Whether the underlying stream failed at all. */
        public boolean failed() {
            return failure != null;
        }
    }
}
