package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.router.CacheSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deployment file: what it reads, and that every mistake names the file, the key and the fix. */
class DeploymentFileTest {
    @TempDir
    Path dir;

    @Test
    void theExampleInTheRepositoryIsValid() throws IOException {
        Path example = Path.of("..", "examples", "millrace.yaml");
        DeploymentConfig c = DeploymentFile.read(example);
        assertThat(c.aliases()).containsEntry("gpt-4o-mini", "millrace-tiny");
        assertThat(c.settings()).containsEntry(CacheOptions.ENABLED, "true").containsEntry(CacheOptions.TTL, "24h")
                .containsEntry("worker.engine", "batch");
        assertThat(CacheOptions.from(c.settings())).isEqualTo(CacheSettings.DEFAULT);
        assertThat(io.millrace.worker.WorkerConfig.from(c.settings()).batching().maxBatchSize()).isEqualTo(16);
        c.checkNames(Set.of("millrace-tiny"));
    }

    @Test
    void readsModelsPricesAliasesFallbacksAndTheNotYetActiveSections() throws IOException {
        Files.createDirectories(dir.resolve("models/qwen"));
        Files.createDirectories(dir.resolve("models/tiny"));
        DeploymentConfig c = read("""
                models:
                  - directory: models/qwen
                    price: {input_per_million: 0.1, output_per_million: 0.4}
                    quality: 0.8
                  - directory: models/tiny
                aliases: {gpt-4o-mini: tiny}
                fallbacks: {qwen: [tiny]}
                auto: {small: tiny, large: qwen}
                quotas: {acme: {tokens_per_day: 1000}}
                cache: {ttl: 1h, shared: true}
                set: {worker.max.in.flight: 8}
                """);
        assertThat(c.models()).extracting(DeploymentConfig.ModelSpec::name).containsExactly("qwen", "tiny");
        assertThat(c.models().get(0).directory()).isEqualTo(dir.resolve("models/qwen").toAbsolutePath().normalize());
        assertThat(c.models().get(0).price()).isEqualTo(new DeploymentConfig.Price(0.1, 0.4));
        assertThat(c.models().get(1).price()).isEqualTo(new DeploymentConfig.Price(0, 0));
        assertThat(c.models().get(0).quality()).isEqualTo(0.8);
        assertThat(c.models().get(1).quality()).as("no quality: budget routing leaves it out").isNull();
        assertThat(c.fallbacks()).containsEntry("qwen", List.of("tiny"));
        assertThat(c.auto()).isEqualTo(new DeploymentConfig.AutoRouting(true, "tiny", "qwen"));
        assertThat(c.quotas()).containsEntry("acme", 1000L);
        assertThat(CacheOptions.from(c.settings())).isEqualTo(new CacheSettings(true, true, Duration.ofHours(1),
                CacheSettings.DEFAULT_MAX_ENTRIES));
        assertThat(c.settings()).containsEntry("worker.max.in.flight", "8");
        c.checkNames(Set.of("qwen", "tiny"));
    }

    @Test
    void everyMistakeNamesTheFileTheKeyAndTheFix() {
        assertProblem("cache: {tll: 24h}", "cache.tll: is not a known key: use one of [enabled, max_entries, shared, ttl]");
        assertProblem("modles: []", "modles: is not a known key");
        assertProblem("models: [{directory: nowhere}]", "models[0].directory: ", "is not a directory: point it at a model exported");
        assertProblem("models: [{price: {input_per_million: 1, output_per_million: 1}}]", "models[0].directory: is missing");
        assertProblem("aliases: {\"bad name\": x}", "aliases: 'bad name' is not a model name");
        assertProblem("fallbacks: {a: []}", "fallbacks.a: must be a non-empty list");
        assertProblem("fallbacks: {a: [b, b]}", "fallbacks.a[1]: 'b' is already in this chain");
        assertProblem("quotas: {acme: {tokens_per_day: -1}}", "quotas.acme.tokens_per_day: must be a whole number of tokens above 0");
        assertProblem("set: {worker: {engine: batch}}", "set.worker: must be a single value");
        assertProblem("cache: [1]", "cache: must be a mapping");
        assertProblem("aliases: {a: [", "is not valid YAML", "line");
    }

    @Test
    void aPriceMustBeANumberOfDollars() throws IOException {
        Files.createDirectories(dir.resolve("m"));
        assertProblem("models: [{directory: m, price: {input_per_million: cheap, output_per_million: 1}}]",
                "models[0].price.input_per_million: 'cheap' is not a price");
        assertProblem("models: [{directory: m, price: {input_per_million: 1}}]", "models[0].price.output_per_million: is missing");
    }

    @Test
    void aQualityIsANumberFrom0To1BesideAPrice() throws IOException {
        Files.createDirectories(dir.resolve("m"));
        assertProblem("models: [{directory: m, price: {input_per_million: 1, output_per_million: 1}, quality: 1.5}]",
                "models[0].quality: '1.5' is not a quality estimate: give a number from 0 to 1");
        assertProblem("models: [{directory: m, price: {input_per_million: 1, output_per_million: 1}, quality: good}]",
                "models[0].quality: 'good' is not a quality estimate");
        assertProblem("models: [{directory: m, quality: 0.5}]", "models[0].quality: needs a price beside it");
    }

    @Test
    void namesAreCheckedAgainstTheServedModels() throws IOException {
        DeploymentConfig c = read("aliases: {gpt-4o-mini: qwen}\nfallbacks: {tiny: [gone]}");
        assertThatThrownBy(() -> c.checkNames(Set.of("tiny"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("aliases.gpt-4o-mini: 'qwen' is not a served model: use one of [tiny]");
        DeploymentConfig hiding = read("aliases: {tiny: other}");
        assertThatThrownBy(() -> hiding.checkNames(Set.of("tiny", "other"))).hasMessageContaining("may not hide one");
        DeploymentConfig shadowingAuto = read("aliases: {auto: tiny}\nauto: {small: tiny, large: other}");
        assertThatThrownBy(() -> shadowingAuto.checkNames(Set.of("tiny", "other")))
                .hasMessageContaining("auto: a served model or an alias is named 'auto'");
    }

    @Test
    void readsRemoteModelsBesideLocalOnes() throws IOException {
        Files.createDirectories(dir.resolve("models/tiny"));
        DeploymentConfig c = read("""
                models:
                  - directory: models/tiny
                  - kind: remote
                    name: gpt-4o-mini
                    base_url: https://api.openai.com/v1/
                    api_key_env: OPENAI_API_KEY
                    price: {input_per_million: 0.15, output_per_million: 0.6}
                    quality: 0.8
                    concurrency: 3
                    timeout: 20s
                    max_attempts: 2
                    context_length: 128000
                  - kind: remote
                    name: vllm
                    base_url: http://10.0.0.7:8000/v1
                    model: meta-llama/Llama-3.1-8B-Instruct
                fallbacks: {tiny: [gpt-4o-mini], gpt-4o-mini: [vllm, tiny]}
                """);
        assertThat(c.models()).extracting(DeploymentConfig.ModelSpec::name).containsExactly("tiny");
        assertThat(c.remotes()).extracting(DeploymentConfig.RemoteSpec::name).containsExactly("gpt-4o-mini", "vllm");
        io.millrace.remote.RemoteModel gpt = c.remotes().get(0).model();
        assertThat(gpt.baseUrl()).hasToString("https://api.openai.com/v1");
        assertThat(gpt.apiKeyEnv()).isEqualTo("OPENAI_API_KEY");
        assertThat(gpt.remoteModel()).as("the served name by default").isEqualTo("gpt-4o-mini");
        assertThat(gpt.concurrency()).isEqualTo(3);
        assertThat(gpt.timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(gpt.maxAttempts()).isEqualTo(2);
        assertThat(gpt.contextLength()).isEqualTo(128000);
        assertThat(gpt.costUsd(1_000_000, 1_000_000)).isEqualTo(0.75);
        assertThat(c.remotes().get(0).quality()).isEqualTo(0.8);
        io.millrace.remote.RemoteModel vllm = c.remotes().get(1).model();
        assertThat(vllm.apiKeyEnv()).isNull();
        assertThat(vllm.remoteModel()).isEqualTo("meta-llama/Llama-3.1-8B-Instruct");
        assertThat(vllm.concurrency()).isEqualTo(io.millrace.remote.RemoteModel.DEFAULT_CONCURRENCY);
        c.checkNames(Set.of("tiny", "gpt-4o-mini", "vllm"));
    }

    @Test
    void aRemoteModelsMistakesSayWhatToFixAndAKeyIsNeverTakenFromTheFile() {
        assertProblem("models: [{kind: remote, name: far, base_url: 'https://x/v1', api_key: sk-123}]",
                "models[0].api_key: an API key is never written in the config", "api_key_env");
        assertProblem("models: [{kind: remote, name: far}]", "models[0].base_url: is missing");
        assertProblem("models: [{kind: remote, name: far, base_url: 'ftp://x/v1'}]", "models[0]: base_url 'ftp://x/v1' is not an http(s) URL");
        assertProblem("models: [{kind: remote, name: far, base_url: 'https://x/v1', api_key_env: 'sk-live key'}]",
                "models[0].api_key_env: 'sk-live key' is not an environment variable's name");
        assertProblem("models: [{kind: remote, name: far, base_url: 'https://x/v1', concurrency: 0}]", "concurrency 0 is out of range");
        assertProblem("models: [{kind: remote, name: far, base_url: 'https://x/v1', timeout: soon}]", "models[0].timeout: 'soon' is not a duration");
        assertProblem("models: [{kind: remote, name: far, base_url: 'https://x/v1', directory: x}]",
                "models[0].directory: is not a known key");
        assertProblem("models: [{kind: cloud, name: far}]", "models[0].kind: 'cloud' is not a kind of model");
        assertProblem("models: [{kind: remote, name: far, base_url: 'https://x/v1'}, {kind: remote, name: far, base_url: 'https://y/v1'}]",
                "models[1].name: 'far' is served twice");
    }

    @Test
    void badCacheValuesSayWhatToWrite() {
        assertThatThrownBy(() -> CacheOptions.from(Map.of(CacheOptions.TTL, "a day"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("cache.ttl=a day").hasMessageContaining("e.g. 90s, 30m, 24h or 7d");
        assertThatThrownBy(() -> CacheOptions.from(Map.of(CacheOptions.TTL, "30d"))).hasMessageContaining("at most 7 days");
        assertThatThrownBy(() -> CacheOptions.from(Map.of(CacheOptions.ENABLED, "yes"))).hasMessageContaining("use true or false");
        assertThatThrownBy(() -> CacheOptions.from(Map.of("cache.size", "3"))).hasMessageContaining("cache.size: the cache has no such setting");
        assertThat(CacheOptions.from(Map.of(CacheOptions.ENABLED, "false")).enabled()).isFalse();
    }

    private DeploymentConfig read(String yaml) throws IOException {
        Path file = dir.resolve("millrace.yaml");
        Files.writeString(file, yaml);
        return DeploymentFile.read(file);
    }

    private void assertProblem(String yaml, String... parts) {
        Path file = dir.resolve("millrace.yaml");
        assertThatThrownBy(() -> read(yaml)).isInstanceOf(UsageException.class)
                .hasMessageStartingWith(file + ": ").hasMessageContainingAll(parts);
    }
}
