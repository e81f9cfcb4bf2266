package dev.drkit.backup.store;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A mount made for a test and removed at its end: a tmpfs of a few MiB on a test's directory, for real "No space left
 * on device" failures, or a bind mount. Mounting needs root and a sandbox that allows it: the factories return
 * {@code null} where they cannot, for the test to skip with a reason.
 */
public final class TestMount implements AutoCloseable {

    private final Path where;

    private TestMount(Path where) {
        this.where = where;
    }

    /** Mounts a tmpfs of {@code size} (as mount takes it: "1m", "4m") on the existing directory {@code where}. */
    public static @Nullable TestMount tmpfs(Path where, String size) {
        return mountWithOptions(where, "size=" + size);
    }

    /**
     * As {@link #tmpfs(Path, String)}, with room for at most {@code inodes} files and directories (the mount point
     * counts as one): for running out of space with bytes still free.
     */
    public static @Nullable TestMount tmpfs(Path where, String size, int inodes) {
        return mountWithOptions(where, "size=" + size + ",nr_inodes=" + inodes);
    }

    /**
     * Makes an ext4 file system of {@code size} (as truncate takes it: "16M") in the new file {@code image}, with
     * {@code reservedPercent} of its blocks reserved for root, and mounts it (through a loop device) on the existing
     * directory {@code where}.
     */
    public static @Nullable TestMount ext4(Path where, Path image, String size, int reservedPercent) {
        if (!"root".equals(System.getProperty("user.name"))
            || run("truncate", "-s", size, image.toString()) != 0
            || run("mkfs.ext4", "-q", "-F", "-m", Integer.toString(reservedPercent), image.toString()) != 0) {
            return null;
        }
        return run("mount", "-o", "loop", image.toString(), where.toString()) == 0 ? new TestMount(where) : null;
    }

    /** Mounts the existing file or directory {@code from} on the existing {@code onto} (same kind), as mount --bind. */
    public static @Nullable TestMount bind(Path from, Path onto) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return null;
        }
        return run("mount", "--bind", from.toString(), onto.toString()) == 0 ? new TestMount(onto) : null;
    }

    private static @Nullable TestMount mountWithOptions(Path where, String options) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return null;
        }
        return run("mount", "-t", "tmpfs", "-o", options + ",mode=0700", "tmpfs", where.toString()) == 0
            ? new TestMount(where) : null;
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
