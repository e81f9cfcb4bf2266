package dev.drkit.core.internal;

/**
 * Makes untrusted or user-supplied text safe to put on one line of a terminal, a log or a label.
 * Internal: no compatibility guarantees.
 */
public final class Text {

    private Text() {
    }

    /**
     * {@code text} with every control character (newlines, escape sequences' ESC, DEL, ...) replaced by
     * {@code '?'} and cut to {@code maxLength} characters, ending in {@code "..."} when cut.
     */
    public static String oneLine(String text, int maxLength) {
        Checks.positive(maxLength, "maxLength");
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxLength));
        for (int i = 0; i < text.length() && out.length() < maxLength; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? '?' : c);
        }
        if (text.length() > maxLength && maxLength > 3) {
            out.setLength(maxLength - 3);
            if (Character.isHighSurrogate(out.charAt(out.length() - 1))) {
                // never leave half of a surrogate pair behind
                out.setLength(out.length() - 1);
            }
            out.append("...");
        }
        return out.toString();
    }
}
