package io.millrace.remote;

/**
 * A remote server's API key, read from the environment at start. Its {@link #toString} never shows
 * it, so a key that slips into a log line or an exception message prints as {@code ***}; only
 * {@link #reveal} (for the {@code Authorization} header) and {@link #redact} see it.
 */
public final class ApiKey {
    static final ApiKey NONE = new ApiKey(null);
    private final String secret;

    ApiKey(String secret) {
        this.secret = secret;
    }

    boolean present() {
        return secret != null;
    }

    String reveal() {
        return secret;
    }

    /** {@code text} with every occurrence of the key replaced: a provider may echo it in an error message. */
    String redact(String text) {
        return secret == null || text == null ? text : text.replace(secret, "***");
    }

    @Override
    public String toString() {
        return secret == null ? "(none)" : "***";
    }
}
