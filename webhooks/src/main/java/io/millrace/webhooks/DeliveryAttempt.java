package io.millrace.webhooks;

import io.millrace.protocol.Json;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.events.WebhookEvent;
import io.millrace.protocol.webhooks.WebhookUrlGuard;
import java.io.IOException;
import java.net.Proxy;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * One HTTP POST of one event to one endpoint, Standard Webhooks style: the event object as body,
 * {@code webhook-id} (the event id, the same on every attempt), {@code webhook-timestamp} (now, so
 * a receiver's freshness check passes on a retry a day later), {@code webhook-signature} (every
 * live secret). Redirects are never followed (a 3xx is a failed attempt), no proxy is used.
 *
 * <p>The URL is checked by the guard at every attempt, where it counts: a host name is looked up
 * only by the guard, when the client connects ({@link GuardedDns}), and the client connects to the
 * addresses that passed; an address literal (which the client does not look up) is checked here.
 * A name that rebinds between the check and the connection has no second lookup to exploit.
 */
final class DeliveryAttempt {
    /** The attempt's answer: a status (with its {@code Retry-After}) or an error, and what it means. */
    record Result(Integer status, String error, AttemptOutcome outcome) {}

    private static final MediaType JSON = MediaType.get("application/json");
    /** Hosts OkHttp connects to without a lookup (its own test for an address literal). */
    private static final Pattern ADDRESS_LITERAL = Pattern.compile("\\[?([0-9a-fA-F]*:[0-9a-fA-F:.]*)\\]?|([\\d.]+)");
    /** Attempts in flight at once, all endpoints together: the polls of every partition and tier. */
    static final int MAX_IN_FLIGHT = 4096;

    private final OkHttpClient http;
    private final WebhookUrlGuard guard;
    private final Clock clock;

    DeliveryAttempt(WebhookUrlGuard guard, Duration timeout, Clock clock) {
        Dispatcher dispatcher = new Dispatcher();
        // OkHttp queues calls past 64 at once, and past 5 per host; a queued call's timeout has not
        // started. The dispatcher bounds what it starts itself, so the client queues nothing.
        dispatcher.setMaxRequests(MAX_IN_FLIGHT);
        dispatcher.setMaxRequestsPerHost(MAX_IN_FLIGHT);
        this.http = new OkHttpClient.Builder()
                .dns(new GuardedDns(guard))
                .proxy(Proxy.NO_PROXY)
                .followRedirects(false)
                .followSslRedirects(false)
                // One attempt is one POST: a failed connection is the attempt's failure, retried on the tiers.
                .retryOnConnectionFailure(false)
                .dispatcher(dispatcher)
                .connectTimeout(timeout)
                .readTimeout(timeout)
                .writeTimeout(timeout)
                .callTimeout(timeout)
                .build();
        this.guard = guard;
        this.clock = clock;
    }

    CompletableFuture<Result> send(WebhookEndpoint endpoint, WebhookEvent event) {
        Request request;
        try {
            URI uri = guard.checkForm(endpoint.url());
            if (ADDRESS_LITERAL.matcher(uri.getHost()).matches()) {
                guard.checkHost(uri.getHost());
            }
            byte[] body = Json.writeBytes(event.payload());
            Instant now = clock.instant();
            long ts = now.getEpochSecond();
            request = new Request.Builder().url(endpoint.url())
                    .header("user-agent", "Millrace-Webhooks/1")
                    .header(WebhookSigner.ID, event.id())
                    .header(WebhookSigner.TIMESTAMP, Long.toString(ts))
                    .header(WebhookSigner.SIGNATURE, WebhookSigner.header(endpoint.signingSecrets(now.toEpochMilli()), event.id(), ts,
                            body))
                    .post(RequestBody.create(body, JSON))
                    .build();
        } catch (WebhookUrlGuard.Refused e) {
            return CompletableFuture.completedFuture(refused(e.getMessage()));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new Result(null, "refused: " + e.getMessage(), AttemptOutcome.retry()));
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        Call call = http.newCall(request);
        call.enqueue(new Callback() {
            @Override
            public void onFailure(Call c, IOException e) {
                result.complete(e instanceof GuardedDns.Refused ? refused(e.getMessage())
                        : new Result(null, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                                AttemptOutcome.retry()));
            }

            @Override
            public void onResponse(Call c, Response r) {
                // The answer's body is not needed: closed unread, so a huge answer costs nothing.
                try (r) {
                    String retryAfter = r.header("retry-after");
                    result.complete(new Result(r.code(), null, AttemptOutcome.of(r.code(), retryAfter, clock.instant())));
                }
            }
        });
        return result;
    }

    private static Result refused(String message) {
        return new Result(null, "refused: " + message, AttemptOutcome.retry());
    }

    /** Stops the client's threads and closes its pooled connections. */
    void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
