package io.millrace.ingest;

import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;

/** What ingest does with one line of a batch file: publish a request, or answer it with an error at once. */
public sealed interface LineOutcome {
    String requestId();

    record Accepted(RequestEvent request) implements LineOutcome {
        @Override
        public String requestId() {
            return request.requestId();
        }
    }

    record Rejected(ResultEvent error) implements LineOutcome {
        @Override
        public String requestId() {
            return error.requestId();
        }
    }
}
