package io.millrace.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.InvalidInput;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RequestOutcome;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;

/**
 * Turns a captured row into the request event it stands for, or, when no request event can carry
 * it, into its error result. Only what would stop the row on its way to the router is judged
 * here (a body over the size or parser limits); everything a request may get wrong (a body that is
 * no request, an unknown model, a bad url) is the router's to answer, as for every entry point.
 * Nothing a row holds makes {@link #of} throw, so one row never stalls capture.
 */
public final class RowRequests {
    private RowRequests() {}

    /** @param now epoch milliseconds, the {@code completed_at} of an error result */
    public static RequestOutcome of(CapturedRow row, long now) {
        // Rows are work a client queued, not a person waiting: the batch lane, whether or not a batch id is set.
        RequestEvent request = new RequestEvent(row.id(), blankToNull(row.batchId()), row.customId(), null, "POST", row.url(),
                null, null, row.createdAt(), blankToNull(row.tenant()), null, RequestEvent.BATCH);
        String where = "row " + row.id() + " of millrace_requests";
        if (row.body() == null) {
            return reject(request, ErrorInfo.of(ErrorCodes.INVALID_BODY, where + " has no body: insert a chat or completion"
                    + " request as body").atParam("body"), now);
        }
        long bytes = row.body().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > InputLimits.MAX_LINE_BYTES) {
            return reject(request, new ErrorInfo(ErrorCodes.REQUEST_TOO_LARGE, where + " has a body of " + bytes
                    + " bytes, over the limit of " + InputLimits.MAX_LINE_BYTES + " bytes a request may have: shorten its messages",
                    "body", null), now);
        }
        JsonNode body;
        try {
            body = Json.readInput(row.body());
        } catch (InvalidInput e) {
            return reject(request, new ErrorInfo(e.code(), where + " has a body the parser refuses: " + e.problem(), "body", null), now);
        }
        RequestEvent event = new RequestEvent(request.requestId(), request.batchId(), request.customId(), null, "POST",
                request.url(), body, null, request.submittedAt(), request.tenant(), null, RequestEvent.BATCH);
        // Jackson may write the body longer than it came (1e6 as 1000000.0): measure the event itself.
        int eventBytes = Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), event).length;
        if (eventBytes > InputLimits.MAX_EVENT_BYTES) {
            return reject(request, new ErrorInfo(ErrorCodes.REQUEST_TOO_LARGE, where + " makes a request event of " + eventBytes
                    + " bytes, over the limit of " + InputLimits.MAX_EVENT_BYTES + ": shorten its messages", "body", null), now);
        }
        return new RequestOutcome.Accepted(event);
    }

    private static RequestOutcome reject(RequestEvent request, ErrorInfo error, long now) {
        return new RequestOutcome.Rejected(ResultEvent.failure(request, 400, error, now));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
