package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.millrace.protocol.Json;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outside clients are clients: against one running {@code serve}, programs that share no code with
 * Millrace use it as its users do. The official OpenAI Java SDK talks to the HTTP API with nothing
 * changed but its base URL. Kafka clients produce request events as the README's "Topic contract"
 * shows and read their results from millrace.results with read_committed: kafkajs (Node, installed
 * by the build from tools/kafka-client's lockfile) always runs; kcat (librdkafka), whose command
 * lines the README shows for users to copy, is checked where it is installed.
 */
class OutsideClientsIT {
    @TempDir
    static Path dir;
    static RunningServe running;
    static Deployment serve;

    @BeforeAll
    static void startServe() throws Exception {
        running = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(), "outside-clients-it", 0, Map.of()));
        serve = running.deployment();
    }

    @AfterAll
    static void stopServe() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void theOpenAiSdkGetsAChatCompletionThroughThePipeline() {
        OpenAIClient openai = openAi();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("millrace-tiny")
                .addSystemMessage("You are the miller.").addUserMessage("How does the mill work?")
                .maxCompletionTokens(8).temperature(0.0).build();

        ChatCompletion first = openai.chat().completions().create(params);
        ChatCompletion second = openai.chat().completions().create(params);

        assertThat(first.id()).startsWith("chatcmpl-");
        assertThat(first.model()).isEqualTo("millrace-tiny");
        assertThat(first.choices()).hasSize(1);
        assertThat(first.choices().get(0).message().content()).isPresent();
        assertThat(first.usage().orElseThrow().completionTokens()).isBetween(1L, 8L);
        assertThat(first.usage().orElseThrow().totalTokens())
                .isEqualTo(first.usage().orElseThrow().promptTokens() + first.usage().orElseThrow().completionTokens());
        // Two requests, two completions; at temperature 0 the same text.
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second.choices().get(0).message().content()).isEqualTo(first.choices().get(0).message().content());
    }

    @Test
    void aStreamedCompletionArrivesInChunksAndEqualsTheSynchronousOne() {
        OpenAIClient openai = openAi();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("millrace-tiny")
                .addUserMessage("Tell me about the mill race, slowly.").maxCompletionTokens(40).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();

        List<ChatCompletionChunk> chunks = new java.util.ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }
        ChatCompletion sync = openai.chat().completions().create(params.toBuilder().streamOptions(
                java.util.Optional.empty()).build());

        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        assertThat(chunks.stream().filter(c -> c.choices().stream().anyMatch(ch -> ch.delta().content().filter(t -> !t.isEmpty())
                .isPresent())).count()).as("the text came in several chunks, as it was generated").isGreaterThan(3);
        assertThat(text.toString()).isEqualTo(sync.choices().get(0).message().content().orElseThrow());
        assertThat(chunks).allSatisfy(c -> assertThat(c.id()).isEqualTo(chunks.get(0).id()));
        assertThat(chunks.stream().flatMap(c -> c.choices().stream()).map(ch -> ch.finishReason()).filter(f -> f.isPresent())
                .map(f -> f.get().asString())).containsExactly("length");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(40);
        assertThat(last.usage().orElseThrow().totalTokens()).isEqualTo(sync.usage().orElseThrow().totalTokens());
    }

    @Test
    void aStreamWhoseClientDisconnectsStopsGeneratingAndIsAnsweredCancelled() throws Exception {
        // Long enough (8 choices x 480 tokens) that the cancel reaches the worker while it generates.
        String body = "{\"model\":\"millrace-tiny\",\"stream\":true,\"n\":8,\"max_tokens\":480,\"temperature\":1,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me everything.\"}]}";
        String requestId;
        try (java.net.Socket socket = new java.net.Socket("localhost", serve.api().orElseThrow().httpPort())) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String id = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("x-request-id:")) {
                    id = line.substring("x-request-id:".length()).trim();
                }
                if (line.startsWith("data: ") && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
                    break; // text is flowing: now walk away
                }
            }
            requestId = id;
        }
        assertThat(requestId).as("the x-request-id of the stream").isNotNull();

        JsonNode answer = null;
        for (long deadline = System.currentTimeMillis() + 60_000; answer == null && System.currentTimeMillis() < deadline; Thread.sleep(200)) {
            HttpResponse<String> r = get("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1/requests/" + requestId);
            answer = r.statusCode() == 200 ? Json.parse(r.body()) : null;
        }
        assertThat(answer).as("the cancelled request still gets its one result").isNotNull();
        assertThat(answer.get("status").asText()).isEqualTo("failed");
        assertThat(answer.at("/response/status_code").asInt()).isEqualTo(499);
        assertThat(answer.at("/response/body/error/code").asText()).isEqualTo("request_cancelled");
    }

    @Test
    void aStreamedRequestThatIsRefusedAnswersAnErrorNotAStream() {
        assertThatThrownBy(() -> {
            try (StreamResponse<ChatCompletionChunk> stream = openAi().chat().completions().createStreaming(
                    ChatCompletionCreateParams.builder().model("gpt-4o").addUserMessage("Hi").build())) {
                stream.stream().count();
            }
        }).isInstanceOf(NotFoundException.class);
    }

    @Test
    void anIdempotencyKeyReturnsTheFirstCompletionInsteadOfGeneratingAgain() {
        OpenAIClient openai = openAi();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("millrace-tiny")
                .addUserMessage("Only once, please.").maxCompletionTokens(6).temperature(0.9)
                .putAdditionalHeader("Idempotency-Key", "outside-clients-it-once").build();

        ChatCompletion first = openai.chat().completions().create(params);
        ChatCompletion retried = openai.chat().completions().create(params);

        assertThat(retried.id()).isEqualTo(first.id());
        assertThat(retried.created()).isEqualTo(first.created());
    }

    @Test
    void theOpenAiSdkSeesOpenAiErrorsAndTheServedModels() {
        OpenAIClient openai = openAi();

        assertThat(openai.models().list().data()).extracting(m -> m.id()).containsExactly("millrace-tiny");
        assertThat(openai.models().retrieve("millrace-tiny").ownedBy()).isEqualTo("millrace");

        assertThatThrownBy(() -> openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o").addUserMessage("Hi").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.getMessage()).contains("gpt-4o"));
        assertThatThrownBy(() -> openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("millrace-tiny").addUserMessage("Hi").temperature(7.0).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("temperature"));
        assertThatThrownBy(() -> openai.models().retrieve("gpt-4o")).isInstanceOf(NotFoundException.class);
    }

    private static OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1")
                .apiKey("not-checked-yet").maxRetries(0).build();
    }

    @Test
    void kafkajsSubmitsRequestsAndReadsTheirCommittedResults() throws Exception {
        String events = event("kafkajs-1", "millrace-tiny", "Hello from kafkajs") + "\n"
                + event("kafkajs-2", "no-such-model", "Hello") + "\n";
        Path script = NodeTools.repoRoot().resolve("tools/kafka-client/submit.mjs");
        String out = exec(List.of("node", script.toString(), "--bootstrap", serve.bootstrapServers(), "--timeout-ms", "90000"),
                events, Duration.ofSeconds(120));

        Map<String, JsonNode> results = new HashMap<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                String[] kv = line.split("\t", 2);
                assertThat(results.put(kv[0], Json.parse(kv[1]))).as("one result per request: " + kv[0]).isNull();
            }
        }
        assertThat(results).containsOnlyKeys("kafkajs-1", "kafkajs-2");

        JsonNode ok = results.get("kafkajs-1");
        assertThat(ok.get("status_code").asInt()).isEqualTo(200);
        assertThat(ok.get("error").isNull()).isTrue();
        assertThat(ok.at("/body/object").asText()).isEqualTo("chat.completion");
        assertThat(ok.at("/body/usage/completion_tokens").asInt()).isBetween(1, 8);

        JsonNode bad = results.get("kafkajs-2");
        assertThat(bad.get("status_code").asInt()).isEqualTo(400);
        assertThat(bad.at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(bad.at("/error/param").asText()).isEqualTo("model");

        // The results API answers for a request that came in over Kafka.
        HttpResponse<String> http = get("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1/requests/kafkajs-1");
        assertThat(http.statusCode()).isEqualTo(200);
        assertThat(Json.parse(http.body()).get("custom_id").asText()).isEqualTo("kafkajs-1");

        // The worker's meters are scraped from the same process, Prometheus style.
        HttpResponse<String> metrics = get("http://localhost:" + serve.metrics().orElseThrow().port() + "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("millrace_worker_generation_tokens_total{model=\"millrace-tiny\"}")
                .contains("millrace_worker_time_to_first_token_seconds_count").contains("jvm_memory_used_bytes");
    }

    @Test
    void kcatRoundTripsAsTheReadmeShows() throws Exception {
        Optional<String> kcat = kcatBinary();
        // Failed, not skipped, without kcat: it is one of the README's test prerequisites, and a skip
        // would let the README's kcat lines go unchecked without anyone noticing.
        assertThat(kcat).as("kcat is not installed: install it (Debian/Ubuntu: apt-get install -y kafkacat; macOS: brew install"
                + " kcat) to run the tests").isPresent();
        String bootstrap = serve.bootstrapServers();
        String event = event("kcat-1", "millrace-tiny", "Hello from kcat");
        // Same command lines as the README: key and value separated by '|', Java's partitioner.
        exec(List.of(kcat.get(), "-P", "-b", bootstrap, "-t", "millrace.requests", "-K", "|", "-X", "partitioner=murmur2_random"),
                "kcat-1|" + event + "\n", Duration.ofSeconds(30));

        JsonNode result = null;
        long deadline = System.currentTimeMillis() + 90_000;
        while (result == null && System.currentTimeMillis() < deadline) {
            String out = exec(List.of(kcat.get(), "-C", "-b", bootstrap, "-t", "millrace.results", "-X",
                    "isolation.level=read_committed", "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"), "", Duration.ofSeconds(30));
            for (String l : out.split("\n")) {
                if (l.startsWith("kcat-1\t")) {
                    result = Json.parse(l.substring("kcat-1\t".length()));
                }
            }
            if (result == null) {
                Thread.sleep(500);
            }
        }
        assertThat(result).as("a result for kcat-1 on millrace.results").isNotNull();
        assertThat(result.get("request_id").asText()).isEqualTo("kcat-1");
        assertThat(result.get("error").isNull()).isTrue();
        assertThat(result.at("/body/object").asText()).isEqualTo("chat.completion");
    }

    private static String event(String id, String model, String content) {
        return "{\"request_id\":\"" + id + "\",\"custom_id\":\"" + id + "\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],"
                + "\"max_tokens\":8}}";
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Optional<String> kcatBinary() {
        for (String candidate : List.of("/usr/bin/kcat", "/usr/bin/kafkacat", "/usr/local/bin/kcat")) {
            if (new File(candidate).canExecute()) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Runs a command to its end; stdout is returned, stderr goes into the failure message. */
    private static String exec(List<String> command, String stdin, Duration limit) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command.get(0) + " did not finish in " + limit.toSeconds() + " s: " + command
                    + "\nstderr: " + Files.readString(err, StandardCharsets.UTF_8));
        }
        assertThat(p.exitValue()).as(command.get(0) + " exit code; stderr: " + Files.readString(err, StandardCharsets.UTF_8)).isZero();
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
