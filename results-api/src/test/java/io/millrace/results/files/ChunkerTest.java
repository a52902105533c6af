package io.millrace.results.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {
    private static List<byte[]> split(byte[] content, int max) throws IOException {
        // A stream that returns few bytes per read, as a network or multipart stream does.
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(content)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 3));
            }
        };
        List<byte[]> chunks = new ArrayList<>();
        int n = Chunker.split(trickle, max, chunks::add);
        assertThat(n).isEqualTo(chunks.size());
        return chunks;
    }

    private static byte[] concat(List<byte[]> chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chunks.forEach(out::writeBytes);
        return out.toByteArray();
    }

    @Test
    void chunksEndAtLineEndsAndGiveTheContentBack() throws Exception {
        byte[] content = "aaaa\nbbbb\ncc\nddddddd\ne".getBytes(StandardCharsets.UTF_8);
        List<byte[]> chunks = split(content, 10);
        assertThat(chunks).extracting(c -> new String(c, StandardCharsets.UTF_8))
                .containsExactly("aaaa\nbbbb\n", "cc\n", "ddddddd\ne");
        assertThat(concat(chunks)).isEqualTo(content);
    }

    @Test
    void aLineLongerThanAChunkContinuesInTheNext() throws Exception {
        byte[] content = "0123456789012345678901234\nab\n".getBytes(StandardCharsets.UTF_8);
        List<byte[]> chunks = split(content, 10);
        assertThat(chunks).allSatisfy(c -> assertThat(c.length).isLessThanOrEqualTo(10));
        assertThat(concat(chunks)).isEqualTo(content);
    }

    @Test
    void emptyAndExactSizes() throws Exception {
        assertThat(split(new byte[0], 4)).isEmpty();
        assertThat(split("abc\n".getBytes(StandardCharsets.UTF_8), 4)).hasSize(1);
        assertThat(split("abc\nabc\n".getBytes(StandardCharsets.UTF_8), 4)).hasSize(2);
    }
}
