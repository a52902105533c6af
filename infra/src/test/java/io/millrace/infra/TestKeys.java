package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** API keys for ITs, made as an operator makes them: {@code millrace keys create} against the running serve's broker. */
final class TestKeys {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private TestKeys() {}

    /**
     * A new key of {@code tenant} ({@code rpm} 0: no requests-per-minute limit), returned once the
     * serve's API accepts it: the API follows the keys topic, so a new key works a moment later.
     */
    static String create(Deployment serve, String tenant, int rpm) throws Exception {
        String out = cli(serve, "keys", "create", "--tenant", tenant, "--rpm", Integer.toString(rpm));
        String[] words = out.trim().split("\\s+");
        String key = words[words.length - 1];
        URI models = URI.create("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1/models");
        for (long deadline = System.currentTimeMillis() + 15_000; System.currentTimeMillis() < deadline; Thread.sleep(100)) {
            HttpRequest get = HttpRequest.newBuilder(models).header("Authorization", "Bearer " + key).build();
            if (HTTP.send(get, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                return key;
            }
        }
        throw new AssertionError("the API never accepted the new key of " + tenant);
    }

    /** Runs {@code millrace ARGS --bootstrap-servers <the serve's>}, asserts it exits 0, and returns its output. */
    static String cli(Deployment serve, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--bootstrap-servers", serve.bootstrapServers()));
        int code = Millrace.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        assertThat(code).as("millrace " + argv + ": " + err).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }
}
