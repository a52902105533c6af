package io.millrace.worker;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which failed generations are tried again, and after how long: one delay per tier, each with its
 * own retry topic ({@link Topics#retry}); after the last tier the request goes to the model's
 * dead-letter topic and is answered with a final error.
 *
 * <p>Retriable: a failure of the generation itself ({@code generation_failed} or
 * {@code internal_error} with a 5xx status): an engine error on one request, an ONNX Runtime
 * hiccup, a completion that could not be written up. Such a failure may not recur on another try
 * or another worker. Not retriable, answered at once: anything the request itself causes (4xx:
 * invalid body or parameter, context too long, model not served), cancellations (499), and a
 * result too large to publish, which would be as large again. A broken engine is neither: the
 * worker stops and the partition's next owner consumes the request again ({@link WorkerErrors}).
 *
 * @param delays one per tier, strictly increasing (each names its topic, so two equal delays would
 *               share one); empty: no retries, failures answered at once as before
 */
public record RetrySchedule(List<Duration> delays) {
    public static final String DELAYS = "worker.retry.delays";
    /** More tiers than this is a typo, not a policy: each tier is a topic per model. */
    static final int MAX_TIERS = 10;
    /** Records wait on a topic kept 7 days; a day leaves room to spare. */
    static final Duration MAX_DELAY = Duration.ofDays(1);
    private static final Pattern DURATION = Pattern.compile("([0-9]+)\\s*(ms|s|m|h)?");

    public RetrySchedule {
        delays = List.copyOf(delays);
        if (delays.size() > MAX_TIERS) {
            throw new IllegalArgumentException(DELAYS + " has " + delays.size() + " tiers: at most " + MAX_TIERS);
        }
        for (int i = 0; i < delays.size(); i++) {
            Duration d = delays.get(i);
            if (d.toMillis() < 1 || d.compareTo(MAX_DELAY) > 0) {
                throw new IllegalArgumentException(DELAYS + ": tier " + (i + 1) + " is " + d.toMillis()
                        + " ms: each delay must be from 1ms to 24h");
            }
            if (i > 0 && d.compareTo(delays.get(i - 1)) <= 0) {
                throw new IllegalArgumentException(DELAYS + ": tier " + (i + 1) + " (" + d.toMillis() + " ms) is not longer"
                        + " than tier " + i + " (" + delays.get(i - 1).toMillis() + " ms): list the delays in increasing order");
            }
        }
    }

    /** The default tiers, {@link Topics#DEFAULT_RETRY_DELAYS_MS}, then {@code worker.retry.delays} if set. */
    public static RetrySchedule from(Map<String, Object> overrides) {
        Object v = overrides.get(DELAYS);
        if (v == null) {
            return new RetrySchedule(Topics.DEFAULT_RETRY_DELAYS_MS.stream().map(Duration::ofMillis).toList());
        }
        String text = v.toString().trim();
        if (text.isEmpty() || text.equalsIgnoreCase("none")) {
            return none();
        }
        List<Duration> delays = new ArrayList<>();
        for (String part : text.split(",")) {
            Matcher m = DURATION.matcher(part.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException(DELAYS + " is '" + v + "': '" + part.trim() + "' is not a delay; write e.g."
                        + " 1s,10s,60s (units ms, s, m, h; a bare number is ms), or none for no retries");
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            delays.add(switch (unit) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofMillis(n);
            });
        }
        return new RetrySchedule(delays);
    }

    /** No retries: every failure is answered at once. */
    public static RetrySchedule none() {
        return new RetrySchedule(List.of());
    }

    public List<Long> delaysMs() {
        return delays.stream().map(Duration::toMillis).toList();
    }

    /** Whether this result is a failure worth another try (see the class comment). */
    static boolean retriable(ResultEvent r) {
        return r.error() != null && r.statusCode() >= 500
                && (ErrorCodes.GENERATION_FAILED.equals(r.error().code()) || ErrorCodes.INTERNAL_ERROR.equals(r.error().code()));
    }

    /**
     * Whether this result is a remote model's server refusing Millrace's own key (a 502
     * {@code remote_rejected}): not worth another try, but a failure of the model, not the request.
     */
    static boolean refusedByProvider(ResultEvent r) {
        return r.error() != null && r.statusCode() == 502 && ErrorCodes.REMOTE_REJECTED.equals(r.error().code());
    }

    /**
     * The delay of the tier a request goes to after its {@code failures}-th failed generation, or
     * empty when the tiers are spent (or there are none): then it goes to the dead-letter topic.
     */
    Optional<Duration> afterFailure(int failures) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1, not " + failures);
        }
        return failures <= delays.size() ? Optional.of(delays.get(failures - 1)) : Optional.empty();
    }

    /** The retry topics of a model, in tier order. */
    List<String> topics(String model) {
        return delays.stream().map(d -> Topics.retry(model, d.toMillis()).name()).toList();
    }
}
