package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchFileTest {
    @TempDir
    Path dir;

    @Test
    void skipsBlankLinesButKeepsPhysicalLineNumbers() throws Exception {
        Path f = dir.resolve("in.jsonl");
        Files.writeString(f, "{\"a\":1}\n\n  \n{\"b\":2}\n");
        BatchFile file = new BatchFile(f);
        List<String> seen = new ArrayList<>();
        file.forEachLine((n, text) -> seen.add(n + ":" + text));
        assertThat(seen).containsExactly("1:{\"a\":1}", "4:{\"b\":2}");
        assertThat(file.summarize().requests()).isEqualTo(2);
    }

    @Test
    void batchIdIsAHashOfTheContent() throws Exception {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        Path c = dir.resolve("c.jsonl");
        Files.writeString(a, "{\"x\":1}\n");
        Files.writeString(b, "{\"x\":1}\n");
        Files.writeString(c, "{\"x\":2}\n");
        assertThat(new BatchFile(a).summarize().defaultBatchId()).isEqualTo(new BatchFile(b).summarize().defaultBatchId())
                .isNotEqualTo(new BatchFile(c).summarize().defaultBatchId()).startsWith("batch_");
    }
}
