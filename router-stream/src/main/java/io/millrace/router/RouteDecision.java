package io.millrace.router;

import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;

/**
 * What happens to one record of {@code millrace.requests}, decided without state by
 * {@link RoutePolicy}. The dedup check sits between deciding and emitting: a decision whose
 * {@link #requestId()} was already answered within the retention is dropped whatever it is.
 */
sealed interface RouteDecision {

    /** The id the decision answers for, which the dedup store remembers; null when there is none. */
    String requestId();

    /** Valid: send {@code event} (its model set) to the model's generation topic, keyed by its conversation. */
    record Route(String requestId, RequestEvent event) implements RouteDecision {
        /** The generation-topic key: see {@link ConversationKey}. */
        String generationKey() {
            return ConversationKey.of(event);
        }
    }

    /** Rejected: write {@code result} (an error) to {@code millrace.results}, keyed by request id. */
    record Reject(String requestId, ResultEvent result) implements RouteDecision {}

    /** No id to answer under: forward the raw record to {@code millrace.requests-dlt}. */
    record DeadLetter(String reason) implements RouteDecision {
        @Override
        public String requestId() {
            return null;
        }
    }
}
