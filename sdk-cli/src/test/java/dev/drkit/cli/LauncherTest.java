package dev.drkit.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code drkit} launcher script at the repository root, run by a real shell on a checkout of its own: a copy
 * of the script, and a drkit.jar made from this build's classes (its dependencies named in the manifest's
 * Class-Path, as class-data sharing needs jars, not directories).
 */
class LauncherTest {

    @TempDir
    static Path checkout;

    static Path jar;
    static Path target;

    @BeforeAll
    static void checkout() throws IOException {
        Path script = Path.of(System.getProperty("user.dir")).resolve("../drkit").normalize();
        Files.copy(script, checkout.resolve("drkit"), StandardCopyOption.COPY_ATTRIBUTES);
        target = Files.createDirectories(checkout.resolve("sdk-cli/target"));
        jar = target.resolve("drkit.jar");
        writeJar(jar);
        // the demo's jar: present, so the script does not build
        Files.createDirectories(checkout.resolve("examples/target"));
        Files.write(checkout.resolve("examples/target/drkit-demo.jar"), new byte[0]);
    }

    @Test
    void aWalFetchThatStopsRecoveryExits126AlsoWhenItsJvmCannotStart() throws Exception {
        Map<String, String> broken = Map.of("DRKIT_JAVA_OPTS", "-XX:+NoSuchDrkitTestOption");
        List<String> fetch = List.of("wal-fetch", "--store", "/nowhere", "--passphrase-file", "/nowhere.pass",
            "000000010000000000000001", "pg_wal/RECOVERYXLOG");
        List<String> stopping = new ArrayList<>(fetch);
        stopping.add("--stop-recovery-on-error");
        Path data = Files.createDirectories(checkout.resolve("data-in-recovery"));
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        Files.writeString(data.resolve("recovery.signal"), "");

        Result plain = drkit(broken, fetch.toArray(String[]::new));
        Result told = drkit(broken, stopping.toArray(String[]::new));
        Result inRecovery = drkitIn(data, broken, fetch.toArray(String[]::new));

        // the JVM's own exit status, which PostgreSQL would take for "no such file"
        assertThat(plain.exit).as(plain.err).isEqualTo(1);
        assertThat(told.exit).as(told.err).isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(told.err).contains("Unrecognized VM option", "recovery stops here");
        assertThat(inRecovery.exit).as(inRecovery.err).isEqualTo(WalFetchCommand.STOP_RECOVERY);
    }

    @Test
    void makesAClassDataSharingArchiveOnceAndRunsWithIt() throws Exception {
        Result first = drkit(Map.of(), "--version");
        assertThat(first.exit).as(first.err).isZero();
        assertThat(first.out).startsWith("drkit ").contains("Java " + System.getProperty("java.version"));
        Path archive = onlyArchive();
        FileTime made = Files.getLastModifiedTime(archive);

        Result command = drkit(Map.of("DRKIT_PRINT_COMMAND", "1"));
        assertThat(command.out.lines()).contains("-XX:SharedArchiveFile=" + archive, "-jar", jar.toString());

        // the classes come from the archive: the training run's commands, picocli's (Java 5 class files, which a
        // dynamic archive leaves out), and the JDK's own list beside them
        Path log = checkout.resolve("class-load.log");
        Result fetch = drkit(Map.of("DRKIT_JAVA_OPTS", "-Xlog:class+load=info:file=" + log),
            "wal-fetch", "--help");
        assertThat(fetch.exit).as(fetch.err).isZero();
        assertThat(Files.readString(log))
            .contains("dev.drkit.cli.WalFetchCommand source: shared objects file")
            .contains("picocli.CommandLine source: shared objects file")
            .contains("java.lang.Object source: shared objects file");
        assertThat(Files.getLastModifiedTime(archive)).isEqualTo(made);
    }

    @Test
    void aBackupRunsOnArchivedClasses() throws Exception {
        Path source = Files.writeString(checkout.resolve("backup-source.txt"), "x".repeat(10_000));
        Path pass = Files.createFile(checkout.resolve("backup-pass"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(pass, "backup passphrase\n");
        Path log = checkout.resolve("backup-class-load.log");

        Result backup = drkit(Map.of("DRKIT_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), "backup",
            "--store", checkout.resolve("backup-store").toString(), "--source", source.toString(),
            "--passphrase-file", pass.toString());

        // the backup path (manifest JSON, OpenPGP, zstd) is in the training, not read from the jars at each start
        assertThat(backup.exit).as(backup.err).isZero();
        assertThat(Files.readString(log))
            .contains("dev.drkit.backup.BackupEngine source: shared objects file")
            .contains("com.fasterxml.jackson.databind.ObjectMapper source: shared objects file")
            .contains("com.github.luben.zstd.ZstdOutputStreamNoFinalizer source: shared objects file");
    }

    @Test
    void theArchiveHoldsTheJdksOwnClassListToo() throws Exception {
        // a static archive replaces the JDK's default one: without that list, commands the training does not run
        // would read JDK classes from the runtime image that the default archive held
        Path classList = Path.of(System.getProperty("java.home"), "lib", "classlist");
        assumeTrue(Files.isRegularFile(classList), "this JDK has no lib/classlist to add");
        Result version = drkit(Map.of(), "--version");
        assertThat(version.exit).as(version.err).isZero();
        Path archive = onlyArchive();
        Path log = checkout.resolve("probe-class-load.log");
        Path testClasses = Path.of(ClassListProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());

        Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off,cds+dynamic=off", "-Xlog:class+load=info:file=" + log,
            "-cp", jar + File.pathSeparator + testClasses, ClassListProbe.class.getName(), classList.toString())
            .redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(probe.exitValue()).as(output).isZero();

        Set<String> listed = new HashSet<>(ClassListProbe.classNames(classList));
        Pattern fromImage = Pattern.compile("\\] (\\S+) source: jrt:/");
        List<String> notArchived = Files.readAllLines(log).stream()
            .map(fromImage::matcher).filter(Matcher::find).map(m -> m.group(1)).filter(listed::contains)
            .collect(Collectors.toList());
        assertThat(notArchived).as("classes of the JDK's list read from the runtime image").isEmpty();
        assertThat(Files.readString(log)).contains("java.lang.Object source: shared objects file");
    }

    @Test
    void aNewerJarOrADamagedArchiveIsNoFailureAndPrintsNothingMore() throws Exception {
        drkit(Map.of(), "--version");
        Path archive = onlyArchive();

        // damaged (and newer than the jar, so the script keeps it): the JVM ignores it, silently
        Files.setPosixFilePermissions(archive, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Files.write(archive, new byte[4096]);
        Result damaged = drkit(Map.of(), "--version");
        assertThat(damaged.exit).isZero();
        assertThat(damaged.err).isEmpty();
        assertThat(damaged.out.lines()).hasSize(2).allMatch(line -> !line.contains("cds") && !line.contains("shared"));

        // a rebuilt jar: the archive is made again for it
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(archive).toMillis() + 1000));
        Result rebuilt = drkit(Map.of(), "--version");
        assertThat(rebuilt.exit).isZero();
        assertThat(rebuilt.err).isEmpty();
        assertThat(rebuilt.out.lines()).hasSize(2);
        Path again = onlyArchive();
        assertThat(Files.getLastModifiedTime(again).toMillis())
            .isGreaterThanOrEqualTo(Files.getLastModifiedTime(jar).toMillis());
        assertThat(Files.size(again)).isGreaterThan(4096);
    }

    @Test
    void aSourceNewerThanTheJarMakesItBuild() throws Exception {
        // a stand-in for Maven on the PATH that only records that it was run
        Path bin = Files.createDirectories(checkout.resolve("bin"));
        Path ran = checkout.resolve("mvn-ran");
        Files.writeString(bin.resolve("mvn"), "#!/bin/sh\necho \"$*\" > " + ran + "\n");
        Files.setPosixFilePermissions(bin.resolve("mvn"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path source = checkout.resolve("sdk-core/src/main/java/Changed.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class Changed {}\n");
        String path = bin + File.pathSeparator + System.getenv("PATH");
        try {
            Files.setLastModifiedTime(source, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 10_000));
            drkit(Map.of("PATH", path), "--version");
            assertThat(ran).doesNotExist();

            Files.setLastModifiedTime(source, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 1000));
            Result stale = drkit(Map.of("PATH", path), "--version");
            assertThat(stale.err).contains("building the command line");
            assertThat(Files.readString(ran)).contains("-pl sdk-cli,examples -am package");
        } finally {
            Files.delete(source);
        }
    }

    @Test
    void drkitCdsOffLeavesTheArchiveOut() throws Exception {
        Result command = drkit(Map.of("DRKIT_PRINT_COMMAND", "1", "DRKIT_CDS", "off"));

        assertThat(command.out).doesNotContain("SharedArchiveFile").contains("-jar");
    }

    @Test
    void runsOnTheSerialCollectorUnlessDrkitJavaOptsPicksOne() throws Exception {
        Result plain = drkit(Map.of("DRKIT_PRINT_COMMAND", "1"));
        Result g1 = drkit(Map.of("DRKIT_PRINT_COMMAND", "1", "DRKIT_JAVA_OPTS", "-Xmx1g -XX:+UseG1GC"));
        Result heapOnly = drkit(Map.of("DRKIT_PRINT_COMMAND", "1", "DRKIT_JAVA_OPTS", "-Xmx1g"));
        Result version = drkit(Map.of("DRKIT_JAVA_OPTS", "-Xlog:gc=info:file=" + checkout.resolve("gc.log")),
            "--version");

        assertThat(plain.out.lines()).contains("-XX:+UseSerialGC");
        assertThat(g1.out.lines()).doesNotContain("-XX:+UseSerialGC").contains("-XX:+UseG1GC");
        assertThat(heapOnly.out.lines()).contains("-XX:+UseSerialGC", "-Xmx1g");
        assertThat(version.exit).as(version.err).isZero();
        assertThat(Files.readString(checkout.resolve("gc.log"))).contains("Using Serial");
    }

    @Test
    void theTrainingRunsEachCommandAsExpected() throws IOException {
        assertThat(StartupTraining.run()).isTrue();
    }

    private static Path onlyArchive() throws IOException {
        try (Stream<Path> files = Files.list(target)) {
            List<Path> archives = files.filter(p -> p.getFileName().toString().matches("drkit-[0-9]+\\.jsa"))
                .collect(Collectors.toList());
            assertThat(archives).hasSize(1);
            return archives.get(0);
        }
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result drkit(Map<String, String> env, String... args) throws Exception {
        return drkitIn(checkout, env, args);
    }

    /** The launcher run with {@code directory} as its working directory, as a server runs restore_command. */
    private static Result drkitIn(Path directory, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(checkout.resolve("drkit").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().putAll(env);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path out = Files.createTempFile(checkout, "out", ".txt");
        Path err = Files.createTempFile(checkout, "err", ".txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** This module's classes in a jar whose manifest runs {@link Drkit} and names every dependency jar. */
    private static void writeJar(Path jar) throws IOException {
        Path classes = Path.of(Drkit.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        List<String> dependencies = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (entry.endsWith(".jar") && Files.isRegularFile(path)) {
                dependencies.add(classPathEntry(jar, path));
            } else if (Files.isDirectory(path) && !path.equals(classes) && !path.endsWith("test-classes")) {
                // another module's classes (a reactor build): into a jar of its own
                Path copy = jar.resolveSibling("dep-" + dependencies.size() + ".jar");
                writeClasses(copy, path, new Manifest());
                dependencies.add(classPathEntry(jar, copy));
            }
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Drkit.class.getName());
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", dependencies));
        writeClasses(jar, classes, manifest);
    }

    /**
     * A manifest Class-Path entry for {@code dependency}, relative to the jar's directory: class-data sharing reads
     * every entry so (a {@code file:} URL or an absolute path included), finds nothing there, and archives nothing
     * from it.
     */
    private static String classPathEntry(Path jar, Path dependency) {
        Path relative = jar.toAbsolutePath().getParent().relativize(dependency.toAbsolutePath());
        return relative.toString().replace(File.separatorChar, '/').replace(" ", "%20");
    }

    private static void writeClasses(Path jar, Path directory, Manifest manifest) throws IOException {
        manifest.getMainAttributes().putIfAbsent(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> files = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                String name = directory.relativize(path).toString().replace(File.separatorChar, '/');
                if (name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                Files.copy(path, out);
                out.closeEntry();
            }
        }
        assertThat(Files.size(jar)).isPositive();
        assertThat(new String(Files.readAllBytes(jar), 0, 2, StandardCharsets.ISO_8859_1)).isEqualTo("PK");
    }
}
