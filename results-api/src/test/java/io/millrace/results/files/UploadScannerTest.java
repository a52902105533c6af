package io.millrace.results.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UploadScannerTest {
    private static UploadScanner.Summary scan(byte[] bytes, int piece) throws UploadScanner.Rejected {
        UploadScanner s = new UploadScanner();
        for (int i = 0; i < bytes.length; i += piece) {
            s.feed(bytes, i, Math.min(piece, bytes.length - i));
        }
        return s.finish();
    }

    private static UploadScanner.Summary scan(String text) throws UploadScanner.Rejected {
        return scan(text.getBytes(StandardCharsets.UTF_8), 3);
    }

    @Test
    void countsNonBlankLinesAsABatchCountsRequests() throws Exception {
        assertThat(scan("{}\n{}\n").lines()).isEqualTo(2);
        assertThat(scan("{}\n{}").lines()).isEqualTo(2); // no final line end
        assertThat(scan("{}\r\n\r\n  \t\n{}\r{}").lines()).isEqualTo(3); // CRLF, CR, blank lines
        assertThat(scan("{\"a\":\"é中😀\"}\n").bytes()).isEqualTo("{\"a\":\"é中😀\"}\n".getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void aMultiByteCharacterSplitAcrossReadsIsFine() throws Exception {
        byte[] b = "😀😀😀\n".getBytes(StandardCharsets.UTF_8);
        for (int piece = 1; piece <= b.length; piece++) {
            assertThat(scan(b, piece).lines()).isEqualTo(1);
        }
    }

    @Test
    void refusesWhatIsNotUtf8NamingTheLine() {
        assertThatThrownBy(() -> scan(new byte[] {'{', '}', '\n', 'a', (byte) 0xFF, '\n'}, 4))
                .isInstanceOfSatisfying(UploadScanner.Rejected.class, e -> {
                    assertThat(e.status).isEqualTo(400);
                    assertThat(e.param).isEqualTo("file");
                    assertThat(e.getMessage()).contains("not UTF-8", "line 2", "0xFF");
                });
        // Latin-1 é, an overlong '/', a UTF-16 surrogate, a truncated character at the end.
        for (byte[] bad : new byte[][] {{'a', (byte) 0xE9, 'b'}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {'a', (byte) 0xE2, (byte) 0x82}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}}) {
            assertThatThrownBy(() -> scan(bad, 1)).isInstanceOf(UploadScanner.Rejected.class).hasMessageContaining("not UTF-8");
        }
    }

    @Test
    void refusesAFileOverTheLimitsOrEmpty() {
        UploadScanner small = new UploadScanner(10, 2);
        assertThatThrownBy(() -> small.feed(new byte[11], 0, 11))
                .isInstanceOfSatisfying(UploadScanner.Rejected.class, e -> assertThat(e.status).isEqualTo(413))
                .hasMessageContaining("10 bytes");
        UploadScanner few = new UploadScanner(100, 2);
        byte[] three = "a\nb\nc\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> few.feed(three, 0, three.length))
                .isInstanceOfSatisfying(UploadScanner.Rejected.class, e -> assertThat(e.status).isEqualTo(400))
                .hasMessageContaining("more than the limit of 2 requests");
        assertThatThrownBy(() -> scan("\n \n")).hasMessageContaining("no lines");
        assertThatThrownBy(() -> scan("")).hasMessageContaining("no lines");
        assertThat(UploadScanner.MAX_BYTES).isEqualTo(209_715_200L);
        assertThat(UploadScanner.MAX_LINES).isEqualTo(50_000L);
    }
}
