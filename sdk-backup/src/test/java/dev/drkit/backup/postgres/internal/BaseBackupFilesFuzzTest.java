package dev.drkit.backup.postgres.internal;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the extraction of a base backup's tar stream, which may come from anywhere: it must extract or refuse
 * with an {@link IOException}, and never write outside its target directory.
 *
 * <p>In a normal build the target runs once with empty input. To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk-backup test -Dtest=BaseBackupFilesFuzzTest}.
 */
class BaseBackupFilesFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void extractionStaysInsideItsDirectory(FuzzedDataProvider data) throws IOException {
        Path root = Files.createTempDirectory("tar-fuzz");
        Path target = Files.createDirectory(root.resolve("data"));
        try {
            try {
                BaseBackupFiles.extractTar(new ByteArrayInputStream(data.consumeRemainingAsBytes()), target);
            } catch (IOException e) {
                // refused: fine
            }
            try (Stream<Path> all = Files.list(root)) {
                assertThat(all.map(p -> p.getFileName().toString())).containsExactly("data");
            }
            try (Stream<Path> all = Files.walk(target)) {
                assertThat(all.filter(Files::isSymbolicLink)).isEmpty();
            }
        } finally {
            try (Stream<Path> all = Files.walk(root)) {
                all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
