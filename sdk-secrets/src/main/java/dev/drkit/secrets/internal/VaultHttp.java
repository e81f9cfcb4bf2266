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
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Vault's HTTP API over the JDK's {@link HttpClient}, every call through sdk-core's {@link Resilience}.
 *
 * <p>Only unavailability is thrown inside the resilience policies (so only it is retried and counted by the
 * circuit breaker): no connection, a timeout, 5xx, 429. Every other answer, 4xx included, comes back as a
 * {@link Response} for the caller to judge, so a 403 is never retried and never opens the breaker. Messages
 * carry the client name, the operation, the path and the status; never a token, a body or a value.
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
            .retryOn(failure -> failure instanceof VaultUnavailableException && theirs.test(failure))
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
     * Calls Vault.
     *
     * @param operation what is being done, for messages ("login", "read")
     * @throws VaultUnavailableException if Vault could not answer, after the policies gave up
     * @throws VaultAuthException         ({@code MALFORMED_TOKEN}) if {@code token} cannot be sent in a header
     */
    public Response call(String operation, String method, String path, @Nullable Secret token, byte @Nullable [] body) {
        try {
            if (token != null) {
                checkToken(operation, path, token);
            }
            return resilience.execute(() -> once(operation, method, path, token, body));
        } catch (VaultUnavailableException e) {
            stats.failures.increment();
            throw e;
        } catch (VaultAuthException e) {
            // A malformed token is no outage: retrying it or calling it unavailable would hide the cause.
            throw e;
        } catch (RuntimeException e) {
            stats.failures.increment();
            // The circuit breaker is open, the retry budget or the deadline ran out, or the bulkhead is full.
            Throwable cause = e.getCause();
            VaultException.Reason reason = VaultException.Reason.CIRCUIT_OPEN;
            if (cause instanceof VaultUnavailableException) {
                reason = ((VaultUnavailableException) cause).reason();
            }
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " stopped by the resilience policies (" + e.getClass().getSimpleName() + ")", reason, path, 0, e);
        } finally {
            if (body != null) {
                Arrays.fill(body, (byte) 0);
            }
        }
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

    private Response once(String operation, String method, String path, @Nullable Secret token, byte @Nullable [] body) {
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
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " failed: Vault unreachable (" + e.getClass().getSimpleName() + ")",
                VaultException.Reason.UNREACHABLE, path, 0, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " interrupted", VaultException.Reason.UNREACHABLE, path, 0, null);
        }
        int status = response.statusCode();
        if (status == 503) {
            throw new VaultUnavailableException("Vault client '" + name + "': " + operation + " " + path
                + " failed: Vault is sealed or on standby (HTTP 503)", VaultException.Reason.SEALED, path, status, null);
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
