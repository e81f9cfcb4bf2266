package dev.drkit.backup.internal.store;

import java.nio.file.Path;

/** {@link LocalFiles#deleteTree} of the path given, in a JVM of its own: exit 0 when it is gone, 1 otherwise. */
public final class DeleteTreeMain {

    private DeleteTreeMain() {
    }

    public static void main(String[] args) {
        try {
            LocalFiles.deleteTree(Path.of(args[0]));
        } catch (Exception e) {
            System.out.println("deleteTree failed: " + e);
            System.exit(1);
        }
        System.exit(0);
    }
}
