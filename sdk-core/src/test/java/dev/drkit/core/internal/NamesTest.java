package dev.drkit.core.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NamesTest {

    @Test
    void acceptsPrintableNamesUpToTheLimit() {
        assertThat(Names.printable("orders-db", 100, "name")).isEqualTo("orders-db");
        assertThat(Names.printable("x".repeat(100), 100, "name")).hasSize(100);
    }

    @Test
    void rejectsBlankLongAndControlCharacterNames() {
        assertThatThrownBy(() -> Names.printable(" ", 100, "name"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("name must be 1 to 100 printable characters, but was \" \"");
        assertThatThrownBy(() -> Names.printable("x".repeat(101), 100, "name"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Names.printable("a\nb", 100, "step"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("step must be 1 to 100 printable characters, but was \"a?b\"");
    }

    @Test
    void rejectsNullNamingTheArgument() {
        assertThatThrownBy(() -> Names.printable(null, 100, "name"))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("name");
    }
}
