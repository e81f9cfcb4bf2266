package dev.drkit.secrets.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.drkit.core.resilience.Resilience;
import dev.drkit.core.resilience.ResiliencePolicies;
import dev.drkit.core.secret.Secret;
import dev.drkit.secrets.VaultAuthException;
import dev.drkit.secrets.VaultConfig;
import dev.drkit.secrets.VaultException;
import dev.drkit.secrets.VaultUnavailableException;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Vault's HTTP API over the JDK's {@link HttpClient}, every call through sdk-core's {@link Resilience}.
 *
 * <p>Only unavailability is thrown inside the resilience policies (so only it is retried and counted by the
 * circuit breaker): no connection, a timeout, 5xx, 429, a redirect (3xx, never followed), 412. Every other answer, 4xx included, comes back as a
 * {@link Response} for the caller to judge, so a 403 is never retried and never opens the breaker. Messages
 * carry the client name, the operation, the path and the status; never a token, a body or a value.
 *
 * <p>One-time requests ({@link #callOnce}: a login, an unwrap, new database credentials) are sent again only when
 * they surely were not carried out; when that cannot be known, the caller gets {@code OUTCOME_UNKNOWN} instead.
 */
public final class VaultHttp {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();

    private final String name;
    private final URI base;
    private final HttpClient client;
    private final VaultConfig config;
    private final Resilience resilience;
    private final Stats stats;

    public VaultHttp(VaultConfig config, Stats stats) {
        this.name = config.name();
        String address = config.address().toString();
        this.base = URI.create(address.endsWith("/") ? address : address + "/");
        this.config = config;
        this.stats = stats;
        this.client = HttpClient.newBuilder()
            .connectTimeout(config.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
        ResiliencePolicies policies = config.policies();
        Predicate<Throwable> theirs = policies.retryOn();
        this.resilience = policies.toBuilder()
            // A one-time request whose outcome is unknown is never sent again: it might be carried out twice.
            .retryOn(failure -> failure instanceof VaultUnavailableException
                && ((VaultUnavailableException) failure).reason() != VaultException.Reason.OUTCOME_UNKNOWN
                && theirs.test(failure))
            .build()
            .create();
    }

    /** A JSON request body, written by {@link #body(BodyWriter)}. */
    @FunctionalInterface
    public interface BodyWriter {
        void write(JsonGenerator json) throws IOException;
    }

    /** Writes a JSON object body; secrets go in through {@link #writeSecret}, as characters, never as a String. */
    public static byte[] body(BodyWriter writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator gen = FACTORY.createGenerator(out)) {
            gen.writeStartObject();
            writer.write(gen);
            gen.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes {@code field: secret} without making a String of the secret. */
    public static void writeSecret(JsonGenerator json, String field, Secret secret) throws IOException {
        char[] chars = secret.reveal();
        try {
            json.writeFieldName(field);
            json.writeString(chars, 0, chars.length);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    /**
     * Calls Vault with a request that may be carried out more than once (a read, a lookup, a renewal, a
     * revocation): retried on any unavailability.
     *
     * @param operation what is being done, for messages ("read", "renew")
     * @throws VaultUnavailableException if Vault could not answer, after the policies gave up
     * @throws VaultAuthException         ({@code MALFORMED_TOKEN}) if {@code token} cannot be sent in a header
     */
    public Response call(String operation, String method, String path, @Nullable Secret token, byte @Nullable [] body) {
        return call(operation, method, path, token, body, null);
    }

    /**
     * Calls Vault with a one-time request, one that must not be carried out twice: an AppRole login (spends a use of
     * the secret ID and issues a token), an unwrap (spends the wrapping token), new database credentials (a role and
     * a lease). It is sent again only when it surely was not carried out: the connection was refused or not made in
     * time, or Vault answered 503 or 429. Otherwise (a timeout or a connection cut after it was sent, a 500, 502 or
     * 504) the outcome is unknown and the caller gets {@code OUTCOME_UNKNOWN}.
     *
     * <p>One resend is beyond this class: the JDK's client (17) itself sends a GET again, once, when the connection
     * closes before the first byte of the answer, and no setting turns that off. A POST it never resends (unless the
     * JVM runs with {@code jdk.httpclient.enableAllMethodRetry}); new database credentials are a GET, as Vault's API
     * has it, so a connection cut in that instant can still leave one lease nobody holds (it ends with its TTL).
     *
     * @param operation    what is being done, for messages ("login")
     * @param ifCarriedOut what it means if Vault did carry the request out, for the message ("it issued a token
     *                     ..."); never a secret
     * @throws VaultUnavailableException if Vault could not answer, after the policies gave up, or
     *                                   ({@code OUTCOME_UNKNOWN}) if it may have carried the request out
     * @throws VaultAuthException         ({@code MALFORMED_TOKEN}) if {@code token} cannot be sent in a header
     */
    public Response callOnce(String operation, String method, String path, @Nullable Secret token,
                             byte @Nullable [] body, String ifCarriedOut) {
        return call(operation, method, path, token, body, ifCarriedOut);
    }

    private Response call(String operation, String method, String path, @Nullable Secret token, byte @Nullable [] body,
                          @Nullable String ifCarriedOut) {
        try {
            if (token != null) {
                checkToken(operation, path, token);
            }
            Response r = resilience.execute(() -> once(operation, method, path, token, body, ifCarriedOut));
            if (r.status() / 100 == 2) {
                stats.answered.incrementAndGet();
            }
            return r;
        } catch (VaultUnavailableException e) {
            stats.failures.increment();
            throw e;
        } catch (VaultAuthException e) {
            // A malformed token is no outage: retrying it or calling it unavailable would hide the cause.
            throw e;
        } catch (RuntimeException e) {
            stats.failures.increment();
            throw stopped(operation, path, e);
        } finally {
            if (body != null) {
                Arrays.fill(body, (byte) 0);
            }
        }
    }

    /** The resilience policies refused the call, or gave up on it: says which, without asking Vault. */
    private VaultUnavailableException stopped(String operation, String path, RuntimeException e) {
        if (e instanceof BulkheadFullException) {
            // Not an open breaker: nothing is wrong with Vault that this call could tell, the client is just busy.
            return new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " not sent: the bulkhead is full (" + config.policies().maxConcurrentCalls() + " calls to Vault in"
                + " flight already)", VaultException.Reason.BULKHEAD_FULL, path, 0, e);
        }
        if (e instanceof RequestNotPermitted) {
            // Refused by this client's own rate limiter, not by Vault (whose 429 is an answer, SERVER_ERROR).
            return new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " not sent: the client's rate limiter allows no more calls to Vault for now ("
                + config.policies().limitForPeriod() + " every " + config.policies().limitRefreshPeriod().toMillis()
                + " ms)", VaultException.Reason.RATE_LIMITED, path, 0, e);
        }
        // The circuit breaker is open, or the retry budget or the deadline ran out.
        Throwable cause = e.getCause();
        VaultException.Reason reason = VaultException.Reason.CIRCUIT_OPEN;
        if (cause instanceof VaultUnavailableException) {
            reason = ((VaultUnavailableException) cause).reason();
        }
        return new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
            + " stopped by the resilience policies (" + e.getClass().getSimpleName() + ")", reason, path, 0, e);
    }

    /**
     * Refuses a token the JDK would refuse as a header value: its exception quotes the value, and a token read with
     * a trailing carriage return (a file saved with CRLF line ends) is a configuration fault, not an outage.
     */
    private void checkToken(String operation, String path, Secret token) {
        boolean printable = token.withChars(chars -> {
            if (chars.length == 0) {
                return false;
            }
            for (char c : chars) {
                if (c < 0x21 || c > 0x7e) {
                    return false;
                }
            }
            return true;
        });
        if (!printable) {
            throw new VaultAuthException("Vault client '" + name + "': the token for " + operation + " " + path
                + " is empty or holds whitespace or control characters (a trailing carriage return or newline?), so it"
                + " cannot be sent; fix its source", VaultException.Reason.MALFORMED_TOKEN, path, 0, null);
        }
    }

    private Response once(String operation, String method, String path, @Nullable Secret token, byte @Nullable [] body,
                          @Nullable String ifCarriedOut) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("v1/" + path))
            .timeout(config.requestTimeout())
            .header("X-Vault-Request", "true")
            .header("Accept", "application/json");
        if (token != null) {
            request.header("X-Vault-Token", token.withChars(String::new));
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
            request.method(method, HttpRequest.BodyPublishers.ofByteArray(body.clone()));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            if (ifCarriedOut != null && !surelyNotSent(e)) {
                throw outcomeUnknown(operation, path, 0, "no answer: " + e.getClass().getSimpleName(), ifCarriedOut);
            }
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " failed: Vault unreachable (" + e.getClass().getSimpleName() + ")",
                VaultException.Reason.UNREACHABLE, path, 0, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (ifCarriedOut != null) {
                throw outcomeUnknown(operation, path, 0, "interrupted before the answer came", ifCarriedOut);
            }
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " interrupted", VaultException.Reason.UNREACHABLE, path, 0, null);
        }
        int status = response.statusCode();
        // Of Vault's documented statuses, 503 (sealed, or a standby that cannot serve) and 429 (a rate limit quota)
        // refuse a request before any of it is carried out, so even a one-time request may be sent again. 500 (an
        // internal error), 502 (a third party such as the database failed) and 504 (a proxy gave up waiting) can come
        // after some or all of it was done: for a one-time request the outcome is unknown.
        if (status == 503) {
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " failed: Vault is sealed or on standby (HTTP 503)", VaultException.Reason.SEALED, path, status, null);
        }
        if (status / 100 == 3 || status == 412) {
            // A redirect is never followed (the token would go wherever its Location points): it comes from a standby
            // that sends requests to the active node. A 412 comes from a node not yet caught up with the state a
            // request needs. Neither carried the request out, so even a one-time request may be sent again; to this
            // client it is an outage like a 503, and a cache serves its last known value.
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " failed: HTTP " + status + (status == 412 ? " (a node not yet caught up with the state the request"
                + " needs)" : " (a redirect, not followed: a standby node? give the address of the active node or of a"
                + " load balancer in front of it)"), VaultException.Reason.SERVER_ERROR, path, status, null);
        }
        if (status >= 500 && ifCarriedOut != null) {
            throw outcomeUnknown(operation, path, status, "HTTP " + status, ifCarriedOut);
        }
        if (status >= 500 || status == 429) {
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " failed: HTTP " + status, VaultException.Reason.SERVER_ERROR, path, status, null);
        }
        byte[] bytes = response.body();
        JsonNode json = MissingNode.getInstance();
        if (bytes != null && bytes.length > 0) {
            try {
                json = JSON.readTree(bytes);
            } catch (IOException e) {
                json = MissingNode.getInstance();
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }
        return new Response(status, json == null ? MissingNode.getInstance() : json);
    }

    /**
     * Whether a send that failed surely never reached Vault: the connection was refused or not made in time, before a
     * byte of the request went out. Anything else (a request timeout, a connection cut or reset, a TLS failure, which
     * the JDK also reports for a kept-alive connection the server closed) may come after Vault carried it out.
     */
    private static boolean surelyNotSent(IOException e) {
        return e instanceof ConnectException || e instanceof HttpConnectTimeoutException;
    }

    private VaultUnavailableException outcomeUnknown(String operation, String path, int status, String what,
                                                     String ifCarriedOut) {
        return new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path + ": outcome"
            + " unknown (" + what + "). Vault may or may not have carried the request out, and it was not sent again,"
            + " since doing it twice is not harmless; if Vault did carry it out, " + ifCarriedOut,
            VaultException.Reason.OUTCOME_UNKNOWN, path, status, null);
    }

    /** An answer other than unavailability. The body may hold secrets: never log or format it. */
    public static final class Response {
        private final int status;
        private final JsonNode body;

        Response(int status, JsonNode body) {
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public JsonNode body() {
            return body;
        }

        /** Whether one of Vault's {@code errors} contains {@code text}; for telling causes apart, never shown. */
        public boolean errorMentions(String text) {
            for (JsonNode e : body.path("errors")) {
                if (e.asText("").contains(text)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "Response[" + status + "]";
        }
    }
}
