package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileListPage;
import com.openai.models.files.FileListParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Files API as OpenAI's Java SDK uses it, on the embedded broker: upload, list and page,
 * retrieve, download byte for byte, delete; files survive a restart of the API on the same data
 * dir (they live in Kafka); unusable uploads are refused with OpenAI errors. Only the API role
 * runs: files need no router or worker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FilesApiIT {
    @TempDir
    static Path dir;
    static TestKafka kafka;
    static Deployment serve;

    @BeforeAll
    static void startServe() throws Exception {
        kafka = TestKafka.start(dir.resolve("broker"));
        serve = startApi();
    }

    private static Deployment startApi() throws IOException {
        Deployment d = Deployment.start(new Settings(kafka.bootstrapServers(), dir, 0, 0, List.of(), "files-api-it", -1, Map.of()),
                EnumSet.of(Role.API));
        d.awaitRunning(Duration.ofSeconds(60));
        return d;
    }

    @AfterAll
    static void stopServe() throws Exception {
        if (serve != null) {
            serve.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port() + "/v1")
                .apiKey("not-checked-yet").maxRetries(0).build();
    }

    private static int port() {
        return serve.api().orElseThrow().httpPort();
    }

    private static FileObject upload(Path file) {
        return openAi().files().create(FileCreateParams.builder().file(file).purpose(FilePurpose.BATCH).build());
    }

    private static byte[] download(String id) throws IOException {
        try (HttpResponse r = openAi().files().content(id); InputStream in = r.body()) {
            return in.readAllBytes();
        }
    }

    @Test
    @Order(1)
    void uploadRetrieveDownloadAndDelete() throws Exception {
        // A bad line is stored as it is: as on OpenAI, it is reported when a batch runs it.
        String text = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Grüße, 世界 😀\"}]}}\r\n\n not json at all\n{\"custom_id\":\"c\"}";
        Path file = dir.resolve("small.jsonl");
        Files.writeString(file, text, StandardCharsets.UTF_8);

        FileObject created = upload(file);

        assertThat(created.id()).matches("file-[0-9a-f]{24}");
        assertThat(created.bytes()).isEqualTo(Files.size(file));
        assertThat(created.filename()).isEqualTo("small.jsonl");
        assertThat(created.purpose()).isEqualTo(FileObject.Purpose.BATCH);
        assertThat(created.createdAt()).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(60L));
        FileObject retrieved = openAi().files().retrieve(created.id());
        assertThat(retrieved).isEqualTo(created);
        assertThat(download(created.id())).isEqualTo(Files.readAllBytes(file));

        assertThat(openAi().files().delete(created.id()).deleted()).isTrue();
        assertThatThrownBy(() -> openAi().files().retrieve(created.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> openAi().files().content(created.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> openAi().files().delete(created.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> openAi().files().retrieve("file-nope")).isInstanceOfSatisfying(NotFoundException.class,
                e -> assertThat(e.getMessage()).contains("No file found with id 'file-nope'"));
    }

    @Test
    @Order(2)
    void listsNewestFirstInPages() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Path f = dir.resolve("page-" + i + ".jsonl");
            Files.writeString(f, "{\"custom_id\":\"" + i + "\"}\n");
            ids.add(upload(f).id());
            Thread.sleep(2); // distinct creation milliseconds: ids sort by them
        }
        List<String> newestFirst = new ArrayList<>(ids);
        java.util.Collections.reverse(newestFirst);

        FileListPage first = openAi().files().list(FileListParams.builder().limit(2).build());
        assertThat(first.data()).extracting(FileObject::id).containsExactlyElementsOf(newestFirst.subList(0, 2));
        assertThat(first.hasNextPage()).isTrue();
        List<String> all = new ArrayList<>();
        first.autoPager().forEach(f -> all.add(f.id()));
        assertThat(all).startsWith(newestFirst.toArray(String[]::new));

        FileListPage asc = openAi().files().list(FileListParams.builder().order(FileListParams.Order.ASC).after(ids.get(1)).limit(2).build());
        assertThat(asc.data()).extracting(FileObject::id).containsExactly(ids.get(2), ids.get(3));
        assertThatThrownBy(() -> openAi().files().list(FileListParams.builder().limit(0).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("limit"));
    }

    @Test
    @Order(3)
    void refusesUploadsThatCannotBeABatchFile() throws Exception {
        Path latin1 = dir.resolve("latin1.jsonl");
        Files.write(latin1, "{\"custom_id\":\"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> upload(latin1)).isInstanceOfSatisfying(BadRequestException.class,
                e -> assertThat(e.getMessage()).contains("not UTF-8", "line 1"));

        Path tooMany = dir.resolve("too-many.jsonl");
        Files.writeString(tooMany, "{}\n".repeat(50_001));
        assertThatThrownBy(() -> upload(tooMany)).isInstanceOfSatisfying(BadRequestException.class,
                e -> assertThat(e.getMessage()).contains("more than the limit of 50000"));

        Path ok = dir.resolve("ok.jsonl");
        Files.writeString(ok, "{}\n");
        assertThatThrownBy(() -> openAi().files().create(FileCreateParams.builder().file(ok).purpose(FilePurpose.ASSISTANTS).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("purpose", "only 'batch'"));

        // Over 200 MB by its declared length: refused before a byte of the body is read.
        try (Socket s = new Socket("localhost", port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                    + "Content-Length: 300000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 413").contains("request_too_large");
        }
        // Nothing refused was stored.
        assertThat(openAi().files().list().data()).extracting(FileObject::filename)
                .doesNotContain("latin1.jsonl", "too-many.jsonl", "ok.jsonl");
    }

    @Test
    @Order(4)
    void aLargeFileRoundTripsAndSurvivesARestart() throws Exception {
        Path large = dir.resolve("large.jsonl");
        try (var w = Files.newBufferedWriter(large, StandardCharsets.UTF_8)) {
            for (int i = 0; i < 20_000; i++) {
                w.write("{\"custom_id\":\"r-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":"
                        + "\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "line " + i + " ".repeat(i % 400)
                        + "é\"}]}}\n");
            }
        }
        assertThat(Files.size(large)).isGreaterThan(5L * 1024 * 1024);

        FileObject created = upload(large);
        assertThat(created.bytes()).isEqualTo(Files.size(large));
        assertThat(download(created.id())).isEqualTo(Files.readAllBytes(large));

        serve.close();
        serve = null;
        serve = startApi();

        assertThat(openAi().files().retrieve(created.id())).isEqualTo(created);
        assertThat(download(created.id())).isEqualTo(Files.readAllBytes(large));
        assertThat(openAi().files().list().data()).extracting(FileObject::id).contains(created.id());
    }
}
