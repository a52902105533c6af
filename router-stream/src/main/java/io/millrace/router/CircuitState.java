package io.millrace.router;

/**
 * A model's circuit at one moment, as {@link CircuitBreaker#status} reads it from its health.
 *
 * @param state  closed (routed to), open (skipped: its chain is tried), half-open (probes only)
 * @param reason why, in words that go into {@code route.reason} and error messages, e.g.
 *               {@code no live worker for 12s}
 */
record CircuitState(State state, String reason) {
    enum State { CLOSED, OPEN, HALF_OPEN }

    static final CircuitState CLOSED = new CircuitState(State.CLOSED, "closed");

    boolean open() {
        return state == State.OPEN;
    }

    /** How a message names this state: {@code circuit open (no live worker for 12s)}. */
    String describe() {
        return "circuit " + switch (state) {
            case CLOSED -> "closed";
            case OPEN -> "open";
            case HALF_OPEN -> "half-open";
        } + " (" + reason + ")";
    }
}
