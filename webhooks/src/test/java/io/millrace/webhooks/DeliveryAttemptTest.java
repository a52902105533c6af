package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.events.WebhookEvent;
import io.millrace.protocol.webhooks.WebhookUrlGuard;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery client resolves names only through the guard, once, when it connects: against a real
 * HTTP server on 127.0.0.1 (no test may reach any other address), with names of the reserved
 * {@code .test} domain that only the test's resolver knows, so a delivery that arrives proves that
 * the client used the guard's answer and no lookup of its own.
 */
class DeliveryAttemptTest {
    private HttpServer server;
    private final List<String> hosts = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", exchange -> {
            hosts.add(exchange.getRequestHeaders().getFirst("Host"));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private int port() {
        return server.getAddress().getPort();
    }

    /** A resolver that knows one name and answers, call by call, the addresses given (the last one after). */
    private static final class Rebinding implements WebhookUrlGuard.Resolver {
        final AtomicInteger calls = new AtomicInteger();
        final List<List<InetAddress>> answers;

        Rebinding(List<List<InetAddress>> answers) {
            this.answers = answers;
        }

        @Override
        public List<InetAddress> resolve(String host) throws UnknownHostException {
            if (!host.equals("hooks.rebind.test")) {
                throw new UnknownHostException(host);
            }
            int call = calls.getAndIncrement();
            return answers.get(Math.min(call, answers.size() - 1));
        }
    }

    private static InetAddress address(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // a literal: no lookup
    }

    private static WebhookEndpoint endpoint(String url) {
        return new WebhookEndpoint("whep_t", null, url, List.of("request.completed"), null,
                List.of(new WebhookEndpoint.Secret("whsec_" + Base64.getEncoder().encodeToString(new byte[32]), null)), 0, null, null);
    }

    private static WebhookEvent event() {
        return new WebhookEvent("evt_1", "request.completed", 1, null, Json.object().put("id", "r1"));
    }

    private static DeliveryAttempt.Result send(DeliveryAttempt a, String url) throws Exception {
        return a.send(endpoint(url), event()).get(30, TimeUnit.SECONDS);
    }

    @Test
    void aNameIsLookedUpOnceByTheGuardAndConnectedToAsItAnswered() throws Exception {
        Rebinding resolver = new Rebinding(List.of(List.of(address("127.0.0.1"))));
        DeliveryAttempt a = new DeliveryAttempt(new WebhookUrlGuard(true, resolver), Duration.ofSeconds(10), Clock.systemUTC());
        try {
            DeliveryAttempt.Result r = send(a, "http://hooks.rebind.test:" + port() + "/hook");
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(200);
            // The system resolver does not know the name: only the guard's answer could have reached the server.
            assertThat(resolver.calls.get()).isEqualTo(1);
            assertThat(hosts).containsExactly("hooks.rebind.test:" + port());
        } finally {
            a.close();
        }
    }

    @Test
    void aNameThatRebindsToLoopbackAfterItsCheckIsRefusedWhenConnecting() throws Exception {
        // Registration's check sees a public address; the delivery's lookup gets loopback (DNS rebinding).
        Rebinding resolver = new Rebinding(List.of(List.of(address("93.184.215.14")), List.of(address("127.0.0.1"))));
        WebhookUrlGuard guard = new WebhookUrlGuard(false, resolver);
        String url = "https://hooks.rebind.test:" + port() + "/hook";
        assertThat(guard.check(url)).containsExactly(address("93.184.215.14"));
        DeliveryAttempt a = new DeliveryAttempt(guard, Duration.ofSeconds(10), Clock.systemUTC());
        try {
            DeliveryAttempt.Result r = send(a, url);
            assertThat(r.status()).isNull();
            assertThat(r.error()).startsWith("refused: url's host 'hooks.rebind.test' resolves to 127.0.0.1, a loopback address");
            assertThat(r.outcome()).isEqualTo(AttemptOutcome.retry());
            assertThat(resolver.calls.get()).isEqualTo(2);
            assertThat(hosts).as("requests that reached the server").isEmpty();
        } finally {
            a.close();
        }
    }

    @Test
    void anAddressLiteralIsCheckedBeforeConnecting() throws Exception {
        // The client connects to a literal without asking its Dns: the attempt checks it first.
        DeliveryAttempt a = new DeliveryAttempt(new WebhookUrlGuard(false, WebhookUrlGuard.Resolver.SYSTEM), Duration.ofSeconds(10),
                Clock.systemUTC());
        try {
            DeliveryAttempt.Result r = send(a, "https://127.0.0.1:" + port() + "/hook");
            assertThat(r.error()).startsWith("refused: url's host '127.0.0.1' resolves to 127.0.0.1, a loopback address");
            assertThat(hosts).isEmpty();
        } finally {
            a.close();
        }
    }
}
