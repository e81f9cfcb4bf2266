package dev.drkit.core.secret;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link CredentialFilesTest}: writes a credential file under {@code args[0]}, prints its
 * path, waits for one line on standard input, then exits without closing anything, so only the shutdown hook
 * can remove the file. With {@code args[1] = "wait"} it never exits by itself (the test sends SIGTERM); with
 * {@code args[1] = "locked"} it exits while holding the {@code CredentialFiles}' monitor.
 */
final class CredentialFilesExitMain {

    private CredentialFilesExitMain() {
    }

    public static void main(String[] args) throws Exception {
        CredentialFiles files = CredentialFiles.create("exit-test", Path.of(args[0]), null);
        Path file = files.write("pgpass", Secret.ofString("localhost:5432:*:app:child-secret", "pgpass"));
        System.out.println(file);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        if (args.length > 1 && args[1].equals("wait")) {
            Thread.sleep(Long.MAX_VALUE);
        }
        if (args.length > 1 && args[1].equals("locked")) {
            synchronized (files) {
                System.exit("exit".equals(line) ? 0 : 4);
            }
        }
        System.exit("exit".equals(line) ? 0 : 4);
    }
}
