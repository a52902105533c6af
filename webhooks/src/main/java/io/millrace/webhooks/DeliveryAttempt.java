package io.millrace.webhooks;

import io.millrace.protocol.Json;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.events.WebhookEvent;
import io.millrace.protocol.webhooks.WebhookUrlGuard;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One HTTP POST of one event to one endpoint, Standard Webhooks style: the event object as body,
 * {@code webhook-id} (the event id, the same on every attempt), {@code webhook-timestamp} (now, so
 * a receiver's freshness check passes on a retry a day later), {@code webhook-signature} (every
 * live secret). The URL is checked by the guard first, every time (what a name resolves to can
 * change since registration); redirects are never followed (a 3xx is a failed attempt).
 */
final class DeliveryAttempt {
    /** The attempt's answer: a status (with its {@code Retry-After}) or an error, and what it means. */
    record Result(Integer status, String error, AttemptOutcome outcome) {}

    private final HttpClient http;
    private final WebhookUrlGuard guard;
    private final Duration timeout;
    private final Clock clock;

    DeliveryAttempt(WebhookUrlGuard guard, Duration timeout, Clock clock) {
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
        this.guard = guard;
        this.timeout = timeout;
        this.clock = clock;
    }

    CompletableFuture<Result> send(WebhookEndpoint endpoint, WebhookEvent event) {
        try {
            guard.check(endpoint.url());
        } catch (WebhookUrlGuard.Refused e) {
            return CompletableFuture.completedFuture(new Result(null, "refused: " + e.getMessage(), AttemptOutcome.retry()));
        }
        byte[] body = Json.writeBytes(event.payload());
        Instant now = clock.instant();
        long ts = now.getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint.url()))
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("user-agent", "Millrace-Webhooks/1")
                .header(WebhookSigner.ID, event.id())
                .header(WebhookSigner.TIMESTAMP, Long.toString(ts))
                .header(WebhookSigner.SIGNATURE, WebhookSigner.header(endpoint.signingSecrets(now.toEpochMilli()), event.id(), ts, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        // The answer's body is not needed: discarded as it streams, so a huge answer costs nothing.
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((r, e) -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                return new Result(null, cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()),
                        AttemptOutcome.retry());
            }
            String retryAfter = r.headers().firstValue("retry-after").orElse(null);
            return new Result(r.statusCode(), null, AttemptOutcome.of(r.statusCode(), retryAfter, clock.instant()));
        });
    }
}
