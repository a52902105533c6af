package io.millrace.results.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineStreamTest {
    @Test
    void chunksOfPulledLinesGiveTheLinesBackAndCountThem() throws Exception {
        List<byte[]> lines = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            lines.add(("{\"custom_id\":\"" + i + "\"}\n").getBytes(StandardCharsets.UTF_8));
        }
        LineStream in = new LineStream(lines.iterator());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<Integer> sizes = new ArrayList<>();
        Chunker.split(in, 4096, chunk -> {
            sizes.add(chunk.length);
            assertThat(chunk[chunk.length - 1]).as("chunks end at a line end").isEqualTo((byte) '\n');
            all.write(chunk);
        });
        assertThat(sizes).allMatch(n -> n <= 4096).hasSizeGreaterThan(1);
        assertThat(in.lines()).isEqualTo(1000);
        assertThat(in.bytes()).isEqualTo(all.size());
        assertThat(all.toString(StandardCharsets.UTF_8)).startsWith("{\"custom_id\":\"0\"}\n").endsWith("{\"custom_id\":\"999\"}\n");
    }

    @Test
    void derivedIdsAreStableWellFormedAndDifferPerKind() {
        String out = FilesApi.batchFileId("batch_1", 1_750_000_000_123L, "output");
        assertThat(out).isEqualTo(FilesApi.batchFileId("batch_1", 1_750_000_000_123L, "output"));
        assertThat(FileIds.wellFormed(out)).isTrue();
        assertThat(out).isNotEqualTo(FilesApi.batchFileId("batch_1", 1_750_000_000_123L, "error"))
                .isNotEqualTo(FilesApi.batchFileId("batch_2", 1_750_000_000_123L, "output"));
        assertThat(out).startsWith(String.format("file-%012x", 1_750_000_000_123L));
    }
}
