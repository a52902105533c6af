package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import io.millrace.protocol.Ids;
import java.io.BufferedWriter;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files are streamed, never whole in memory: an API process started with a 160 MB heap takes a
 * 50,000-line upload of about 150 MB (the OpenAI limit in lines, most of its limit in bytes) and
 * serves it back byte for byte, and is still answering afterwards. Whole-file buffering would need
 * the file's bytes several times over (request body, decoded text, chunks) and run out of heap.
 */
class FilesSmallHeapIT {
    private static final int LINES = 50_000;
    private static final String HEAP = "-Xmx160m";

    @TempDir
    Path dir;

    @Test
    void aLargeUploadRoundTripsThroughAnApiWithASmallHeap() throws Exception {
        Path jar = Path.of("target", "millrace.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            fail(jar + " is missing: this test runs the shaded jar, built by mvn package (mvn verify builds it first)");
        }
        Path upload = dir.resolve("large.jsonl");
        String filler = "mill ".repeat(560); // ~2.8 KB of content per line
        try (BufferedWriter w = Files.newBufferedWriter(upload, StandardCharsets.UTF_8)) {
            for (int i = 0; i < LINES; i++) {
                w.write("{\"custom_id\":\"r" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":"
                        + "\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + i + " " + filler + "\"}]}}\n");
            }
        }
        long size = Files.size(upload);
        assertThat(size).isGreaterThan(140L * 1024 * 1024);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), 0)) {
            Path log = dir.resolve("api.log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process api = new ProcessBuilder(java, HEAP, "-jar", jar.toString(), "serve", "--roles", "api", "--auth", "none",
                    "--bootstrap-servers", broker.bootstrapServers(), "--data-dir", dir.resolve("api").toString(),
                    "--http-port", Integer.toString(port), "--metrics-port", "-1")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                HttpClient http = HttpClient.newHttpClient();
                awaitReady(http, port, api, log);
                OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1").apiKey("none")
                        .maxRetries(0).timeout(Duration.ofMinutes(5)).build();

                FileObject file = openai.files().create(FileCreateParams.builder().file(upload).purpose(FilePurpose.BATCH).build());
                assertThat(file.bytes()).isEqualTo(size);

                HttpResponse<InputStream> content = http.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/v1/files/" + file.id() + "/content")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(content.statusCode()).isEqualTo(200);
                assertThat(sha256(content.body())).isEqualTo(sha256(Files.newInputStream(upload)));
                assertThat(api.isAlive()).as("the API survived; its log:\n" + tail(log)).isTrue();
                assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
                assertThat(http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/live")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            } finally {
                api.destroy();
                if (!api.waitFor(20, TimeUnit.SECONDS)) {
                    api.destroyForcibly();
                }
            }
        }
    }

    private static void awaitReady(HttpClient http, int port, Process api, Path log) throws Exception {
        for (long deadline = System.currentTimeMillis() + 120_000; System.currentTimeMillis() < deadline; Thread.sleep(300)) {
            if (!api.isAlive()) {
                fail("the API process exited: " + tail(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
        }
        fail("the API was not ready within 120 s: " + tail(log));
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest d = Ids.sha256();
        try (in) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                d.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static String tail(Path log) throws java.io.IOException {
        String s = Files.exists(log) ? Files.readString(log) : "";
        return s.substring(Math.max(0, s.length() - 4000));
    }
}
