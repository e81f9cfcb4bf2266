package dev.drkit.core.internal;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

class FailuresTest {

    @Test
    void describesAFailureByItsTypeOnly() {
        assertThat(Failures.describe(new IOException("connect to postgres://admin:hunter2@db failed")))
            .isEqualTo("java.io.IOException");
    }

    @Test
    void addsTheSqlStateOfAnSqlException() {
        assertThat(Failures.describe(new SQLException("password hunter2 rejected", "08006")))
            .isEqualTo("java.sql.SQLException (SQLState 08006)");
    }

    @Test
    void findsTheSqlStateInTheCauseChain() {
        Exception wrapped = new IllegalStateException("row 'secret' failed",
            new RuntimeException("inner", new SQLException("duplicate key 'alice'", "23505")));
        assertThat(Failures.describe(wrapped)).isEqualTo("java.lang.IllegalStateException (SQLState 23505)");
    }

    @Test
    void leavesOutAMissingSqlState() {
        assertThat(Failures.describe(new SQLException("no state"))).isEqualTo("java.sql.SQLException");
    }

    @Test
    void survivesACyclicCauseChain() {
        Exception a = new Exception("a");
        Exception b = new Exception("b", a);
        a.initCause(b);
        assertThat(Failures.describe(a)).isEqualTo("java.lang.Exception");
    }
}
