package io.millrace.results.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.FileEvent;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FilePageTest {
    private static final NavigableMap<String, FileEvent> FILES = new TreeMap<>();

    static {
        for (int i = 1; i <= 5; i++) {
            String id = FileIds.newId(1_700_000_000_000L + 10 * i);
            FILES.put(id, new FileEvent(id, "f" + i + ".jsonl", i == 3 ? "other" : "batch", 10 * i, i, 1_700_000_000_000L + i,
                    0, List.of((long) i)));
        }
    }

    private static List<String> names(FilePage p) {
        return p.data().stream().map(FileEvent::filename).toList();
    }

    private static FilePage page(String after, String limit, String order, String purpose) {
        return FilePage.of(FILES, FilePage.Query.parse(after, limit, order, purpose));
    }

    @Test
    void newestFirstByDefaultAndPagesWithAfter() {
        FilePage first = page(null, "2", null, null);
        assertThat(names(first)).containsExactly("f5.jsonl", "f4.jsonl");
        assertThat(first.hasMore()).isTrue();
        FilePage second = page(first.data().get(1).fileId(), "2", null, null);
        assertThat(names(second)).containsExactly("f3.jsonl", "f2.jsonl");
        FilePage last = page(second.data().get(1).fileId(), "2", "desc", null);
        assertThat(names(last)).containsExactly("f1.jsonl");
        assertThat(last.hasMore()).isFalse();
        assertThat(names(page(null, null, null, null))).hasSize(5);
    }

    @Test
    void ascendingPurposeAndACursorWhoseFileIsGone() {
        assertThat(names(page(null, "10000", "asc", null))).containsExactly("f1.jsonl", "f2.jsonl", "f3.jsonl", "f4.jsonl", "f5.jsonl");
        assertThat(names(page(null, null, "asc", "batch"))).doesNotContain("f3.jsonl").hasSize(4);
        // A deleted file's id still says where it was: ids sort by creation time.
        String gone = FileIds.newId(1_700_000_000_025L);
        assertThat(names(page(gone, null, "asc", null))).containsExactly("f3.jsonl", "f4.jsonl", "f5.jsonl");
        assertThat(names(page(gone, null, "desc", null))).containsExactly("f2.jsonl", "f1.jsonl");
        FilePage exact = page(null, "5", null, null);
        assertThat(exact.hasMore()).isFalse();
    }

    @Test
    void badQueriesNameTheirParameter() {
        for (String bad : new String[] {"0", "10001", "-1", "x", ""}) {
            assertThatThrownBy(() -> FilePage.Query.parse(null, bad, null, null)).hasMessage("limit");
        }
        assertThatThrownBy(() -> FilePage.Query.parse(null, null, "newest", null)).hasMessage("order");
    }

    @Test
    void fileObjectsAreOpenAis() {
        FileEvent f = FILES.firstEntry().getValue();
        JsonNode o = FileObjects.file(f);
        assertThat(o.fieldNames()).toIterable().containsExactly("id", "object", "bytes", "created_at", "filename", "purpose",
                "status", "expires_at", "status_details");
        assertThat(o.get("object").asText()).isEqualTo("file");
        assertThat(o.get("created_at").asLong()).isEqualTo(1_700_000_000L);
        assertThat(o.get("status").asText()).isEqualTo("processed");
        assertThat(o.get("expires_at").isNull()).isTrue();
        assertThat(o.get("status_details").isNull()).isTrue();

        JsonNode list = FileObjects.list(page(null, "2", null, null));
        assertThat(list.fieldNames()).toIterable().containsExactly("object", "data", "first_id", "last_id", "has_more");
        assertThat(list.get("first_id").asText()).isEqualTo(list.at("/data/0/id").asText());
        assertThat(list.get("last_id").asText()).isEqualTo(list.at("/data/1/id").asText());
        JsonNode empty = FileObjects.list(new FilePage(List.of(), false));
        assertThat(empty.get("first_id").isNull()).isTrue();
        assertThat(Json.write(FileObjects.deleted("file-x"))).isEqualTo("{\"id\":\"file-x\",\"object\":\"file\",\"deleted\":true}");
    }

    @Test
    void idsSortByCreationAndFilenamesLoseTheirDirectories() {
        String a = FileIds.newId(1_000L);
        String b = FileIds.newId(2_000L);
        assertThat(a).matches("file-[0-9a-f]{24}").isLessThan(b);
        assertThat(FileIds.wellFormed(a)).isTrue();
        assertThat(FileIds.wellFormed("file-abc")).isFalse();
        assertThat(FilesApi.filename("C:\\\\Users\\me\\batch.jsonl")).isEqualTo("batch.jsonl");
        assertThat(FilesApi.filename("../../etc/passwd")).isEqualTo("passwd");
        assertThat(FilesApi.filename(null)).isEqualTo("upload.jsonl");
    }
}
