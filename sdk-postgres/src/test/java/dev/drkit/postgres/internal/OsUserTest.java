package dev.drkit.postgres.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

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
}
