package dev.drkit.backup.store;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a few MiB mounted on a test's directory, for real "No space left on device" failures. Mounting needs
 * root and a sandbox that allows it: {@link #mount} returns {@code null} where it cannot, for the test to skip with
 * a reason.
 */
public final class SmallTmpfs implements AutoCloseable {

    private final Path where;

    private SmallTmpfs(Path where) {
        this.where = where;
    }

    /** Mounts a tmpfs of {@code size} (as mount takes it: "1m", "4m") on the existing directory {@code where}. */
    public static @Nullable SmallTmpfs mount(Path where, String size) {
        return mountWithOptions(where, "size=" + size);
    }

    /**
     * As {@link #mount}, with room for at most {@code inodes} files and directories (the mount point counts as one):
     * for running out of space with bytes still free.
     */
    public static @Nullable SmallTmpfs mount(Path where, String size, int inodes) {
        return mountWithOptions(where, "size=" + size + ",nr_inodes=" + inodes);
    }

    private static @Nullable SmallTmpfs mountWithOptions(Path where, String options) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return null;
        }
        return run("mount", "-t", "tmpfs", "-o", options + ",mode=0700", "tmpfs", where.toString()) == 0
            ? new SmallTmpfs(where) : null;
    }

    /** The mount point. */
    public Path path() {
        return where;
    }

    @Override
    public void close() {
        run("umount", where.toString());
    }

    private static int run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            if (process.exitValue() != 0) {
                System.out.println(String.join(" ", command) + ": " + output.strip());
            }
            return process.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
