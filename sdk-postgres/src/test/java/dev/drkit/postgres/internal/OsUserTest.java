package dev.drkit.postgres.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class OsUserTest {

    @Test
    void readsNameUidAndGidFromAPasswdLine() {
        assertThat(OsUser.parse("postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash"))
            .contains(new OsUser("postgres", 101, 104));
        assertThat(OsUser.parse("broken:x:abc:1::/:/bin/sh")).isEmpty();
        assertThat(OsUser.parse("short")).isEmpty();
    }

    @Test
    void findsExistingUsersAndNotMadeUpOnes() {
        assertThat(OsUser.lookup("root")).hasValueSatisfying(u -> assertThat(u.uid()).isZero());
        assertThat(OsUser.lookup("no-such-user-here")).isEmpty();
        assertThat(OsUser.lookup("bad name;rm")).isEmpty();
    }

    @Test
    void aNameServiceThatDoesNotFinishGivesNothingInsteadOfHanging() {
        String line = "svc:x:990:990::/srv:/bin/sh";
        assertThat(OsUser.passwdLine(List.of("sh", "-c", "echo " + line), "svc", Duration.ofSeconds(10)))
            .hasValue(line);
        // prints the line, then keeps the pipe open for a minute, as a hung NSS lookup would
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThat(OsUser.passwdLine(
            List.of("sh", "-c", "echo " + line + "; exec sleep 60"), "svc", Duration.ofMillis(300))).isEmpty());
    }
}
