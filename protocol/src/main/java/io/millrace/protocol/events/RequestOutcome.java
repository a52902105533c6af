package io.millrace.protocol.events;

/**
 * What an entry point does with one input it admits (a batch file's line, a captured row): publish the request, or
 * answer it at once with an error result where it cannot even travel as a request.
 */
public sealed interface RequestOutcome {
    String requestId();

    record Accepted(RequestEvent request) implements RequestOutcome {
        @Override
        public String requestId() {
            return request.requestId();
        }
    }

    record Rejected(ResultEvent error) implements RequestOutcome {
        @Override
        public String requestId() {
            return error.requestId();
        }
    }
}
