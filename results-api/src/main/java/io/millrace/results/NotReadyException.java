package io.millrace.results;

/**
 * A store cannot be read right now: the service is starting, restoring state or rebalancing.
 * Transient by definition, so callers retry (the HTTP layer answers 503 with Retry-After).
 */
public final class NotReadyException extends RuntimeException {
    public NotReadyException(String message, Throwable cause) {
        super(message, cause);
    }
}
