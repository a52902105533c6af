package io.millrace.worker.model;

import static io.millrace.worker.model.Rows.maxAbsDiff;
import static io.millrace.worker.model.Rows.ones;
import static io.millrace.worker.model.Rows.range;
import static io.millrace.worker.model.Rows.rows;
import static io.millrace.worker.model.Rows.spread;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The graph's attention: the KV cache and padding must not change the logits of real tokens. */
class DecoderSessionTest {
    private static final float TOLERANCE = 1e-4f;
    private static final long PAD = 0;

    @TempDir
    static Path dir;
    static DecoderSession session;
    static HfTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        TinyModel.write(dir);
        session = new DecoderSession(dir.resolve("model.onnx"), ModelConfig.read(dir));
        tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        session.close();
        tokenizer.close();
    }

    @Test
    void cachedDecodeStepsMatchOneFullForward() throws Exception {
        long[] ids = ids("The miller walks along the bank to see how high the river is today.");
        int prefill = 6;
        assertThat(ids.length).isGreaterThan(prefill + 5);

        float[] full;
        try (KvCache empty = session.emptyCache(1)) {
            DecoderSession.Step step = session.forward(rows(ids), rows(ones(ids.length)), rows(range(0, ids.length)), empty);
            full = step.lastLogits()[0];
            step.cache().close();
        }

        KvCache cache = session.emptyCache(1);
        float[] incremental = null;
        int pos = 0;
        while (pos < ids.length) {
            int n = pos == 0 ? prefill : 1;
            DecoderSession.Step step = session.forward(rows(Arrays.copyOfRange(ids, pos, pos + n)),
                    rows(ones(pos + n)), rows(range(pos, n)), cache);
            cache.close();
            cache = step.cache();
            incremental = step.lastLogits()[0];
            pos += n;
        }
        assertThat(cache.length()).isEqualTo(ids.length);
        cache.close();

        assertThat(maxAbsDiff(full, incremental)).isLessThan(TOLERANCE);
        assertThat(spread(full)).as("logits are not degenerate").isGreaterThan(0.1f);
    }

    @Test
    void leftPaddedBatchMatchesEachPromptAlone() throws Exception {
        long[] shortPrompt = ids("Good morning!");
        long[] longPrompt = ids("The kettle whistled and the cups were warm.");
        int width = longPrompt.length;
        int pad = width - shortPrompt.length;
        assertThat(pad).isPositive();

        long[] paddedIds = new long[width];
        long[] paddedMask = new long[width];
        long[] paddedPositions = new long[width]; // real tokens count from 0; pads are masked out anyway
        Arrays.fill(paddedIds, 0, pad, PAD);
        for (int i = 0; i < shortPrompt.length; i++) {
            paddedIds[pad + i] = shortPrompt[i];
            paddedMask[pad + i] = 1;
            paddedPositions[pad + i] = i;
        }

        float[] shortAlone = alone(shortPrompt);
        float[] longAlone = alone(longPrompt);
        try (KvCache empty = session.emptyCache(2)) {
            DecoderSession.Step batch = session.forward(new long[][] {paddedIds, longPrompt},
                    new long[][] {paddedMask, ones(width)}, new long[][] {paddedPositions, range(0, width)}, empty);
            try (KvCache cache = batch.cache()) {
                assertThat(maxAbsDiff(batch.lastLogits()[0], shortAlone)).isLessThan(TOLERANCE);
                assertThat(maxAbsDiff(batch.lastLogits()[1], longAlone)).isLessThan(TOLERANCE);

                // One more token per row on top of the padded cache still matches the unpadded rows.
                long next = 42;
                long[] mask0 = Arrays.copyOf(paddedMask, width + 1);
                mask0[width] = 1;
                DecoderSession.Step decode = session.forward(new long[][] {{next}, {next}},
                        new long[][] {mask0, ones(width + 1)},
                        new long[][] {{shortPrompt.length}, {width}}, cache);
                try (KvCache extended = decode.cache()) {
                    assertThat(extended.length()).isEqualTo(width + 1);
                    assertThat(maxAbsDiff(decode.lastLogits()[0], alone(append(shortPrompt, next)))).isLessThan(TOLERANCE);
                    assertThat(maxAbsDiff(decode.lastLogits()[1], alone(append(longPrompt, next)))).isLessThan(TOLERANCE);
                }
            }
        }
    }

    /** A cache written into the caller's buffers holds what onnxruntime's own outputs hold, and steps on as well. */
    @Test
    void aPresentWrittenIntoOwnBuffersEqualsOnnxruntimes() throws Exception {
        long[] ids = ids("The miller walks along the bank.");
        java.nio.ByteBuffer[] own = new java.nio.ByteBuffer[session.kvTensors()];
        for (int t = 0; t < own.length; t++) {
            // Larger than needed, as a reused buffer is: the cache takes its front.
            own[t] = java.nio.ByteBuffer.allocateDirect(session.kvHeads() * (ids.length + 9) * session.headDim() * session.kvBytes());
        }
        try (KvCache empty = session.emptyCache(1)) {
            DecoderSession.Step theirs = session.forward(rows(ids), rows(ones(ids.length)), rows(range(0, ids.length)), empty, false);
            DecoderSession.Step ours = session.forward(rows(ids), rows(ones(ids.length)), rows(range(0, ids.length)), empty, false, own);
            try (KvCache a = theirs.cache(); KvCache b = ours.cache()) {
                assertThat(ours.lastLogits()[0]).containsExactly(theirs.lastLogits()[0]);
                assertThat(b.length()).isEqualTo(a.length());
                for (int t = 0; t < session.kvTensors(); t++) {
                    java.nio.ByteBuffer expected = a.read(t);
                    assertThat(b.read(t).limit(expected.remaining())).isEqualTo(expected);
                }
                DecoderSession.Step next = session.forward(rows(new long[] {42}), rows(ones(ids.length + 1)),
                        rows(new long[] {ids.length}), b);
                next.cache().close();
                assertThat(maxAbsDiff(next.lastLogits()[0], alone(append(ids, 42)))).isLessThan(TOLERANCE);
            }
        }
    }

    private static float[] alone(long[] ids) throws Exception {
        try (KvCache empty = session.emptyCache(1)) {
            DecoderSession.Step step = session.forward(rows(ids), rows(ones(ids.length)), rows(range(0, ids.length)), empty);
            step.cache().close();
            return step.lastLogits()[0];
        }
    }

    private static long[] ids(String text) {
        return Arrays.stream(tokenizer.encode(text)).asLongStream().toArray();
    }

    private static long[] append(long[] ids, long id) {
        long[] a = Arrays.copyOf(ids, ids.length + 1);
        a[ids.length] = id;
        return a;
    }
}
