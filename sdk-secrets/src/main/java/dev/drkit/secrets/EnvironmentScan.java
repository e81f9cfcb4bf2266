package dev.drkit.secrets;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Looks for secrets where they should not be: the process's environment variables and JVM arguments, both
 * readable by other processes of the same user (and argv by every user, through {@code ps}). Reports the name of
 * each suspicious variable or property and the rule it broke, never its value.
 *
 * <pre>{@code
 * for (EnvironmentScan.Finding f : EnvironmentScan.scan()) {
 *     log.warn("Secret hygiene: {} {} ({})", f.where(), f.name(), f.rule());
 * }
 * }</pre>
 *
 * <p>Rules: {@link Rule#VAULT_TOKEN_VARIABLE} ({@code VAULT_TOKEN}, the root-token-in-env habit drkit replaces),
 * {@link Rule#SECRET_LIKE_NAME} (names with PASSWORD, SECRET, TOKEN, PASSPHRASE, PRIVATE_KEY, CREDENTIAL or
 * API_KEY and a non-empty value), {@link Rule#VAULT_TOKEN_VALUE} (a value shaped like a Vault token, whatever the
 * name), {@link Rule#KNOWN_SECRET_VALUE} (a value holding a secret the {@link LeakTripwire} knows). Stateless and
 * thread-safe.
 *
 * @since 0.1
 */
public final class EnvironmentScan {

    private static final Pattern SECRET_NAME = Pattern.compile(
        ".*(PASSWORD|PASSWD|SECRET|TOKEN|PASSPHRASE|PRIVATE_KEY|PRIVATEKEY|CREDENTIAL|API_KEY|APIKEY).*");
    private static final Pattern VAULT_TOKEN = Pattern.compile("(?:^|[^A-Za-z0-9])(hv[sbr]\\.[A-Za-z0-9_-]{20,}|s\\.[A-Za-z0-9]{24})");

    /**
     * Where a finding was made.
     *
     * @since 0.1
     */
    public enum Where {
        /** An environment variable. */
        ENVIRONMENT,
        /** A JVM argument ({@code -Dname=value} or another). */
        JVM_ARGUMENT
    }

    /**
     * The rule a variable or argument broke.
     *
     * @since 0.1
     */
    public enum Rule {
        /** {@code VAULT_TOKEN} is set: use an AppRole with private files instead. */
        VAULT_TOKEN_VARIABLE,
        /** The name suggests a secret and a value is set. */
        SECRET_LIKE_NAME,
        /** The value looks like a Vault token. */
        VAULT_TOKEN_VALUE,
        /** The value holds a secret drkit holds. */
        KNOWN_SECRET_VALUE
    }

    /**
     * One finding: where, which name, which rule; never the value. Immutable.
     *
     * @since 0.1
     */
    public static final class Finding {
        private final Where where;
        private final String name;
        private final Rule rule;

        Finding(Where where, String name, Rule rule) {
            this.where = where;
            this.name = name;
            this.rule = rule;
        }

        /** Where it was found. @since 0.1 */
        public Where where() {
            return where;
        }

        /** The variable's name, the property's name, or {@code argument #n} for other JVM arguments. @since 0.1 */
        public String name() {
            return name;
        }

        /** The rule it broke. @since 0.1 */
        public Rule rule() {
            return rule;
        }

        @Override
        public String toString() {
            return where + " " + name + ": " + rule;
        }
    }

    private EnvironmentScan() {
    }

    /**
     * Scans this process's environment and JVM arguments, with the {@link LeakTripwire#global() global} tripwire.
     *
     * @since 0.1
     */
    public static List<Finding> scan() {
        return scan(System.getenv(), ManagementFactory.getRuntimeMXBean().getInputArguments(), LeakTripwire.global());
    }

    /**
     * Scans the given environment and JVM arguments.
     *
     * @since 0.1
     */
    public static List<Finding> scan(Map<String, String> environment, List<String> jvmArguments, LeakTripwire tripwire) {
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(jvmArguments, "jvmArguments");
        Objects.requireNonNull(tripwire, "tripwire");
        List<Finding> findings = new ArrayList<>();
        environment.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
            check(Where.ENVIRONMENT, e.getKey(), e.getValue(), tripwire, findings));
        for (int i = 0; i < jvmArguments.size(); i++) {
            String arg = jvmArguments.get(i);
            if (arg.startsWith("-D") && arg.indexOf('=') > 2) {
                check(Where.JVM_ARGUMENT, arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1),
                    tripwire, findings);
            } else {
                check(Where.JVM_ARGUMENT, "argument #" + i, arg, tripwire, findings, false);
            }
        }
        return List.copyOf(findings);
    }

    private static void check(Where where, String name, String value, LeakTripwire tripwire, List<Finding> out) {
        check(where, name, value, tripwire, out, true);
    }

    private static void check(Where where, String name, String value, LeakTripwire tripwire, List<Finding> out,
                              boolean named) {
        String shownName = printable(name);
        if (named && where == Where.ENVIRONMENT && name.equals("VAULT_TOKEN") && !value.isEmpty()) {
            out.add(new Finding(where, shownName, Rule.VAULT_TOKEN_VARIABLE));
        } else if (named && !value.isEmpty()
            && SECRET_NAME.matcher(name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_')).matches()) {
            out.add(new Finding(where, shownName, Rule.SECRET_LIKE_NAME));
        }
        if (VAULT_TOKEN.matcher(value).find()) {
            out.add(new Finding(where, shownName, Rule.VAULT_TOKEN_VALUE));
        }
        if (tripwire.findIn(value).isPresent()) {
            out.add(new Finding(where, shownName, Rule.KNOWN_SECRET_VALUE));
        }
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }
}
