package io.millrace.results;

import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topics;
import io.millrace.protocol.webhooks.WebhookUrlGuard;
import io.millrace.results.files.FilesApi;
import io.millrace.results.webhooks.WebhooksApi;
import io.millrace.streams.StreamsSettings;
import io.millrace.streams.StreamsStage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The results stage: materializes {@code millrace.results} and {@code millrace.batches}
 * ({@link ResultsTopology}) and serves them over HTTP ({@link ResultsHttpServer}).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Results are read-only.</b> Writes no result, so running, stopping or resetting it never
 *       changes results. It writes batch events (creation, cancel, expiry, and the output files'
 *       ids once {@link BatchFinalizer} stored them), files and requests.</li>
 *   <li><b>Committed results only.</b> Runs with {@code exactly_once_v2}, so it reads with
 *       {@code read_committed}: a result from an aborted or open transaction is never served.</li>
 *   <li><b>Exact counts.</b> Store updates commit atomically with input offsets, so a crash or a
 *       restart neither loses nor double counts a result, and a result re-published for the same
 *       request id replaces the earlier one in the counts.</li>
 *   <li><b>Eventually consistent across stores.</b> Counts are updated after a repartition, so a
 *       result can be readable shortly (about one commit interval) before its batch counts it.</li>
 *   <li><b>Reads its own writes.</b> A batch created or cancelled through this instance is
 *       answered as written at once, before the stores have read the event back
 *       ({@link ReadYourWritesView}); files are (the file index syncs after each write).</li>
 *   <li><b>No partial answers.</b> While a store is starting, restoring or rebalancing, reads
 *       fail with {@link NotReadyException} (HTTP 503, Retry-After: 1) instead of a false 404.</li>
 *   <li><b>One instance.</b> Each instance answers from its own stores only; run one per
 *       application id, or a key hosted by another instance reads as not found.</li>
 * </ul>
 *
 * <p>Fault tolerance is owned by Kafka Streams: stores are restored from their changelogs, failed
 * stream threads are replaced or the client shut down as
 * {@link io.millrace.streams.StreamThreadFailurePolicy} says; a client shut down (ERROR) turns
 * reads and {@code GET /health} to 503. The caller owns the process: restart it when
 * {@code GET /health} answers 503.
 */
public final class ResultsApiService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResultsApiService.class);
    public static final String APPLICATION_ID = "millrace-results-api";
    /** How long {@code POST /v1/chat/completions} waits for its result by default, as OpenAI's SDKs allow for a slow answer. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration HTTP_GRACE = Duration.ofSeconds(1);
    /** How often finished and expired batches are looked for: the delay between a last result and "completed". */
    private static final Duration FINALIZER_TICK = Duration.ofMillis(500);
    // A record that does not parse would fail every replacement thread and every restart (its
    // offset never commits), stopping the whole view for one record. This stage answers nobody,
    // so skipping it (logged) only hides that record from the view.
    private static final StreamsSettings SETTINGS = new StreamsSettings(APPLICATION_ID, Map.of(
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class));

    private final StreamsStage stage;
    private final StreamsResultsView view;
    private final CancelPublisher cancels;
    private final int requestedPort;
    private final ModelCatalog models;
    private final String bootstrapServers;
    private final Duration requestTimeout;
    private final boolean requireKeys;
    private final Map<String, Path> modelDirs;
    private TokenizerApi tokenizers;
    private RequestSubmitter submitter;
    private KeyRing keys;
    private DeltaFollower streamDeltas;
    private ResultFollower follower;
    private FilesApi files;
    private BatchFinalizer finalizer;
    private final Duration batchWindow;
    private final ApiSettings settings;
    private WebhooksApi webhooks;
    private ResultsHttpServer http;
    private boolean started;
    private boolean closed;

    /**
     * @param stateDir  where the stores live; keep it across restarts to avoid a full restore
     * @param httpPort  0 for any free port (see {@link #httpPort()})
     * @param overrides Kafka Streams settings that replace the defaults of {@link #streamsConfig}
     */
    public ResultsApiService(String bootstrapServers, Path stateDir, int httpPort, Map<String, Object> overrides) {
        this(bootstrapServers, stateDir, new ApiSettings(httpPort, ModelCatalog.of(), DEFAULT_REQUEST_TIMEOUT, false), overrides);
    }

    /**
     * How the HTTP API serves.
     *
     * @param httpPort       0 for any free port (see {@link #httpPort()})
     * @param models         the served models, listed by {@code GET /v1/models} and checked by
     *                       {@code POST /v1/chat/completions}
     * @param requestTimeout how long a synchronous request waits for its result before a 504
     * @param requireKeys    every {@code /v1} request needs an API key from {@code millrace.api-keys};
     *                       false only for local development ({@code --auth none})
     * @param modelDirs      the served models' directories (the workers' own) by served name, whose
     *                       tokenizers the tokenizer endpoints run; empty: those endpoints are not served
     * @param batchWindow    how long a batch created over HTTP has before it expires: OpenAI's 24 h
     *                       (the only {@code completion_window} accepted); shorter only for tests
     * @param webhookGuard   checks webhook URLs at registration ({@code webhooks.allow.private})
     * @param webhookRotationGrace how long a rotated-out webhook secret keeps signing
     */
    public record ApiSettings(int httpPort, ModelCatalog models, Duration requestTimeout, boolean requireKeys,
            Map<String, Path> modelDirs, Duration batchWindow, WebhookUrlGuard webhookGuard, Duration webhookRotationGrace) {
        public static final Duration BATCH_WINDOW = Duration.ofHours(24);

        /**
         * Settings with the webhook guard on (https and public addresses only) and a day of
         * rotation grace.
         */
        public ApiSettings(int httpPort, ModelCatalog models, Duration requestTimeout, boolean requireKeys,
                Map<String, Path> modelDirs, Duration batchWindow) {
            this(httpPort, models, requestTimeout, requireKeys, modelDirs, batchWindow,
                    new WebhookUrlGuard(false, WebhookUrlGuard.Resolver.SYSTEM), Duration.ofHours(24));
        }

        /** Settings without model directories (the tokenizer endpoints are not served) and OpenAI's window. */
        public ApiSettings(int httpPort, ModelCatalog models, Duration requestTimeout, boolean requireKeys) {
            this(httpPort, models, requestTimeout, requireKeys, Map.of(), BATCH_WINDOW);
        }

        public ApiSettings {
            modelDirs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(modelDirs));
            if (batchWindow.isNegative() || batchWindow.isZero()) {
                throw new IllegalArgumentException("the batch window must be positive, got " + batchWindow);
            }
            if (httpPort < 0 || httpPort > 65535) {
                throw new IllegalArgumentException("HTTP port " + httpPort + " is out of range: use 0 (any free port) to 65535");
            }
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("the request timeout must be positive, got " + requestTimeout);
            }
        }
    }

    /** @param overrides Kafka Streams settings that replace the defaults of {@link #streamsConfig} */
    public ResultsApiService(String bootstrapServers, Path stateDir, ApiSettings api, Map<String, Object> overrides) {
        int httpPort = api.httpPort();
        ModelCatalog models = api.models();
        Duration requestTimeout = api.requestTimeout();
        this.requireKeys = api.requireKeys();
        this.modelDirs = api.modelDirs();
        this.batchWindow = api.batchWindow();
        this.settings = api;
        Properties config = streamsConfig(bootstrapServers, stateDir, overrides);
        if (!StreamsSettings.exactlyOnce(config)) {
            throw new IllegalArgumentException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG + "="
                    + config.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)
                    + " would serve uncommitted results and could double count them: remove the override");
        }
        this.requestedPort = httpPort;
        this.models = models;
        this.bootstrapServers = bootstrapServers;
        this.requestTimeout = requestTimeout;
        this.stage = new StreamsStage("results service", Topics.RESULTS.name() + " and " + Topics.BATCHES.name(),
                ResultsTopology.build(), config);
        this.view = new StreamsResultsView(stage.streams());
        this.cancels = new CancelPublisher(bootstrapServers);
    }

    /**
     * The Kafka Streams settings of this stage; entries of {@code overrides} win over the defaults.
     *
     * @param overrides any StreamsConfig or client setting, e.g. {@code num.stream.threads}
     */
    public static Properties streamsConfig(String bootstrapServers, Path stateDir, Map<String, Object> overrides) {
        return SETTINGS.properties(bootstrapServers, stateDir, overrides);
    }

    /** Binds the HTTP port and starts consuming; returns at once (see {@link #awaitRunning}). */
    public synchronized void start() {
        if (closed || started) {
            throw new IllegalStateException("the results service starts once: create a new one");
        }
        submitter = new RequestSubmitter(bootstrapServers);
        follower = new ResultFollower(bootstrapServers);
        ResultsHttpServer.Authenticator auth = ResultsHttpServer.Authenticator.NONE;
        if (requireKeys) {
            keys = new KeyRing(bootstrapServers, Duration.ofSeconds(30));
            auth = keys::authenticate;
        }
        ChatCompletions chat = new ChatCompletions(models, submitter, follower, view, requestTimeout, Clock.systemUTC());
        files = FilesApi.connect(bootstrapServers, Clock.systemUTC());
        streamDeltas = new DeltaFollower(bootstrapServers);
        ChatStream stream = new ChatStream(chat, streamDeltas, requestTimeout, Clock.systemUTC());
        tokenizers = TokenizerApi.load(modelDirs, models);
        webhooks = WebhooksApi.connect(bootstrapServers, settings.webhookGuard(), settings.webhookRotationGrace(), Clock.systemUTC());
        // The HTTP layer reads its own batch writes at once, before the stores have read them back.
        ReadYourWritesView ownWrites = new ReadYourWritesView(view);
        http = new ResultsHttpServer(ownWrites, this::live, this::ready, ownWrites.publishingWith(cancels::publish), models, chat,
                stream, files, tokenizers, webhooks, auth, new RateLimiter(System::nanoTime), requestedPort);
        http.batchWindow(batchWindow);
        http.start();
        started = true;
        stage.start();
        finalizer = new BatchFinalizer(view, files, cancels::publish, Clock.systemUTC());
        finalizer.start(FINALIZER_TICK);
    }

    /**
     * Waits until the stores are queryable (RUNNING: partitions assigned, state restored).
     *
     * @throws IllegalStateException on timeout, when not started, or when the service stopped or
     *         failed first, with what to check; when interrupted, with the interrupt flag set again
     */
    public void awaitRunning(Duration timeout) {
        stage.awaitRunning(timeout);
    }

    /** The port the HTTP API listens on. */
    public synchronized int httpPort() {
        if (http == null) {
            throw new IllegalStateException("the HTTP port is bound by start(): call it first");
        }
        return http.port();
    }

    public ResultsView view() {
        return view;
    }

    /** Stops HTTP first (so no read races the closing stores), then the streams client. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (http != null) {
            try {
                http.stop(HTTP_GRACE);
            } catch (RuntimeException e) {
                // A slow exchange must not keep the consumers and producers below open.
                log.warn("the HTTP server did not stop within {}: {}", HTTP_GRACE, e.toString());
            }
        }
        if (finalizer != null) {
            finalizer.close();
        }
        if (follower != null) {
            follower.close();
        }
        if (keys != null) {
            keys.close();
        }
        if (streamDeltas != null) {
            streamDeltas.close();
        }
        if (files != null) {
            files.close();
        }
        if (webhooks != null) {
            webhooks.close();
        }
        if (submitter != null) {
            submitter.close();
        }
        if (tokenizers != null) {
            tokenizers.close();
        }
        cancels.close();
        stage.close();
    }

    /** True while the stores answer: partitions assigned and state restored. */
    private boolean ready() {
        return stage.state() == KafkaStreams.State.RUNNING && (follower == null || follower.running())
                && (keys == null || keys.running()) && (files == null || files.ready())
                && (streamDeltas == null || streamDeltas.running()) && (webhooks == null || webhooks.ready());
    }

    /** False once the streams client failed or stopped: restarting, not waiting, would help. */
    private boolean live() {
        KafkaStreams.State s = stage.state();
        return (s.isRunningOrRebalancing() || s == KafkaStreams.State.CREATED) && (files == null || files.live());
    }
}
