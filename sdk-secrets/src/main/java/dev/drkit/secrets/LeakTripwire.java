package dev.drkit.secrets;

import dev.drkit.core.secret.Secret;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A matcher of every secret value drkit holds, to catch one where it must never be: a log line, an exception
 * message, a {@code toString()}. Each value is registered in the forms it is most likely to leak in: as it is,
 * Base64 (standard and URL-safe, with and without padding) and URL-encoded. A log filter or a test asks
 * {@link #findIn(CharSequence)} and gets the secret's label (never its value) back, or {@link #redact(String)}s.
 *
 * <p>Values shorter than {@value #MIN_LENGTH} characters are not registered (they would match ordinary text);
 * at most {@value #MAX_VALUES} values are kept, the one registered longest ago forgotten first (a value registered
 * again counts as new: it is still in use). Base64 of a value is found only where
 * it starts on a Base64 block boundary (as when the value is encoded on its own, as in HTTP Basic auth).
 *
 * <p>The tripwire necessarily holds the values it looks for, as strings; it lives in the same process as the
 * secrets themselves, and never hands them out. Thread-safe.
 *
 * <pre>{@code
 * LeakTripwire.global().findIn(line).ifPresent(label -> alarm("log line carries " + label));
 * }</pre>
 *
 * @since 0.1
 */
public final class LeakTripwire {

    /** The shortest value registered: {@value}. */
    public static final int MIN_LENGTH = 6;
    /** The most values kept: {@value}. */
    public static final int MAX_VALUES = 4096;

    private static final LeakTripwire GLOBAL = new LeakTripwire();

    private final Deque<Entry> entries = new ArrayDeque<>();
    private volatile Entry[] snapshot = new Entry[0];

    private LeakTripwire() {
    }

    /**
     * The tripwire every {@link VaultClient} registers with unless configured otherwise.
     *
     * @since 0.1
     */
    public static LeakTripwire global() {
        return GLOBAL;
    }

    /**
     * A new, empty tripwire.
     *
     * @since 0.1
     */
    public static LeakTripwire create() {
        return new LeakTripwire();
    }

    /**
     * Registers {@code secret}'s value under its label. Closed secrets and short values are skipped.
     *
     * @since 0.1
     */
    public void register(Secret secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.isClosed()) {
            return;
        }
        byte[] bytes;
        try {
            bytes = secret.revealBytes();
        } catch (IllegalStateException closedMeanwhile) {
            return;
        }
        try {
            register(bytes, secret.label());
        } finally {
            java.util.Arrays.fill(bytes, (byte) 0);
        }
    }

    private void register(byte[] value, String label) {
        String raw = new String(value, StandardCharsets.UTF_8);
        if (raw.length() < MIN_LENGTH) {
            return;
        }
        Set<String> forms = new LinkedHashSet<>();
        forms.add(raw);
        String b64 = Base64.getEncoder().encodeToString(value);
        forms.add(b64);
        forms.add(stripPadding(b64));
        String url64 = Base64.getUrlEncoder().encodeToString(value);
        forms.add(url64);
        forms.add(stripPadding(url64));
        forms.add(URLEncoder.encode(raw, StandardCharsets.UTF_8));
        forms.add(URLEncoder.encode(raw, StandardCharsets.UTF_8).replace("+", "%20"));
        Entry entry = new Entry(label, forms.toArray(new String[0]));
        synchronized (entries) {
            // A value registered again (a role ID read at each login, a KV value fetched again) is still in use: it
            // moves to the newest end, so the values evicted past MAX_VALUES are those not seen for longest.
            for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
                if (it.next().forms[0].equals(raw)) {
                    it.remove();
                    break;
                }
            }
            entries.addLast(entry);
            while (entries.size() > MAX_VALUES) {
                entries.removeFirst();
            }
            snapshot = entries.toArray(new Entry[0]);
        }
    }

    /**
     * The label of a registered secret whose value (in any registered form) occurs in {@code text}.
     *
     * @since 0.1
     */
    public Optional<String> findIn(CharSequence text) {
        Objects.requireNonNull(text, "text");
        String s = text.toString();
        for (Entry e : snapshot) {
            for (String form : e.forms) {
                if (s.contains(form)) {
                    return Optional.of(e.label);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The labels of every registered secret found in {@code text}.
     *
     * @since 0.1
     */
    public List<String> findAllIn(CharSequence text) {
        String s = text.toString();
        List<String> found = new ArrayList<>();
        for (Entry e : snapshot) {
            for (String form : e.forms) {
                if (s.contains(form)) {
                    found.add(e.label);
                    break;
                }
            }
        }
        return found;
    }

    /**
     * {@code text} with every registered value (in any form) replaced by {@code [redacted:label]}.
     *
     * @since 0.1
     */
    public String redact(String text) {
        Objects.requireNonNull(text, "text");
        String out = text;
        for (Entry e : snapshot) {
            for (String form : e.forms) {
                if (out.contains(form)) {
                    out = out.replace(form, "[redacted:" + e.label + "]");
                }
            }
        }
        return out;
    }

    /**
     * How many values are registered.
     *
     * @since 0.1
     */
    public int size() {
        return snapshot.length;
    }

    @Override
    public String toString() {
        return "LeakTripwire[" + size() + " values]";
    }

    private static String stripPadding(String b64) {
        int end = b64.length();
        while (end > 0 && b64.charAt(end - 1) == '=') {
            end--;
        }
        return b64.substring(0, end);
    }

    private static final class Entry {
        final String label;
        final String[] forms;

        Entry(String label, String[] forms) {
            this.label = label;
            this.forms = forms;
        }
    }
}
