package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch layout: joins, leaves, free-row reuse and compaction keep every row's logits those of its sequence alone. */
class BatchKvTest {
    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path dir;
    static DecoderSession session;
    static int contextLength;

    @BeforeAll
    static void load() throws Exception {
        TinyModel.write(dir);
        ModelConfig config = ModelConfig.read(dir);
        session = new DecoderSession(dir.resolve("model.onnx"), config);
        contextLength = config.contextLength();
    }

    @AfterAll
    static void close() {
        session.close();
    }

    /** A sequence decoded through the batch, checked against a full forward of its tokens alone. */
    private static final class Seq {
        final List<Long> tokens = new ArrayList<>();
        BatchKv.Row row;

        Seq(Random random, int length) {
            for (int i = 0; i < length; i++) {
                tokens.add((long) random.nextInt(600));
            }
        }
    }

    @Test
    void rowsComputeWhatTheirSequencesComputeAloneThroughJoinsLeavesAndCompaction() throws Exception {
        Random random = new Random(3);
        BatchKv batch = new BatchKv(session, contextLength);
        List<Seq> live = new ArrayList<>();

        join(batch, live, new Seq(random, 5));
        join(batch, live, new Seq(random, 12)); // longer than the batch: every row moves right
        join(batch, live, new Seq(random, 3));
        stepAndCheck(batch, live, 2);

        Seq leaving = live.remove(1);
        batch.leave(leaving.row);
        stepAndCheck(batch, live, 1);
        join(batch, live, new Seq(random, 4)); // takes over the freed row
        assertThat(batch.rows()).isEqualTo(3);
        stepAndCheck(batch, live, 2);

        // Three quarters of the rows leave: the batch compacts to the live one.
        join(batch, live, new Seq(random, 2));
        for (Seq s : List.copyOf(live.subList(0, 3))) {
            batch.leave(s.row);
            live.remove(s);
        }
        batch.compactIfWasteful();
        assertThat(batch.rows()).isEqualTo(1);
        stepAndCheck(batch, live, 2);
        join(batch, live, new Seq(random, 7));
        stepAndCheck(batch, live, 3);

        for (Seq s : List.copyOf(live)) {
            batch.leave(s.row);
        }
        batch.compactIfWasteful();
        assertThat(batch.rows()).isZero();
    }

    @Test
    void aLimitedBatchGrowsNoFurtherThanItsLimitAndCompactsInsteadOfWidening() throws Exception {
        Random random = new Random(5);
        long slotBytes = (long) session.kvTensors() * session.kvHeads() * session.headDim() * session.kvBytes();
        long limit = 2 * 3 * 15 * slotBytes; // both buffers of 3 rows × 15 slots
        BatchKv batch = new BatchKv(session, contextLength, 3);
        batch.limit(limit);
        List<Seq> live = new ArrayList<>();
        join(batch, live, new Seq(random, 5));
        join(batch, live, new Seq(random, 12));
        join(batch, live, new Seq(random, 3));
        stepAndCheck(batch, live, 2);
        assertThat(batch.allocatedBytes()).as("unlimited, headroom would take 3 rows × 78 slots").isLessThanOrEqualTo(limit);

        // Row 0 leaves; a step fills the 15 slots. Rows of 15 and 6 tokens waste less than half of
        // the 3 × 15 layout, but a 16th slot would take it past the limit: it compacts instead.
        batch.leave(live.remove(0).row);
        stepAndCheck(batch, live, 1);
        batch.compactIfWasteful();
        assertThat(batch.rows()).isEqualTo(2);
        stepAndCheck(batch, live, 2);
        assertThat(batch.allocatedBytes()).isLessThanOrEqualTo(limit);

        for (Seq s : List.copyOf(live)) {
            batch.leave(s.row);
            live.remove(s);
        }
        batch.release();
        assertThat(batch.allocatedBytes()).isZero();
        join(batch, live, new Seq(random, 6));
        stepAndCheck(batch, live, 2);
    }

    private static void join(BatchKv batch, List<Seq> live, Seq s) throws Exception {
        long[] ids = s.tokens.stream().mapToLong(Long::longValue).toArray();
        try (KvCache empty = session.emptyCache(1)) {
            DecoderSession.Step step = session.forward(new long[][] {ids}, new long[][] {ones(ids.length)},
                    new long[][] {range(ids.length)}, empty);
            try (KvCache cache = step.cache()) {
                s.row = batch.join(cache);
            }
            s.tokens.add((long) Sampler.argmax(step.lastLogits()[0]));
        }
        live.add(s);
    }

    private static void stepAndCheck(BatchKv batch, List<Seq> live, int steps) throws Exception {
        for (int k = 0; k < steps; k++) {
            long[] tokens = new long[batch.rows()];
            long[] positions = new long[batch.rows()];
            for (Seq s : live) {
                tokens[s.row.index()] = s.tokens.get(s.tokens.size() - 1);
                positions[s.row.index()] = s.tokens.size() - 1;
            }
            float[][] logits = batch.step(tokens, positions);
            for (Seq s : live) {
                float[] alone = alone(s.tokens);
                assertThat(maxAbsDiff(logits[s.row.index()], alone)).isLessThan(TOLERANCE);
                s.tokens.add((long) Sampler.argmax(alone));
            }
        }
    }

    private static float[] alone(List<Long> tokens) throws Exception {
        long[] ids = tokens.stream().mapToLong(Long::longValue).toArray();
        try (KvCache empty = session.emptyCache(1)) {
            DecoderSession.Step step = session.forward(new long[][] {ids}, new long[][] {ones(ids.length)},
                    new long[][] {range(ids.length)}, empty);
            step.cache().close();
            return step.lastLogits()[0];
        }
    }

    private static long[] ones(int n) {
        long[] a = new long[n];
        Arrays.fill(a, 1);
        return a;
    }

    private static long[] range(int n) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
