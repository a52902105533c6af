package io.millrace.cdc;

/** The database cannot serve capture or write-back; the message says what to set or run. */
public final class DatabaseNotReady extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatabaseNotReady(String message) {
        super(message);
    }

    public DatabaseNotReady(String message, Throwable cause) {
        super(message, cause);
    }
}
