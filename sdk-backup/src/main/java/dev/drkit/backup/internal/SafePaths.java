package dev.drkit.backup.internal;

/**
 * The rule for entry paths inside a directory backup, checked when a manifest is written, when it is read and
 * for every tar entry extracted: relative, {@code /}-separated, no empty, {@code .} or {@code ..} component, no
 * NUL, at most {@value #MAX_LENGTH} characters. A path that passes can be resolved under a restore directory
 * without leaving it (as long as no component on the way is a symbolic link, which extraction checks separately).
 */
public final class SafePaths {

    /** The longest entry path (and symbolic link target) accepted, in characters: {@value}. */
    public static final int MAX_LENGTH = 4096;

    private SafePaths() {
    }

    /** {@code path} if it is safe; otherwise an {@link IllegalArgumentException} saying why. */
    public static String check(String path) {
        String problem = problem(path);
        if (problem != null) {
            throw new IllegalArgumentException("entry path " + problem + ": \"" + printable(path) + "\"");
        }
        return path;
    }

    /** Why {@code path} is not safe, or {@code null} if it is. */
    public static @org.jspecify.annotations.Nullable String problem(String path) {
        if (path.isEmpty()) {
            return "is empty";
        }
        if (path.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        if (path.indexOf('\0') >= 0) {
            return "holds a NUL character";
        }
        if (path.startsWith("/")) {
            return "is absolute";
        }
        for (String component : path.split("/", -1)) {
            if (component.isEmpty()) {
                return "has an empty component";
            }
            if (component.equals(".") || component.equals("..")) {
                return "has a '" + component + "' component";
            }
        }
        return null;
    }

    /** {@code text} shortened and with control characters replaced, for messages. */
    public static String printable(String text) {
        String shortened = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        StringBuilder out = new StringBuilder(shortened.length());
        for (int i = 0; i < shortened.length(); i++) {
            char c = shortened.charAt(i);
            out.append(Character.isISOControl(c) ? '?' : c);
        }
        return out.toString();
    }
}
