package dev.drkit.failover;

import dev.drkit.core.internal.Checks;

import java.util.Objects;

/**
 * One PostgreSQL server of a {@link FailoverDataSource}: a host name or address and a port. Its {@link #id()},
 * {@code host:port}, names it in logs, events, metric tags and exception messages. Whether it is the primary or
 * a replica is not configured: the topology monitor finds out, and follows it as it changes.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * Endpoint primary = Endpoint.of("10.0.0.5", 5432);
 * Endpoint parsed = Endpoint.parse("db-b.internal:5433");
 * }</pre>
 *
 * @since 0.1
 */
public final class Endpoint {

    /** PostgreSQL's default port: {@value}. */
    public static final int DEFAULT_PORT = 5432;

    private final String host;
    private final int port;

    private Endpoint(String host, int port) {
        this.host = Checks.notBlank(host, "host");
        Checks.argument(host.chars().noneMatch(c -> Character.isWhitespace(c) || c == '/' || c == '?' || c == ','),
            "host must be a host name or address, but was \"%s\"", host);
        this.port = Checks.inRange(port, 1, 65535, "port");
    }

    /**
     * An endpoint at {@code host} and {@code port}.
     *
     * @throws IllegalArgumentException if the host is blank or holds {@code / ? ,} or blanks, or the port is
     *                                  outside 1..65535
     * @since 0.1
     */
    public static Endpoint of(String host, int port) {
        Objects.requireNonNull(host, "host");
        return new Endpoint(host, port);
    }

    /**
     * Parses {@code host:port} or {@code host} (port {@value #DEFAULT_PORT}); IPv6 addresses go in brackets
     * ({@code [::1]:5432} or {@code [::1]}).
     *
     * @throws IllegalArgumentException if the text is not of that form: among others an IPv6 address without
     *                                  brackets ({@code ::1}) or a port not after a colon ({@code [::1]5432})
     * @since 0.1
     */
    public static Endpoint parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        if (trimmed.startsWith("[")) {
            int close = trimmed.indexOf(']');
            Checks.argument(close > 1, "endpoint must be host:port, but was \"%s\"", text);
            String rest = trimmed.substring(close + 1);
            Checks.argument(rest.isEmpty() || rest.startsWith(":"),
                "endpoint must be [address]:port, with a colon after the bracket, but was \"%s\"", text);
            return new Endpoint(trimmed.substring(1, close), rest.isEmpty() ? DEFAULT_PORT : port(rest.substring(1), text));
        }
        int colon = trimmed.lastIndexOf(':');
        if (colon < 0) {
            return new Endpoint(trimmed, DEFAULT_PORT);
        }
        // Without brackets an IPv6 address cannot be told from its port: "::1" would be host ":" at port 1.
        Checks.argument(trimmed.indexOf(':') == colon,
            "endpoint must be host:port, with an IPv6 address in brackets ([::1]:5432), but was \"%s\"", text);
        return new Endpoint(trimmed.substring(0, colon), port(trimmed.substring(colon + 1), text));
    }

    private static int port(String digits, String text) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint must be host:port, but was \"" + text + "\"", e);
        }
    }

    /** The host name or address. @since 0.1 */
    public String host() {
        return host;
    }

    /** The TCP port. @since 0.1 */
    public int port() {
        return port;
    }

    /** {@code host:port} ({@code [host]:port} for IPv6): the name used in logs, events, metrics and errors. @since 0.1 */
    public String id() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Endpoint && ((Endpoint) other).host.equals(host) && ((Endpoint) other).port == port;
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port);
    }

    @Override
    public String toString() {
        return id();
    }
}
