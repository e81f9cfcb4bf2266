package dev.drkit.core.secret;

import dev.drkit.core.DrkitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretsTest {

    static final String CONTENT = "hunter2-correct-horse";

    @TempDir
    Path dir;

    @Test
    void readsAnOwnerOnlyFileAndLabelsTheSecretWithTheFileName() throws IOException {
        Path file = secretFile("db.password", CONTENT, "rw-------");

        try (Secret secret = Secrets.fromFile(file)) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
            assertThat(secret).hasToString("Secret[db.password]");
        }
    }

    @Test
    void acceptsAReadOnlyOwnerFile() throws IOException {
        Path file = secretFile("ro", CONTENT, "r--------");

        try (Secret secret = Secrets.fromFile(file)) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
        }
    }

    @Test
    void stripsOneTrailingNewline() throws IOException {
        assertThat(read(CONTENT + "\n")).isEqualTo(CONTENT);
        assertThat(read(CONTENT + "\r\n")).isEqualTo(CONTENT);
    }

    @Test
    void stripsOnlyOneTrailingNewline() throws IOException {
        assertThat(read(CONTENT + "\n\n")).isEqualTo(CONTENT + "\n");
        assertThat(read(CONTENT + "\r\n\r\n")).isEqualTo(CONTENT + "\r\n");
    }

    @Test
    void keepsLeadingAndInnerWhitespaceAndALoneCarriageReturn() throws IOException {
        assertThat(read("  a b\tc\n")).isEqualTo("  a b\tc");
        assertThat(read("abc\r")).isEqualTo("abc\r");
        assertThat(read("\nabc")).isEqualTo("\nabc");
    }

    @Test
    void keepsBinaryContentByteForByte() throws IOException {
        byte[] key = new byte[256];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (255 - i);   // ends in 0x00, not a newline
        }
        Path file = dir.resolve("key.bin");
        Files.write(file, key);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        try (Secret secret = Secrets.fromFile(file)) {
            assertThat(secret.revealBytes()).isEqualTo(key);
        }
    }

    @Test
    void refusesAGroupReadableFileNamingTheFileAndItsMode() throws IOException {
        Path file = secretFile("db.password", CONTENT, "rw-r-----");

        assertThatThrownBy(() -> Secrets.fromFile(file))
            .isInstanceOfSatisfying(SecretFileException.class, e -> {
                assertThat(e.reason()).isEqualTo(SecretFileException.Reason.TOO_OPEN);
                assertThat(e.file()).isEqualTo(file);
                assertThat(e.mode()).contains("0640 (rw-r-----)");
                assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                assertThat(e.context()).containsEntry("file", file.toString()).containsEntry("mode", "0640 (rw-r-----)");
            })
            .hasMessage("Secret file " + file + " has mode 0640 (rw-r-----), which lets its group at it;"
                + " it must be 0600 or stricter: chmod 600 " + file);
    }

    @Test
    void refusesAWorldReadableFile() throws IOException {
        Path file = secretFile("pw", CONTENT, "rw-r--r--");

        assertThatThrownBy(() -> Secrets.fromFile(file))
            .isInstanceOf(SecretFileException.class)
            .hasMessageContaining("0644 (rw-r--r--)")
            .hasMessageContaining("other users");
    }

    @Test
    void refusesAFileThatGroupOrOthersMayWrite() throws IOException {
        assertThatThrownBy(() -> Secrets.fromFile(secretFile("gw", CONTENT, "rw--w----")))
            .isInstanceOf(SecretFileException.class).hasMessageContaining("0620");
        assertThatThrownBy(() -> Secrets.fromFile(secretFile("ow", CONTENT, "rw-----w-")))
            .isInstanceOf(SecretFileException.class).hasMessageContaining("0602");
    }

    @Test
    void acceptsAGroupReadableFileWhenAllowed() throws IOException {
        Path file = secretFile("shared", CONTENT, "rw-r-----");

        try (Secret secret = Secrets.fromFile(file, FileAccess.ALLOW_GROUP_READABLE)) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
        }
    }

    @Test
    void refusesAWorldReadableOrGroupWritableFileEvenWhenGroupReadingIsAllowed() throws IOException {
        assertThatThrownBy(() -> Secrets.fromFile(secretFile("a", CONTENT, "rw-r--r--"), FileAccess.ALLOW_GROUP_READABLE))
            .isInstanceOf(SecretFileException.class)
            .hasMessageContaining("0644")
            .hasMessageContaining("must be 0640 or stricter: chmod 640");
        assertThatThrownBy(() -> Secrets.fromFile(secretFile("b", CONTENT, "rw-rw----"), FileAccess.ALLOW_GROUP_READABLE))
            .isInstanceOf(SecretFileException.class)
            .hasMessageContaining("0660");
    }

    @Test
    void refusesASymbolicLinkUnlessFollowingIsAsked() throws IOException {
        Path target = secretFile("target", CONTENT, "rw-------");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);

        assertThatThrownBy(() -> Secrets.fromFile(link))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.SYMBOLIC_LINK))
            .hasMessageContaining(link.toString())
            .hasMessageContaining("symbolic link");
        try (Secret secret = Secrets.fromFile(link, FileAccess.FOLLOW_SYMLINKS)) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
        }
    }

    @Test
    void holdsTheTargetOfAFollowedLinkToTheSameChecks() throws IOException {
        Path target = secretFile("target", CONTENT, "rw-r--r--");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);

        assertThatThrownBy(() -> Secrets.fromFile(link, FileAccess.FOLLOW_SYMLINKS))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.TOO_OPEN));
    }

    @Test
    void refusesADirectory() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));

        assertThatThrownBy(() -> Secrets.fromFile(sub))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.NOT_A_REGULAR_FILE))
            .hasMessageContaining("not a regular file");
    }

    @Test
    void refusesAFifoWithoutOpeningIt() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor()).isZero();

        // Opening a FIFO with no writer blocks forever: this test would hang if the check came after the open.
        assertThatThrownBy(() -> Secrets.fromFile(fifo))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.NOT_A_REGULAR_FILE));
    }

    @Test
    void refusesAMissingFile() {
        Path missing = dir.resolve("nope");

        assertThatThrownBy(() -> Secrets.fromFile(missing))
            .isInstanceOfSatisfying(SecretFileException.class, e -> {
                assertThat(e.reason()).isEqualTo(SecretFileException.Reason.MISSING);
                assertThat(e.mode()).isEmpty();
            })
            .hasMessage("Secret file " + missing + " does not exist");
    }

    @Test
    void aMissingNameWithoutAnExistingDirectoryIsNotRepeatedAnywhere() {
        String secretGivenAsName = "hunter2 is my passphrase";

        assertThatThrownBy(() -> Secrets.fromOneLineFile(Path.of(secretGivenAsName)))
            .isInstanceOfSatisfying(SecretFileException.class, e -> {
                assertThat(e.reason()).isEqualTo(SecretFileException.Reason.MISSING);
                assertThat(e.getCause()).isNull();
                assertThat(e.toString()).doesNotContain("hunter2");
                assertThat(e.context().values()).noneMatch(v -> v.contains("hunter2"));
                assertThat(e.source()).doesNotContain("hunter2");
                assertThat(e.file()).isEqualTo(Path.of(secretGivenAsName));
            })
            .hasMessageContaining("not shown").hasMessageContaining("(24 characters)");
        assertThatThrownBy(() -> Secrets.fromFile(Path.of("no/such/dir/" + secretGivenAsName)))
            .isInstanceOf(SecretFileException.class).message().doesNotContain("hunter2");
    }

    @Test
    void refusesAnEmptyFileAndOneHoldingOnlyANewline() throws IOException {
        assertThatThrownBy(() -> Secrets.fromFile(secretFile("empty", "", "rw-------")))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.EMPTY))
            .hasMessageEndingWith("is empty");
        assertThatThrownBy(() -> Secrets.fromFile(secretFile("nl", "\n", "rw-------")))
            .isInstanceOf(SecretFileException.class)
            .hasMessageEndingWith("is empty (only a newline)");
        assertThatThrownBy(() -> Secrets.fromFile(secretFile("crlf", "\r\n", "rw-------")))
            .isInstanceOf(SecretFileException.class)
            .hasMessageEndingWith("is empty (only a newline)");
    }

    @Test
    void refusesAFileLargerThanTheLimit() throws IOException {
        Path big = dir.resolve("big");
        Files.write(big, new byte[Secrets.MAX_FILE_BYTES + 1]);
        Files.setPosixFilePermissions(big, PosixFilePermissions.fromString("rw-------"));
        Path justRight = dir.resolve("max");
        Files.write(justRight, new byte[Secrets.MAX_FILE_BYTES]);
        Files.setPosixFilePermissions(justRight, PosixFilePermissions.fromString("rw-------"));

        assertThatThrownBy(() -> Secrets.fromFile(big))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.TOO_LARGE));
        try (Secret secret = Secrets.fromFile(justRight)) {
            assertThat(secret.length()).isEqualTo(Secrets.MAX_FILE_BYTES);
        }
    }

    @Test
    void aOneLineFileIsReadAsGpgReadsAPassphraseFileAndRefusedWhereGpgWouldReadAnotherPassphrase() throws IOException {
        assertThat(readOneLine(CONTENT + "\n")).isEqualTo(CONTENT);
        assertThat(readOneLine(CONTENT)).isEqualTo(CONTENT);
        assertThat(readOneLine("  spaces kept\t")).isEqualTo("  spaces kept\t");

        // gpg --passphrase-file takes the bytes up to the first \n, keeps \r, and ends the passphrase at a NUL
        Map<String, String> refused = Map.of(
            "two-lines", "first-half\nsecond-half\n",
            "two-lines-no-end", "first-half\nsecond-half",
            "blank-second-line", CONTENT + "\n\n",
            "crlf", CONTENT + "\r\n",
            "cr-inside", "first-half\rsecond-half",
            "nul", "first-half\0second-half\n");
        for (Map.Entry<String, String> file : refused.entrySet()) {
            Path path = secretFile(file.getKey(), file.getValue(), "rw-------");
            assertThatThrownBy(() -> Secrets.fromOneLineFile(path)).as(file.getKey())
                .isInstanceOfSatisfying(SecretFileException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SecretFileException.Reason.NOT_ONE_LINE);
                    assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
                    assertThat(e.getMessage())
                        .contains(path.toString(), "gpg", "must be one line, with at most a \\n after it");
                    for (String part : List.of("first-half", "second-half", CONTENT)) {
                        assertThat(e.getMessage()).doesNotContain(part);
                        assertThat(e.toString()).doesNotContain(part);
                        assertThat(e.context().values()).noneMatch(v -> v.contains(part));
                    }
                });
            // the same file read as a whole, as before: unchanged
            try (Secret whole = Secrets.fromFile(path)) {
                assertThat(whole.length()).isPositive();
            }
        }
    }

    @Test
    void aOneLineFileSaysWhichRuleItBrokeAndHowToFixIt() throws IOException {
        assertThatThrownBy(() -> Secrets.fromOneLineFile(secretFile("ml", "a\nb\n", "rw-------")))
            .hasMessageContaining("holds more than one line, and gpg --passphrase-file reads only the first")
            .hasMessageContaining("in a new file, for example: (umask 077; openssl rand -base64 32 > ")
            .hasMessageContaining("keep this one");
        assertThatThrownBy(() -> Secrets.fromOneLineFile(secretFile("cr", "ab\r\n", "rw-------")))
            .hasMessageContaining("carriage return")
            .hasMessageContaining("sed -i 's/\\r$//' ");
        assertThatThrownBy(() -> Secrets.fromOneLineFile(secretFile("nul", "a\0b", "rw-------")))
            .hasMessageContaining("NUL byte")
            .hasMessageContaining("in a new file");
    }

    @Test
    void aPassphraseFileThatIsNotUtf8TextIsRefusedWithoutShowingIt() throws IOException {
        // "geheimnisvolle Tür" saved as Latin-1, and the same with a second line: neither is UTF-8 text
        byte[] latin1 = "geheimnisvolle T\u00fcr\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] latin1TwoLines = "geheimnisvolle T\u00fcr\nzweite Zeile\n".getBytes(StandardCharsets.ISO_8859_1);
        for (byte[] content : List.of(latin1, latin1TwoLines)) {
            Path file = Files.write(dir.resolve("latin1-" + content.length), content);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

            assertThatThrownBy(() -> Secrets.fromOneLineFile(file))
                .isInstanceOfSatisfying(SecretFileException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SecretFileException.Reason.NOT_UTF8);
                    assertThat(e.getMessage()).contains(file.toString(), "is not UTF-8 text", "in a new file")
                        .doesNotContain("geheimnis").doesNotContain("Zeile");
                });
        }
        // UTF-8 text beyond ASCII is a passphrase like any other
        Path utf8 = secretFile("utf8", "geheimnisvolle T\u00fcr\n", "rw-------");
        try (Secret secret = Secrets.fromOneLineFile(utf8)) {
            assertThat(new String(secret.reveal())).isEqualTo("geheimnisvolle T\u00fcr");
        }
    }

    @Test
    void aOneLineFileIsHeldToTheOtherChecksFirst() throws IOException {
        assertThatThrownBy(() -> Secrets.fromOneLineFile(secretFile("open", "a\nb\n", "rw-r--r--")))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.TOO_OPEN));
        assertThatThrownBy(() -> Secrets.fromOneLineFile(secretFile("nl", "\n", "rw-------")))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.EMPTY));
        try (Secret secret = Secrets.fromOneLineFile(secretFile("shared", CONTENT + "\n", "rw-r-----"),
            FileAccess.ALLOW_GROUP_READABLE)) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
        }
        assertThatThrownBy(() -> Secrets.fromOneLineFile(secretFile("shared-two-lines", "a\nb\n", "rw-r-----"),
            FileAccess.ALLOW_GROUP_READABLE))
            .isInstanceOfSatisfying(SecretFileException.class,
                e -> assertThat(e.reason()).isEqualTo(SecretFileException.Reason.NOT_ONE_LINE));
    }

    @Test
    void neverPutsFileContentIntoTheException() throws IOException {
        Path file = secretFile("leaky", CONTENT, "rw-r--r--");

        assertThatThrownBy(() -> Secrets.fromFile(file))
            .isInstanceOfSatisfying(SecretFileException.class, e -> {
                assertThat(e.getMessage()).doesNotContain(CONTENT);
                assertThat(e.toString()).doesNotContain(CONTENT);
                assertThat(e.context().values()).noneMatch(v -> v.contains(CONTENT));
            });
    }

    @Test
    void replacesControlCharactersInTheLabel() throws IOException {
        Path file = secretFile("bad\u001b[31mname", CONTENT, "rw-------");

        try (Secret secret = Secrets.fromFile(file)) {
            assertThat(secret.label()).isEqualTo("bad?[31mname");
        }
    }

    @Test
    void fileSourceReadsTheFileAgainOnEveryGet() throws IOException {
        Path file = secretFile("rotating", "first", "rw-------");
        SecretSource source = Secrets.fileSource(file);

        try (Secret first = source.get()) {
            Files.writeString(file, "second\n");
            try (Secret second = source.get()) {
                assertThat(new String(first.reveal())).isEqualTo("first");
                assertThat(new String(second.reveal())).isEqualTo("second");
            }
        }
        assertThat(source).hasToString("SecretSource[file " + file + "]");
    }

    @Test
    void fileSourceKeepsItsAccessOptions() throws IOException {
        Path file = secretFile("shared", CONTENT, "rw-r-----");
        FileAccess[] access = {FileAccess.ALLOW_GROUP_READABLE};
        SecretSource source = Secrets.fileSource(file, access);
        access[0] = FileAccess.FOLLOW_SYMLINKS;   // the caller's array is copied

        try (Secret secret = source.get()) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
        }
    }

    @Test
    void aPassphraseFromTheEnvironmentForEncryptingMustBeOneLineAndTheMessageHoldsNoneOfIt() {
        try (Secret secret = Secrets.fromOneLineEnv("BACKUP_PASS", Map.of("BACKUP_PASS", "one line only"))) {
            assertThat(new String(secret.reveal())).isEqualTo("one line only");
        }
        for (String value : List.of("first line\nsecond", "ends in a newline\n", "windows\r", "nul\0after")) {
            assertThatThrownBy(() -> Secrets.fromOneLineEnv("BACKUP_PASS", Map.of("BACKUP_PASS", value)))
                .as(value.replaceAll("\\p{Cntrl}", "?"))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("BACKUP_PASS").hasMessageContaining("one line")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(value.strip().substring(0, 4)));
        }
        // reading is not refused: a backup made before the rule must still open
        try (Secret secret = Secrets.fromEnv("BACKUP_PASS", Map.of("BACKUP_PASS", "first line\nsecond"))) {
            assertThat(new String(secret.reveal())).isEqualTo("first line\nsecond");
        }
    }

    @Test
    void readsAnEnvironmentVariableLabelledWithItsName() {
        try (Secret secret = Secrets.fromEnv("DB_PASSWORD", Map.of("DB_PASSWORD", CONTENT))) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
            assertThat(secret).hasToString("Secret[DB_PASSWORD]");
        }
    }

    @Test
    void remembersTheVariablesSecretsWereReadFromSetOrNot() {
        try (Secret secret = Secrets.fromEnv("REMEMBERED_SET", Map.of("REMEMBERED_SET", CONTENT))) {
            assertThat(secret.label()).isEqualTo("REMEMBERED_SET");
        }
        assertThatThrownBy(() -> Secrets.fromEnv("REMEMBERED_UNSET", Map.of()))
            .isInstanceOf(SecretUnavailableException.class);
        Secrets.envSource("REMEMBERED_SOURCE");

        assertThat(Secrets.environmentVariablesRead())
            .contains("REMEMBERED_SET", "REMEMBERED_UNSET", "REMEMBERED_SOURCE").doesNotContain("OTHER");
    }

    @Test
    void refusesAMissingEnvironmentVariableNamingIt() {
        assertThatThrownBy(() -> Secrets.fromEnv("DB_PASSWORD", Map.of("OTHER", CONTENT)))
            .isInstanceOfSatisfying(SecretUnavailableException.class, e -> {
                assertThat(e.source()).isEqualTo("environment variable DB_PASSWORD");
                assertThat(e.context()).containsEntry("variable", "DB_PASSWORD");
                assertThat(e.kind()).isEqualTo(DrkitException.Kind.ENVIRONMENT);
            })
            .hasMessageStartingWith("Environment variable DB_PASSWORD is not set");
    }

    @Test
    void refusesAnEmptyEnvironmentVariable() {
        assertThatThrownBy(() -> Secrets.fromEnv("DB_PASSWORD", Map.of("DB_PASSWORD", "")))
            .isInstanceOf(SecretUnavailableException.class)
            .hasMessage("Environment variable DB_PASSWORD is set but empty");
    }

    @Test
    void rejectsAVariableNameThatCannotExist() {
        assertThatThrownBy(() -> Secrets.fromEnv("", Map.of()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("variableName must be a non-empty name without '=' or NUL, but was empty");
        // a secret given in place of the name (base64 ends in '=') is not repeated
        assertThatThrownBy(() -> Secrets.envSource("c2VjcmV0="))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("variableName must be a non-empty name without '=' or NUL, but was not one (9 characters, not"
                + " shown)");
    }

    @Test
    void aVariableNameThatDoesNotLookLikeOneIsNeverShown() {
        String secretGivenAsName = "Tr0ub4dor&3-horse-battery";   // --passphrase-env "$PASS"
        assertThatThrownBy(() -> Secrets.fromEnv(secretGivenAsName, Map.of()))
            .isInstanceOfSatisfying(SecretUnavailableException.class, e -> {
                assertThat(e).hasMessage("Environment variable (a name of 25 characters, not shown) is not set; set it"
                    + " to the secret, or give the secret in a file");
                assertThat(e.source() + e.context() + e).doesNotContain(secretGivenAsName);
            });
        assertThatThrownBy(() -> Secrets.fromEnv(secretGivenAsName, Map.of(secretGivenAsName, "")))
            .message().doesNotContain(secretGivenAsName);
        assertThatThrownBy(() -> Secrets.fromOneLineEnv(secretGivenAsName, Map.of(secretGivenAsName, "two\nlines")))
            .message().doesNotContain(secretGivenAsName);
        try (Secret secret = Secrets.fromEnv(secretGivenAsName, Map.of(secretGivenAsName, CONTENT))) {
            assertThat(secret).hasToString("Secret[environment]");
        }
        SecretSource source = Secrets.envSource(secretGivenAsName, Map.of());
        assertThat(source.toString()).doesNotContain(secretGivenAsName).contains("25 characters");
        assertThatThrownBy(source::get).message().doesNotContain(secretGivenAsName);

        // a name that looks like one is shown, up to 128 characters
        String longName = "A".repeat(128);
        assertThatThrownBy(() -> Secrets.fromEnv(longName, Map.of())).hasMessageContaining(longName);
        assertThatThrownBy(() -> Secrets.fromEnv(longName + "A", Map.of())).message().doesNotContain(longName);
        assertThatThrownBy(() -> Secrets.fromEnv("9LIVES", Map.of())).message().doesNotContain("9LIVES");
    }

    @Test
    void envSourceReadsTheVariableOnEveryGet() {
        Map<String, String> env = new HashMap<>(Map.of("TOKEN", "one"));
        SecretSource source = Secrets.envSource("TOKEN", env);

        try (Secret first = source.get()) {
            env.put("TOKEN", "two");
            try (Secret second = source.get()) {
                assertThat(new String(first.reveal())).isEqualTo("one");
                assertThat(new String(second.reveal())).isEqualTo("two");
            }
        }
        assertThat(source).hasToString("SecretSource[environment variable TOKEN]");
    }

    @Test
    void readsFromTheConsoleAndWipesWhatWasTyped() {
        FakePrompt console = FakePrompt.answering(CONTENT.toCharArray());

        try (Secret secret = Secrets.fromConsole("Passphrase: ", console)) {
            assertThat(new String(secret.reveal())).isEqualTo(CONTENT);
            assertThat(secret).hasToString("Secret[console]");
        }
        assertThat(console.prompts).containsExactly("Passphrase: ");
        assertThat(console.handedOut).containsOnly('\0');
    }

    @Test
    void refusesWhenThereIsNoConsole() {
        assertThatThrownBy(() -> Secrets.fromConsole("Passphrase: ", null))
            .isInstanceOfSatisfying(SecretUnavailableException.class, e -> assertThat(e.source()).isEqualTo("console"))
            .hasMessageStartingWith("No console to ask for a secret on");
    }

    @Test
    void refusesEndOfInputAndAnEmptyAnswer() {
        assertThatThrownBy(() -> Secrets.fromConsole("? ", FakePrompt.atEndOfInput()))
            .isInstanceOf(SecretUnavailableException.class)
            .hasMessage("Console input ended before a secret was entered");
        assertThatThrownBy(() -> Secrets.fromConsole("? ", FakePrompt.answering(new char[0])))
            .isInstanceOf(SecretUnavailableException.class)
            .hasMessage("An empty secret was entered on the console");
    }

    @Test
    void consoleSourceAsksOnEveryGet() {
        FakePrompt console = FakePrompt.answering("a".toCharArray(), "b".toCharArray());
        SecretSource source = Secrets.consoleSource("Token: ", console);

        try (Secret a = source.get(); Secret b = source.get()) {
            assertThat(new String(a.reveal())).isEqualTo("a");
            assertThat(new String(b.reveal())).isEqualTo("b");
        }
        assertThat(console.prompts).containsExactly("Token: ", "Token: ");
        assertThat(source).hasToString("SecretSource[console]");
    }

    private String read(String content) throws IOException {
        Path file = Files.createTempFile(dir, "secret", ".txt");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (Secret secret = Secrets.fromFile(file)) {
            return new String(secret.reveal());
        }
    }

    private String readOneLine(String content) throws IOException {
        Path file = Files.createTempFile(dir, "secret", ".txt");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (Secret secret = Secrets.fromOneLineFile(file)) {
            return new String(secret.reveal());
        }
    }

    private Path secretFile(String name, String content, String permissions) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    /** A console that answers from a script (null for end of input) and remembers what it handed out. */
    static final class FakePrompt implements PasswordPrompt {

        final Deque<Optional<char[]>> answers = new ArrayDeque<>();
        final List<String> prompts = new ArrayList<>();
        char[] handedOut;

        static FakePrompt answering(char[]... answers) {
            FakePrompt prompt = new FakePrompt();
            for (char[] a : answers) {
                prompt.answers.add(Optional.of(a));
            }
            return prompt;
        }

        static FakePrompt atEndOfInput() {
            FakePrompt prompt = new FakePrompt();
            prompt.answers.add(Optional.empty());
            return prompt;
        }

        @Override
        public char[] readPassword(String prompt) {
            prompts.add(prompt);
            handedOut = answers.removeFirst().orElse(null);
            return handedOut;
        }
    }
}
