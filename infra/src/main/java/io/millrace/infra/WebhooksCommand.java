package io.millrace.infra;

import io.millrace.results.webhooks.DeadLetterReplay;
import io.millrace.results.webhooks.WebhooksApi;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.kafka.clients.producer.Producer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace webhooks replay --endpoint ID [--since TIME]}: re-delivers an endpoint's
 * dead-lettered events, as {@code POST /v1/webhooks/{id}/replay} does (the same
 * {@link DeadLetterReplay}). An operator's command: it acts on any tenant's endpoint.
 */
@Command(name = "webhooks", description = "Operate webhook deliveries.")
final class WebhooksCommand {
    private final PrintStream out;
    private final Map<String, String> env;
    private final Clock clock;

    WebhooksCommand(PrintStream out, Map<String, String> env, Clock clock) {
        this.out = out;
        this.env = env;
        this.clock = clock;
    }

    @Command(name = "replay", description = {"Deliver an endpoint's dead-lettered events again.",
            "Each event keeps its id (webhook-id), so a receiver that got it after all drops the copy."})
    int replay(@Mixin ClusterOptions cluster,
            @Option(names = "--endpoint", required = true, paramLabel = "ID", description = "the endpoint id (whep_...)") String endpoint,
            @Option(names = "--since", paramLabel = "TIME",
                    description = "only events dead-lettered at or after TIME: ISO-8601 (2026-01-31T12:00:00Z) or Unix seconds;"
                            + " default: all the dead-letter topic keeps (30 days)") String since) throws IOException {
        if (!endpoint.matches("whep_[0-9a-f]{1,64}")) {
            throw new UsageException("--endpoint " + endpoint + ": an endpoint id is whep_ and hex digits, as POST /v1/webhooks answered");
        }
        long sinceMillis = since == null ? 0 : parseTime(since);
        try (Deployment d = Deployment.client(cluster.settings(env));
                Producer<String, byte[]> producer = WebhooksApi.producer(d.bootstrapServers())) {
            int n = DeadLetterReplay.replay(d.bootstrapServers(), producer, endpoint, sinceMillis, clock.millis());
            out.println("replayed " + n + " dead-lettered event" + (n == 1 ? "" : "s") + " to " + endpoint);
        }
        return 0;
    }

    static long parseTime(String text) {
        String t = text.trim();
        if (t.matches("[0-9]{1,12}")) {
            return Long.parseLong(t) * 1000;
        }
        try {
            return Instant.parse(t).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new UsageException("--since " + text + ": write an ISO-8601 instant such as 2026-01-31T12:00:00Z, or Unix seconds");
        }
    }
}
