package io.millrace.remote;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * A model served by an OpenAI-compatible server elsewhere ({@code kind: remote} in the deployment
 * file): Millrace serves it under {@link #name} like a local model (aliases, auto routing, budgets,
 * quotas and fallback chains treat both alike) and the remote role answers its requests by calling
 * {@link #baseUrl}. The API key is never part of this record: only the name of the environment
 * variable that holds it ({@link #apiKeyEnv}), read by {@link #apiKey} when the remote role starts.
 *
 * @param name             the served name (the generation topic's, the catalog's)
 * @param baseUrl          the server's OpenAI base URL, up to and including {@code /v1}
 *                         ({@code /chat/completions} and {@code /completions} are appended)
 * @param apiKeyEnv        the environment variable that holds the API key, or null for a server that wants none
 * @param remoteModel      the model name sent to the server
 * @param inputPerMillion  USD per million prompt tokens, for the result's cost
 * @param outputPerMillion USD per million completion tokens
 * @param concurrency      at most this many calls to the server at once (more requests wait, interactive first)
 * @param timeout          the longest one call may take, headers and body
 * @param maxAttempts      calls per request before it fails (retriable answers only: 429, 5xx, no answer)
 * @param contextLength    the model's context in tokens, for validation at the door; 0 when unknown
 */
public record RemoteModel(String name, URI baseUrl, String apiKeyEnv, String remoteModel, double inputPerMillion,
        double outputPerMillion, int concurrency, Duration timeout, int maxAttempts, int contextLength) {
    public static final int DEFAULT_CONCURRENCY = 8;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_ATTEMPTS = 4;

    public RemoteModel {
        if (baseUrl == null || baseUrl.getHost() == null
                || !("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme()))) {
            throw new IllegalArgumentException("base_url '" + baseUrl + "' is not an http(s) URL: give the server's OpenAI"
                    + " base URL, e.g. https://api.openai.com/v1 or http://localhost:8000/v1");
        }
        if (concurrency < 1 || concurrency > 1024) {
            throw new IllegalArgumentException("concurrency " + concurrency + " is out of range: give 1 to 1024 calls at once");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be above 0, e.g. 60s");
        }
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new IllegalArgumentException("max_attempts " + maxAttempts + " is out of range: give 1 to 20");
        }
        String path = baseUrl.getPath() == null ? "" : baseUrl.getPath();
        baseUrl = URI.create(baseUrl.toString().substring(0, baseUrl.toString().length()
                - (path.endsWith("/") ? 1 : 0)));
    }

    /** What the cache keys a remote model's answers by: the server and the model it is sent. */
    public String identity() {
        return "remote:" + baseUrl + "#" + remoteModel;
    }

    /** The server's URL for a request sent to Millrace's {@code url} ({@code /v1/chat/completions} or {@code /v1/completions}). */
    URI endpoint(String url) {
        return URI.create(baseUrl + ("/v1/completions".equals(url) ? "/completions" : "/chat/completions"));
    }

    /**
     * The API key from {@code env}, checked when the remote role starts; empty for a model without
     * {@link #apiKeyEnv}.
     *
     * @throws IllegalStateException when the variable is named but unset or blank, saying what to export
     */
    public ApiKey apiKey(Map<String, String> env) {
        if (apiKeyEnv == null) {
            return ApiKey.NONE;
        }
        String v = env.get(apiKeyEnv);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("remote model '" + name + "': environment variable " + apiKeyEnv + " is "
                    + (v == null ? "not set" : "empty") + ": export " + apiKeyEnv + "=<the API key of " + baseUrl.getHost()
                    + "> in the environment of the process that runs the remote role (the key is never written in the config)");
        }
        return new ApiKey(v.trim());
    }

    /** The cost in USD of a call that used these tokens, at this model's prices. */
    public double costUsd(long promptTokens, long completionTokens) {
        return (promptTokens * inputPerMillion + completionTokens * outputPerMillion) / 1_000_000.0;
    }
}
