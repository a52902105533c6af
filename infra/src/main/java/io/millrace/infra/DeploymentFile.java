package io.millrace.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a deployment file ({@code --config millrace.yaml}; the commented example is
 * {@code examples/millrace.yaml}) into a {@link DeploymentConfig}. The YAML is read as a tree and
 * walked by hand rather than bound to classes, so that every mistake is reported as
 * {@code FILE: key.path: what is wrong: how to fix it}, and an unknown key (a typo) is an error
 * listing the keys allowed there, never silently ignored.
 */
final class DeploymentFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");
    private static final Set<String> TOP = Set.of("models", "aliases", "fallbacks", "auto", "cache", "quotas", "set");
    /** The cache section's keys, and the {@code --set} key each one is. */
    private static final Map<String, String> CACHE_KEYS = Map.of("enabled", CacheOptions.ENABLED, "shared", CacheOptions.SHARED,
            "ttl", CacheOptions.TTL, "max_entries", CacheOptions.MAX_ENTRIES);

    private final Path file;

    private DeploymentFile(Path file) {
        this.file = file;
    }

    /** @throws UsageException for a file that is not valid YAML or not a valid deployment; NoSuchFileException when absent */
    static DeploymentConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such config file: give the path of a millrace.yaml"
                    + " (see examples/millrace.yaml)");
        }
        return new DeploymentFile(file).parse(Files.readString(file));
    }

    private DeploymentConfig parse(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw problem("", "is not valid YAML: " + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new DeploymentConfig(file, List.of(), Map.of(), Map.of(), DeploymentConfig.AutoRouting.OFF, Map.of(), Map.of());
        }
        object(root, "(top level)");
        onlyKeys(root, "", TOP);
        Map<String, Object> settings = new LinkedHashMap<>();
        JsonNode cache = root.get("cache");
        if (cache != null) {
            object(cache, "cache");
            onlyKeys(cache, "cache.", CACHE_KEYS.keySet());
            cache.fields().forEachRemaining(f -> settings.put(CACHE_KEYS.get(f.getKey()), scalar(f.getValue(), "cache." + f.getKey())));
        }
        JsonNode set = root.get("set");
        if (set != null) {
            object(set, "set");
            set.fields().forEachRemaining(f -> settings.put(f.getKey(), scalar(f.getValue(), "set." + f.getKey())));
        }
        List<DeploymentConfig.RemoteSpec> remotes = new ArrayList<>();
        List<DeploymentConfig.ModelSpec> models = models(root.get("models"), remotes);
        return new DeploymentConfig(file, models, remotes, aliases(root.get("aliases")), fallbacks(root.get("fallbacks")),
                auto(root.get("auto")), quotas(root.get("quotas")), settings);
    }

    /** The local models; the remote ones ({@code kind: remote}) are added to {@code remotes}. */
    private List<DeploymentConfig.ModelSpec> models(JsonNode models, List<DeploymentConfig.RemoteSpec> remotes) {
        List<DeploymentConfig.ModelSpec> specs = new ArrayList<>();
        if (models == null) {
            return specs;
        }
        if (!models.isArray()) {
            throw problem("models", "must be a list of models, each '- directory: DIR' (or '- kind: remote' with a name and"
                    + " base_url) with an optional price and quality");
        }
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < models.size(); i++) {
            String path = "models[" + i + "]";
            JsonNode m = models.get(i);
            object(m, path);
            JsonNode kind = m.get("kind");
            if (kind != null && !(kind.isTextual() && Set.of("local", "remote").contains(kind.asText()))) {
                throw problem(path + ".kind", "'" + kind.asText() + "' is not a kind of model: use local (a directory, the"
                        + " default) or remote (an OpenAI-compatible server)");
            }
            if (kind != null && kind.asText().equals("remote")) {
                DeploymentConfig.RemoteSpec remote = remote(m, path);
                if (!names.add(remote.name())) {
                    throw problem(path + ".name", "'" + remote.name() + "' is served twice: give each model its own name");
                }
                remotes.add(remote);
                continue;
            }
            onlyKeys(m, path + ".", Set.of("kind", "directory", "price", "quality"));
            JsonNode dir = m.get("directory");
            if (dir == null || !dir.isTextual() || dir.asText().isBlank()) {
                throw problem(path + ".directory", "is missing: give the model's directory (an Optimum export)");
            }
            // Relative directories are relative to the file, so a deployment's file and models move together.
            Path directory = file.toAbsolutePath().getParent().resolve(dir.asText()).normalize();
            if (!Files.isDirectory(directory)) {
                throw problem(path + ".directory", directory + " is not a directory: point it at a model exported by Hugging Face"
                        + " Optimum (model.onnx, config.json, tokenizer.json, tokenizer_config.json)");
            }
            DeploymentConfig.ModelSpec spec = new DeploymentConfig.ModelSpec(directory, price(m, path), quality(m, path));
            if (!names.add(spec.name())) {
                throw problem(path, "serves '" + spec.name() + "' again: each model is served under its directory's name,"
                        + " so two directories need two different names");
            }
            specs.add(spec);
        }
        return specs;
    }

    private DeploymentConfig.Price price(JsonNode m, String path) {
        JsonNode p = m.get("price");
        if (p == null) {
            return new DeploymentConfig.Price(0, 0);
        }
        object(p, path + ".price");
        onlyKeys(p, path + ".price.", Set.of("input_per_million", "output_per_million"));
        return new DeploymentConfig.Price(usd(p, path + ".price.input_per_million"), usd(p, path + ".price.output_per_million"));
    }

    private Double quality(JsonNode m, String path) {
        JsonNode q = m.get("quality");
        if (q == null) {
            return null;
        }
        if (!q.isNumber() || !(q.asDouble() >= 0 && q.asDouble() <= 1)) {
            throw problem(path + ".quality", "'" + q.asText() + "' is not a quality estimate: give a number from 0 to 1"
                    + " (say, the share of this batch's kind of lines the model answers well), e.g. 0.8");
        }
        if (m.get("price") == null) {
            throw problem(path + ".quality", "needs a price beside it: budget routing weighs quality against"
                    + " cost, so give " + path + ".price too");
        }
        return q.asDouble();
    }

    private static final Set<String> REMOTE_KEYS = Set.of("kind", "name", "base_url", "api_key_env", "model", "price", "quality",
            "concurrency", "timeout", "max_attempts", "context_length");

    /** A {@code kind: remote} entry. The key itself never appears here: only the variable that holds it. */
    private DeploymentConfig.RemoteSpec remote(JsonNode m, String path) {
        for (String secret : List.of("api_key", "key", "authorization")) {
            if (m.has(secret)) {
                throw problem(path + "." + secret, "an API key is never written in the config: put it in an environment"
                        + " variable of the process that runs the remote role and name the variable in " + path + ".api_key_env");
            }
        }
        onlyKeys(m, path + ".", REMOTE_KEYS);
        String name = modelName(m.get("name"), path + ".name");
        JsonNode url = m.get("base_url");
        if (url == null || !url.isTextual() || url.asText().isBlank()) {
            throw problem(path + ".base_url", "is missing: give the server's OpenAI base URL, e.g. https://api.openai.com/v1");
        }
        String keyEnv = null;
        JsonNode env = m.get("api_key_env");
        if (env != null) {
            if (!env.isTextual() || !env.asText().matches("[A-Za-z_][A-Za-z0-9_]{0,200}")) {
                throw problem(path + ".api_key_env", "'" + env.asText() + "' is not an environment variable's name: give the"
                        + " variable that holds the key, e.g. OPENAI_API_KEY (not the key itself)");
            }
            keyEnv = env.asText();
        }
        JsonNode remoteName = m.get("model");
        if (remoteName != null && (!remoteName.isTextual() || remoteName.asText().isBlank())) {
            throw problem(path + ".model", "must be the model name the server knows, e.g. gpt-4o-mini");
        }
        JsonNode timeout = m.get("timeout");
        Duration callTimeout = io.millrace.remote.RemoteModel.DEFAULT_TIMEOUT;
        if (timeout != null) {
            try {
                callTimeout = DurationText.parse(timeout.asText());
            } catch (IllegalArgumentException e) {
                throw problem(path + ".timeout", e.getMessage());
            }
        }
        DeploymentConfig.Price price = price(m, path);
        try {
            return new DeploymentConfig.RemoteSpec(new io.millrace.remote.RemoteModel(name, URI.create(url.asText().trim()), keyEnv,
                    remoteName == null ? name : remoteName.asText(), price.inputPerMillion(), price.outputPerMillion(),
                    whole(m, "concurrency", path, io.millrace.remote.RemoteModel.DEFAULT_CONCURRENCY), callTimeout,
                    whole(m, "max_attempts", path, io.millrace.remote.RemoteModel.DEFAULT_MAX_ATTEMPTS),
                    whole(m, "context_length", path, 0)), quality(m, path));
        } catch (IllegalArgumentException e) {
            throw problem(path, e.getMessage());
        }
    }

    private int whole(JsonNode m, String key, String path, int absent) {
        JsonNode v = m.get(key);
        if (v == null) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw problem(path + "." + key, "'" + v.asText() + "' is not a whole number of 0 or more");
        }
        return v.asInt();
    }

    private Map<String, String> aliases(JsonNode aliases) {
        Map<String, String> map = new LinkedHashMap<>();
        if (aliases == null) {
            return map;
        }
        object(aliases, "aliases");
        aliases.fields().forEachRemaining(f -> map.put(name(f.getKey(), "aliases"), modelName(f.getValue(), "aliases." + f.getKey())));
        return map;
    }

    private Map<String, List<String>> fallbacks(JsonNode fallbacks) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        if (fallbacks == null) {
            return map;
        }
        object(fallbacks, "fallbacks");
        fallbacks.fields().forEachRemaining(f -> {
            String path = "fallbacks." + f.getKey();
            if (!f.getValue().isArray() || f.getValue().isEmpty()) {
                throw problem(path, "must be a non-empty list of the models to try in order, e.g. [millrace-tiny]");
            }
            List<String> chain = new ArrayList<>();
            for (int i = 0; i < f.getValue().size(); i++) {
                String next = modelName(f.getValue().get(i), path + "[" + i + "]");
                if (next.equals(f.getKey()) || chain.contains(next)) {
                    throw problem(path + "[" + i + "]", "'" + next + "' is already in this chain: list each model once");
                }
                chain.add(next);
            }
            map.put(name(f.getKey(), "fallbacks"), chain);
        });
        return map;
    }

    private DeploymentConfig.AutoRouting auto(JsonNode auto) {
        if (auto == null) {
            return DeploymentConfig.AutoRouting.OFF;
        }
        object(auto, "auto");
        onlyKeys(auto, "auto.", Set.of("enabled", "small", "large"));
        JsonNode enabled = auto.get("enabled");
        if (enabled != null && !enabled.isBoolean()) {
            throw problem("auto.enabled", "must be true or false");
        }
        boolean on = enabled == null || enabled.asBoolean();
        if (!on) {
            return DeploymentConfig.AutoRouting.OFF;
        }
        return new DeploymentConfig.AutoRouting(true, modelName(auto.get("small"), "auto.small"), modelName(auto.get("large"), "auto.large"));
    }

    private Map<String, Long> quotas(JsonNode quotas) {
        Map<String, Long> map = new LinkedHashMap<>();
        if (quotas == null) {
            return map;
        }
        object(quotas, "quotas");
        quotas.fields().forEachRemaining(f -> {
            String path = "quotas." + f.getKey();
            object(f.getValue(), path);
            onlyKeys(f.getValue(), path + ".", Set.of("tokens_per_day"));
            JsonNode t = f.getValue().get("tokens_per_day");
            if (t == null || !t.canConvertToLong() || !t.isIntegralNumber() || t.asLong() < 1) {
                throw problem(path + ".tokens_per_day", "must be a whole number of tokens above 0, e.g. 1000000");
            }
            map.put(f.getKey(), t.asLong());
        });
        return map;
    }

    private double usd(JsonNode price, String path) {
        JsonNode v = price.get(path.substring(path.lastIndexOf('.') + 1));
        if (v == null) {
            throw problem(path, "is missing: give the price in USD per million tokens, e.g. 0.15");
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < 0) {
            throw problem(path, "'" + v.asText() + "' is not a price: give a number of USD per million tokens, 0 or more, e.g. 0.15");
        }
        return v.asDouble();
    }

    private String modelName(JsonNode v, String path) {
        if (v == null || !v.isTextual()) {
            throw problem(path, "must be a model name (a served model's directory name)");
        }
        return name(v.asText(), path);
    }

    private String name(String s, String path) {
        if (!NAME.matcher(s).matches()) {
            throw problem(path, "'" + s + "' is not a model name: use letters, digits, '.', '_' or '-' (at most 200)");
        }
        return s;
    }

    private Object scalar(JsonNode v, String path) {
        if (!v.isValueNode() || v.isNull()) {
            throw problem(path, "must be a single value (text, number or true/false), as --set takes");
        }
        return v.asText();
    }

    private void object(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw problem(path, "must be a mapping of keys to values");
        }
    }

    private void onlyKeys(JsonNode node, String prefix, Set<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw problem(prefix + key, "is not a known key: use one of " + new TreeSet<>(allowed)
                        + " (examples/millrace.yaml shows each)");
            }
        }
    }

    private UsageException problem(String path, String what) {
        return new UsageException(file + ": " + (path.isEmpty() ? "" : path + ": ") + what);
    }
}
