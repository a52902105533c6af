package io.millrace.router;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.SubmittedAt;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.Optional;

/**
 * Decides what happens to one record of {@code millrace.requests}, from its key and raw value
 * alone. Pure and stateless, so every rule is tested without Kafka; deduplication is applied by
 * the caller to the decision's request id.
 *
 * <p>The rules, in order:
 * <ol>
 *   <li>value not a JSON request event: answer {@code invalid_json} (or {@code request_too_large}
 *       for a value over {@link InputLimits}) under the key, or dead-letter the record when it has
 *       no usable key (none, blank, or over {@link InputLimits#MAX_ID_CHARS}: nobody to answer);
 *   <li>request_id missing or not equal to the key: answer {@code invalid_request_id} under the
 *       key (else the request_id), or dead-letter when neither is usable;
 *   <li>request invalid by {@link ChatRequestValidator}: answer its error;
 *   <li>routed event over {@link InputLimits#MAX_EVENT_BYTES}: answer {@code request_too_large};
 *   <li>otherwise route it to the model {@link RouteChooser} picks (a budget plan's, auto's, an
 *       alias's served model, or the one named), with {@code model} and {@code route} set and
 *       {@code submitted_at} stamped with the arrival time when the producer gave none that is
 *       plausible ({@link SubmittedAt}); a request that does not fit its planned model is answered
 *       with the validator's error.
 * </ol>
 */
final class RoutePolicy {
    static final int BAD_REQUEST = 400;
    private static final int MAX_QUOTED = 120;

    private final ChatRequestValidator validator;
    private final RouteChooser chooser;

    /** A policy that routes {@code auto} (when the catalog accepts it) by the seed's rule alone. */
    RoutePolicy(ModelCatalog catalog) {
        this(catalog, AutoRouter.RULE_ONLY);
    }

    RoutePolicy(ModelCatalog catalog, AutoRouter auto) {
        this.validator = new ChatRequestValidator(catalog);
        this.chooser = new RouteChooser(catalog, validator, auto);
    }

    /**
     * @param key   the record key, which must equal the request id
     * @param value the record value, expected to be a JSON request event
     * @param now   epoch milliseconds, the {@code completed_at} of error results
     */
    RouteDecision decide(String key, byte[] value, long now) {
        return decide(key, value, now, now);
    }

    /** @param recordTimestamp the record's timestamp, the arrival time stamped on a request without one */
    RouteDecision decide(String key, byte[] value, long now, long recordTimestamp) {
        RequestDecoder.Decoded decoded = RequestDecoder.decode(value);
        if (decoded instanceof RequestDecoder.Decoded.Invalid invalid) {
            if (!usable(key)) {
                return new RouteDecision.DeadLetter("value is not a request event (" + invalid.problem()
                        + ") and the record has " + noKey(key));
            }
            ErrorInfo error = ErrorInfo.of(invalid.code(), "record value is not a valid request event: "
                    + invalid.problem() + "; the value must be a JSON request event as in the README \"Topic contract\"");
            return new RouteDecision.Reject(key, new ResultEvent(key, null, null, null, null, BAD_REQUEST, null,
                    error, false, now, null));
        }
        RequestEvent event = ((RequestDecoder.Decoded.Event) decoded).event();
        String requestId = event.requestId();
        if (!usable(requestId) || !requestId.equals(key)) {
            if (!usable(requestId) && !usable(key)) {
                return new RouteDecision.DeadLetter("request_id is " + (requestId == null ? "missing" : "unusable")
                        + " and the record has " + noKey(key));
            }
            // Answer under the key when there is one: the dedup entry and the partition are the key's, so
            // a later, correct event for request_id still gets its own (single) result.
            String answerId = usable(key) ? key : requestId;
            ErrorInfo error = new ErrorInfo(ErrorCodes.INVALID_REQUEST_ID, keyMismatch(key, requestId), "request_id", null);
            return reject(answeredAs(event, answerId), error, now);
        }
        Optional<ErrorInfo> problem = validator.validate(event);
        if (problem.isPresent()) {
            return reject(event, problem.get(), now);
        }
        RouteChooser.Choice choice = chooser.choose(event);
        if (choice.problem() != null) {
            return reject(event, choice.problem(), now);
        }
        RequestEvent routed = event.withRoute(choice.route())
                .withSubmittedAt(SubmittedAt.orArrival(event.submittedAt(), recordTimestamp, now));
        // Jackson writes the body again, possibly longer than it came (1e6 becomes 1000000.0); a
        // routed event too large for its topic would fail the router's transaction, so measure it.
        // Only values near the limit can grow past it: numbers grow at most threefold.
        if (value.length > InputLimits.MAX_EVENT_BYTES / 4) {
            int size = Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), routed).length;
            if (size > InputLimits.MAX_EVENT_BYTES) {
                return reject(event, new ErrorInfo(ErrorCodes.REQUEST_TOO_LARGE, "the routed request event is " + size
                        + " bytes, over the limit of " + InputLimits.MAX_EVENT_BYTES + ": shorten its messages", "body", null), now);
            }
        }
        return new RouteDecision.Route(requestId, routed);
    }

    private static String noKey(String key) {
        if (key == null || key.isBlank()) {
            return "no key to answer under";
        }
        return "a key of " + key.length() + " characters, too long to answer under (the limit is " + InputLimits.MAX_ID_CHARS + ")";
    }

    private static RouteDecision reject(RequestEvent event, ErrorInfo error, long now) {
        // model stays null on errors: the result's model names the model that generated it, and none did.
        // Ids over the limit are left out of the answer, which must stay small enough to be written.
        RequestEvent e = event.withModel(null);
        if (!fits(e.customId()) || !fits(e.batchId())) {
            e = new RequestEvent(e.requestId(), fits(e.batchId()) ? e.batchId() : null, fits(e.customId()) ? e.customId() : null,
                    e.line(), e.method(), e.url(), e.body(), null, e.submittedAt(), e.tenant(), null, e.priority());
        }
        return new RouteDecision.Reject(event.requestId(), ResultEvent.failure(e, BAD_REQUEST, error, now));
    }

    private static boolean fits(String id) {
        return id == null || id.length() <= InputLimits.MAX_ID_CHARS;
    }

    private static String keyMismatch(String key, String requestId) {
        String rule = "record key must equal request_id, so that every event of a request lands on one partition";
        if (!usable(requestId)) {
            return rule + ", but request_id is " + (requestId == null || requestId.isBlank() ? "missing"
                    : "over the limit of " + InputLimits.MAX_ID_CHARS + " characters") + ": set request_id to the record key " + quote(key);
        }
        if (!usable(key)) {
            return rule + ", but the record has no key: produce it with key " + quote(requestId);
        }
        return rule + ", but the key is " + quote(key) + " and request_id is " + quote(requestId)
                + ": produce it with key " + quote(requestId);
    }

    private static RequestEvent answeredAs(RequestEvent e, String requestId) {
        return new RequestEvent(requestId, e.batchId(), e.customId(), e.line(), e.method(), e.url(), e.body(),
                e.model(), e.submittedAt(), e.tenant(), e.route(), e.priority());
    }

    /** An id a result can be written under: present, and small enough for a key and the dedup store. */
    private static boolean usable(String id) {
        return id != null && !id.isBlank() && id.length() <= InputLimits.MAX_ID_CHARS;
    }

    /** Ids come from any producer: bound what an error message repeats of them. */
    private static String quote(String s) {
        return "'" + (s.length() <= MAX_QUOTED ? s : s.substring(0, MAX_QUOTED) + "...") + "'";
    }
}
