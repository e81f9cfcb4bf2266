package dev.drkit.backup.postgres;

/** Test support shared with sdk-cli's tests: an archive_command as PostgreSQL runs it. */
public final class ArchiveCommands {

    private ArchiveCommands() {
    }

    /**
     * {@code template} with PostgreSQL's archive_command placeholders replaced for WAL file {@code name}: {@code %p}
     * by its path relative to the data directory, {@code %f} by its name, {@code %%} by {@code %}.
     */
    public static String substitute(String template, String name) {
        StringBuilder command = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '%' && i + 1 < template.length()) {
                char next = template.charAt(++i);
                command.append(next == 'p' ? "pg_wal/" + name : next == 'f' ? name : next == '%' ? "%" : "%" + next);
            } else {
                command.append(c);
            }
        }
        return command.toString();
    }
}
