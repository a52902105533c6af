package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.InputLimits;
import java.nio.charset.StandardCharsets;
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
        file.forEachLine(line -> seen.add(line.number() + ":" + new String(line.content(), StandardCharsets.UTF_8)));
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

    @Test
    void endsLinesAtLfCrAndCrLfAsReadLineDoes() throws Exception {
        Path f = dir.resolve("in.jsonl");
        Files.writeString(f, "a\r\nb\rc\nd");

        List<String> seen = new ArrayList<>();
        new BatchFile(f).forEachLine(line -> seen.add(line.number() + ":" + new String(line.content(), StandardCharsets.UTF_8)));

        assertThat(seen).containsExactly("1:a", "2:b", "3:c", "4:d");
    }

    @Test
    void countsALineOverTheLimitWithoutKeepingIt() throws Exception {
        Path f = dir.resolve("in.jsonl");
        byte[] huge = new byte[InputLimits.MAX_LINE_BYTES + 10];
        java.util.Arrays.fill(huge, (byte) 'x');
        try (var out = Files.newOutputStream(f)) {
            out.write(huge);
            out.write("\n{}\n".getBytes(StandardCharsets.UTF_8));
        }

        List<BatchFile.Line> seen = new ArrayList<>();
        new BatchFile(f).forEachLine(seen::add);

        assertThat(seen).hasSize(2);
        assertThat(seen.get(0).length()).isEqualTo(InputLimits.MAX_LINE_BYTES + 10);
        assertThat(seen.get(0).content()).isNull();
        assertThat(seen.get(1).content()).containsExactly('{', '}');
    }

    @Test
    void handsOverBytesThatAreNotUtf8AsTheyAre() throws Exception {
        Path f = dir.resolve("in.jsonl");
        byte[] bad = {'{', (byte) 0xC3, (byte) 0x28, '}'};
        Files.write(f, bad);

        List<BatchFile.Line> seen = new ArrayList<>();
        new BatchFile(f).forEachLine(seen::add);

        assertThat(seen).singleElement().satisfies(l -> assertThat(l.content()).isEqualTo(bad));
    }
}
