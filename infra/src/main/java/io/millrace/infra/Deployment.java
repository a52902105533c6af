package io.millrace.infra;

import io.millrace.ingest.FileBatchIngestor;
import io.millrace.ingest.BudgetRouting;
import io.millrace.ingest.ModelOffer;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topics;
import io.millrace.protocol.webhooks.WebhookUrlGuard;
import io.millrace.webhooks.WebhooksService;
import io.millrace.results.ResultsApiService;
import io.millrace.protocol.Stores;
import io.millrace.router.AutoRouter;
import io.millrace.router.CacheSettings;
import io.millrace.router.RouterConfig;
import io.millrace.router.RouterService;
import io.millrace.worker.WorkerConfig;
import io.millrace.worker.WorkerService;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.SessionSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles one process: the in-process broker when no cluster is given, the topics from the
 * registry, and the stages of the roles asked for. Stages never see each other; they meet only on
 * the topics. Closing stops everything in reverse order of start.
 */
final class Deployment implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Deployment.class);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private String bootstrapServers;
    private ModelCatalog catalog;
    private WorkerService worker;
    private RouterService router;
    private ResultsApiService api;
    private WebhooksService webhooks;
    private MetricsEndpoint metrics;

    private final Settings settings;
    /** Where the remote role reads its API keys; the process's environment but in tests. */
    private Map<String, String> env = System.getenv();
    private WorkerService remote;
    private List<Path> modelDirs;
    private ModelVariants variants;

    private Deployment(Settings settings) {
        this.settings = settings;
    }

    /** Connects (starting the in-process broker when no cluster is given), creates topics, starts the roles. */
    static Deployment start(Settings settings, Set<Role> roles) throws IOException {
        return start(settings, roles, System.getenv());
    }

    /** As above, the remote role reading its API keys from {@code env} (the process's environment, or a test's). */
    static Deployment start(Settings settings, Set<Role> roles, Map<String, String> env) throws IOException {
        Deployment d = connect(settings);
        d.env = Map.copyOf(env);
        try {
            d.startRoles(roles);
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** The broker (or cluster) and the topics, but no stage yet. */
    static Deployment connect(Settings settings) throws IOException {
        Deployment d = new Deployment(settings);
        try {
            d.connect();
            return d;
        } catch (RuntimeException | IOException e) {
            d.close();
            throw e;
        }
    }

    /**
     * For commands that only read and write topics ({@code cancel}, {@code keys}): as
     * {@link #connect}, except that with no cluster given, a {@code serve} already running on this
     * machine's in-process broker port is used rather than a second broker started on its data.
     */
    static Deployment client(Settings settings) throws IOException {
        if (settings.bootstrapServers() == null) {
            String local = "localhost:" + settings.kafkaPort();
            if (settings.kafkaPort() > 0 && brokerAnswers(local)) {
                log.info("using the broker of the millrace serve running at {}", local);
                return connect(new Settings(local, settings.dataDir(), settings.kafkaPort(), settings.httpPort(),
                        settings.modelDirs(), settings.instanceId(), settings.metricsPort(), settings.workerSettings()));
            }
        }
        return connect(settings);
    }

    private static boolean brokerAnswers(String bootstrap) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500))) {
            admin.describeCluster().clusterId().get(3, java.util.concurrent.TimeUnit.SECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            return false; // nothing there, or not Kafka: start our own
        }
    }

    private void connect() throws IOException {
        Settings s = settings;
        if (s.bootstrapServers() == null) {
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(s.dataDir(), s.kafkaPort());
            started.push(broker);
            bootstrapServers = broker.bootstrapServers();
        } else {
            bootstrapServers = s.bootstrapServers();
            log.info("using the Kafka cluster at {}", bootstrapServers);
        }
        variants = s.modelVariants();
        modelDirs = ModelDirectories.resolve(s.modelDirs(), s.dataDir(), variants);
        variants.requireServed(modelDirs);
        ModelCatalog served = withRemotes(ModelDirectories.catalog(modelDirs, variants), s.deployment());
        // The file may name models that --model-dir replaced: check its names against what is served.
        s.deployment().checkNames(served.names());
        catalog = served.withAliases(s.deployment().aliases());
        DeploymentConfig.AutoRouting auto = s.deployment().auto();
        if (auto.enabled()) {
            // Every entry point validates against this catalog, so all of them accept "auto".
            catalog = catalog.withAuto(new ModelCatalog.AutoModels(auto.small(), auto.large()));
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            // Workers consume and write the retry topics of their configured tiers: create those.
            List<io.millrace.protocol.Topic<?, ?>> topics = new ArrayList<>(Topics.all(catalog.names(),
                    io.millrace.worker.RetrySchedule.from(s.workerSettings()).delaysMs()));
            // The webhooks role consumes the retry tiers of its configured delays: create those.
            topics.addAll(Topics.webhooks(s.webhooks().retryDelaysMs()));
            TopicProvisioner.provision(admin, topics);
        }
    }

    /** The local models' catalog and the deployment's remote models, served alike under their own names. */
    private static ModelCatalog withRemotes(ModelCatalog local, DeploymentConfig deployment) {
        List<ModelCatalog.Entry> entries = new ArrayList<>(local.entries());
        for (DeploymentConfig.RemoteSpec r : deployment.remotes()) {
            if (local.names().contains(r.name())) {
                throw deployment.problem("models", "the remote model '" + r.name() + "' has the name of a local model: rename"
                        + " one of them (a local model is served under its directory's name)");
            }
            entries.add(new ModelCatalog.Entry(r.name(), r.model().contextLength()));
        }
        return new ModelCatalog(entries);
    }

    /** Starts the stages of these roles in this process. */
    void startRoles(Set<Role> roles) {
        Settings s = settings;
        if (roles.contains(Role.REMOTE)) {
            // Keys first: a variable named but unset stops the start before any stage runs.
            s.deployment().remotes().forEach(this::apiKey);
        }
        if (s.metricsPort() >= 0) {
            metrics = new MetricsEndpoint(s.metricsPort());
            started.push(metrics);
        }
        Path state = s.dataDir().resolve("streams");
        if (s.webhooks().allowPrivate() && (roles.contains(Role.API) || roles.contains(Role.WEBHOOKS))) {
            // The API checks URLs at registration, the webhooks role at every delivery: both relax.
            log.warn("webhooks.allow.private=true: webhook URLs may be plain http and reach loopback, private and cloud"
                    + " metadata addresses. For development and tests only.");
        }
        if (roles.contains(Role.INGEST)) {
            // Runs the batches created with POST /v1/batches (the batch command ingests its own file).
            FileBatchIngestor ingest = new FileBatchIngestor(bootstrapServers, new ChatRequestValidator(catalog), Clock.systemUTC(),
                    budgetOffers());
            started.push(ingest);
            ingest.start();
        }
        if (roles.contains(Role.ROUTER)) {
            router = new RouterService(bootstrapServers, state.resolve("router"), routerConfig(s), Map.of());
            started.push(router);
            router.start();
        }
        if (roles.contains(Role.API)) {
            api = new ResultsApiService(bootstrapServers, state.resolve("results-api"), 
                    new ResultsApiService.ApiSettings(s.httpPort(), catalog, s.requestTimeout(), s.requireKeys(),
                            ModelDirectories.byServedName(modelDirs, variants), s.batchWindow(),
                            new WebhookUrlGuard(s.webhooks().allowPrivate(), WebhookUrlGuard.Resolver.SYSTEM),
                            s.webhooks().rotationGrace()), Map.of());
            // A batch with a budget no plan can keep is refused at creation, by the plan ingest would make.
            api.admitBatchesWith(new BudgetAdmission(new BudgetRouting(budgetOffers(), new ChatRequestValidator(catalog),
                    Clock.systemUTC())));
            started.push(api);
            api.start();
        }
        if (roles.contains(Role.WEBHOOKS)) {
            webhooks = new WebhooksService(bootstrapServers, state.resolve("webhooks"), s.webhooks(), Map.of());
            started.push(webhooks);
            webhooks.start();
        }
        if (roles.contains(Role.REMOTE) && !s.deployment().remotes().isEmpty()) {
            Map<String, io.millrace.worker.ExternalModel> models = new LinkedHashMap<>();
            for (io.millrace.remote.RemoteAnswerer a : remoteAnswerers()) {
                models.put(a.name(), new io.millrace.worker.ExternalModel(a::answer, a::running, a::waiting, a));
            }
            remote = WorkerService.external(bootstrapServers, models, s.instanceId(), s.workerSettings(),
                    metrics == null ? new io.micrometer.core.instrument.simple.SimpleMeterRegistry() : metrics.registry());
            started.push(remote);
            remote.start();
        } else if (roles.equals(Set.of(Role.REMOTE))) {
            throw new UsageException("--roles remote: the deployment has no model of kind: remote; add one to the --config file"
                    + " (see README, \"Remote models\")");
        }
        io.millrace.cdc.CdcConfig cdc = s.cdc();
        // The database's roles run where a database is given: serve refuses to name them without one.
        if (roles.contains(Role.DB_SINK) && cdc.enabled()) {
            io.millrace.cdc.DbSinkService sink = new io.millrace.cdc.DbSinkService(bootstrapServers, cdc, Map.of());
            started.push(sink);
            sink.start();
        }
        if (roles.contains(Role.CDC) && cdc.enabled()) {
            io.millrace.cdc.CaptureService capture = new io.millrace.cdc.CaptureService(bootstrapServers, cdc, Clock.systemUTC());
            started.push(capture);
            capture.start();
        }
        if (roles.contains(Role.WORKER)) {
            Map<String, DecoderModel> models = new LinkedHashMap<>();
            try {
                SessionSettings session = s.worker().session();
                if (roles.contains(Role.API) && !s.workerSettings().containsKey(WorkerConfig.SPINNING)) {
                    // Synchronous requests cross this process's broker, router and API between the
                    // worker's steps, and threads spinning on the CPUs they need slowed every hop.
                    session = session.withSpinning(false);
                }
                for (Path dir : modelDirs) {
                    DecoderModel m = DecoderModel.load(dir, variants.of(dir), session);
                    models.put(m.name(), m);
                }
                worker = metrics == null ? new WorkerService(bootstrapServers, models, s.instanceId(), s.workerSettings())
                        : new WorkerService(bootstrapServers, models, s.instanceId(), s.workerSettings(), metrics.registry());
            } catch (RuntimeException e) {
                // Until the service exists nothing owns the loaded models (native ORT sessions).
                models.values().forEach(DecoderModel::close);
                throw e;
            }
            started.push(worker);
            worker.start();
        }
    }

    /** One answerer per remote model, each with its API key read from the environment (checked here, with what to export). */
    private List<io.millrace.remote.RemoteAnswerer> remoteAnswerers() {
        List<io.millrace.remote.RemoteAnswerer> answerers = new ArrayList<>();
        for (DeploymentConfig.RemoteSpec r : settings.deployment().remotes()) {
            answerers.add(new io.millrace.remote.RemoteAnswerer(r.model(), apiKey(r), Clock.systemUTC()));
        }
        return answerers;
    }

    private io.millrace.remote.ApiKey apiKey(DeploymentConfig.RemoteSpec r) {
        try {
            return r.model().apiKey(env);
        } catch (IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The router's models, aliases, cache, fallback chains, health settings and quotas; model identities are hashed only when the cache is on. */
    private RouterConfig routerConfig(Settings s) {
        CacheSettings cache = s.cache();
        try {
            Map<String, String> identities = new LinkedHashMap<>();
            if (cache.enabled()) {
                identities.putAll(ModelDirectories.identities(modelDirs, variants));
                s.deployment().remotes().forEach(r -> identities.put(r.name(), r.model().identity()));
            }
            // The classifier trains in well under a second; only a deployment that accepts "auto" pays for it.
            return new RouterConfig(catalog, Stores.DEDUP_RETENTION, identities, cache,
                    catalog.auto().isPresent() ? AutoRouter.trained() : AutoRouter.RULE_ONLY, s.deployment().fallbacks(), s.health(),
                    s.deployment().quotas()).withQuotaWindow(s.quotaWindow());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the model directories to key the response cache: " + e.getMessage()
                    + " (or turn the cache off with --set cache.enabled=false)", e);
        }
    }

    /**
     * What budget routing may choose: the served models the deployment file gives a quality (and so
     * a price), under their served names. Models from {@code --model-dir} have neither.
     */
    List<ModelOffer> budgetOffers() {
        Settings s = settings;
        Map<String, Path> served = ModelDirectories.byServedName(modelDirs, variants);
        List<ModelOffer> offers = new ArrayList<>();
        for (DeploymentConfig.ModelSpec spec : s.deployment().models()) {
            if (spec.quality() == null) {
                continue;
            }
            served.forEach((name, dir) -> {
                if (dir.toAbsolutePath().normalize().equals(spec.directory().toAbsolutePath().normalize())) {
                    offers.add(new ModelOffer(name, spec.price().inputPerMillion(), spec.price().outputPerMillion(), spec.quality()));
                }
            });
        }
        for (DeploymentConfig.RemoteSpec r : s.deployment().remotes()) {
            if (r.quality() != null) {
                offers.add(new ModelOffer(r.name(), r.model().inputPerMillion(), r.model().outputPerMillion(), r.quality()));
            }
        }
        if (!offers.isEmpty()) {
            log.info("budget routing chooses among {}", offers);
        }
        return offers;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    ModelCatalog catalog() {
        return catalog;
    }

    /** Each served model's directory, by served name: what an eval run's manifest records. */
    Map<String, Path> modelDirectories() {
        return ModelDirectories.byServedName(modelDirs, variants);
    }

    /** Each served model's identity (content hash and dtype), by served name, as the response cache keys it. */
    Map<String, String> modelIdentities() throws IOException {
        return ModelDirectories.identities(modelDirs, variants);
    }

    Optional<ResultsApiService> api() {
        return Optional.ofNullable(api);
    }

    Optional<MetricsEndpoint> metrics() {
        return Optional.ofNullable(metrics);
    }

    Optional<WebhooksService> webhooks() {
        return Optional.ofNullable(webhooks);
    }

    Optional<RouterService> router() {
        return Optional.ofNullable(router);
    }

    Optional<WorkerService> worker() {
        return Optional.ofNullable(worker);
    }

    /** The remote role's worker, when this process runs it. */
    Optional<WorkerService> remote() {
        return Optional.ofNullable(remote);
    }

    /** Waits until the stream stages of this process process records. */
    void awaitRunning(Duration timeout) {
        for (AutoCloseable c : started) {
            if (c instanceof RouterService r) {
                r.awaitRunning(timeout);
            } else if (c instanceof ResultsApiService a) {
                a.awaitRunning(timeout);
            } else if (c instanceof WebhooksService w) {
                w.awaitRunning(timeout);
            }
        }
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable c = started.pop();
            try {
                c.close();
            } catch (Exception e) {
                log.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
