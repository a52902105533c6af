package io.millrace.worker.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The KV cache of the decoding batch and its one-token-per-row forward step.
 *
 * <p>Layout: per cache tensor, one [rows, heads, slots, head_dim] array. A row's tokens fill its
 * last {@code span} slots (right-aligned); the slots before them are masked (attention_mask 0) and
 * zeroed. Each step appends one slot to every row, so rows stay right-aligned without moving, and
 * position_ids carry each row's true positions, so a row computes what its sequence alone would
 * (up to float rounding), however many masked slots precede it. A free row (its sequence left) attends only to its own
 * newest slot: it costs one padded token a step until a joining sequence takes it over or a
 * compaction drops it.
 *
 * <p>The numbers are kept in the model's own cache type, float32 or float16 (an fp16 export's
 * cache is never widened), and moved as raw bytes: joining, compacting and stepping do not depend
 * on the type.
 *
 * <p>Positions: position_ids carry each row's true positions. A model without a position_ids input
 * derives them in its graph from the attention mask (cumulative sum − 1), which counts only the
 * unmasked slots; a row's tokens are contiguous and right-aligned, so the masked slots all precede
 * them and the count is the row's own length: those models get true positions too.
 *
 * <p>The arrays live in direct buffers this class owns: ONNX Runtime reads the past from them and
 * writes the present into the other buffer of a pair (pinned outputs; the Java API has no IO
 * binding), so a sequence joins by copying only its own KV into a free row, and sequences leave
 * without any copy. Compared with feeding ONNX Runtime's own present outputs back (as batch-size-1
 * generation does), a step costs the same (measured: 43 ms for 16 rows of GPT-2-small shape at 100
 * slots either way), but editing a row in place needs memory Java can write. The whole batch is
 * copied (compacted) only when its rows need more slots than it has, or when it is at least twice
 * as large as its live rows need: then the copy, about as large as the present copy every step
 * makes anyway, halves the cost of every later step. The buffers (two per tensor, grown rarely
 * and by a lot, see {@link #ensure}) hold what the batch has needed so far, within the share of
 * the engine's KV budget it is given ({@link #limit}), and at most 2 × 50 MB for each of the 24
 * tensors of GPT-2 small at 16 rows × 1024 slots; they count against the JVM's
 * -XX:MaxDirectMemorySize, which defaults to the maximum heap size.
 *
 * <p>Not thread-safe: the engine's inference thread owns it.
 */
final class BatchKv {
    /** A sequence's row. Its index changes when the batch is compacted. */
    static final class Row {
        private int index;
        /** Tokens of the sequence in the cache; 0 marks a free row. */
        private int span;

        private Row(int index, int span) {
            this.index = index;
            this.span = span;
        }

        int index() {
            return index;
        }
    }

    /** Slots a buffer grows beyond what is needed now: a batch decodes one more slot a step. */
    static final int HEADROOM_SLOTS = 64;

    private final DecoderSession session;
    private final int contextLength;
    private final int expectedRows;
    private final int tensors;
    private final int heads;
    private final int headDim;
    /** Bytes per cached number: 4 for float32, 2 for float16. */
    private final int bytes;
    private final List<Row> rows = new ArrayList<>();
    /** What the next step reads as the past, and where it writes the present; swapped after each step. */
    private ByteBuffer[] live;
    private ByteBuffer[] spare;
    private int slots;
    private byte[] zeros = new byte[0];
    /** Where each step's logits are written (null: onnxruntime allocates them), sized for {@code expectedRows} rows and grown rarely. */
    private ByteBuffer logits;
    /** What both buffers of every tensor may hold together ({@link #limit}). */
    private long limitBytes = Long.MAX_VALUE;

    BatchKv(DecoderSession session, int contextLength) {
        this(session, contextLength, 1);
    }

    /** @param expectedRows rows the batch will likely grow to (the engine's maxBatchSize): the buffers are sized for them from the start */
    BatchKv(DecoderSession session, int contextLength, int expectedRows) {
        this.session = session;
        this.contextLength = contextLength;
        this.expectedRows = expectedRows;
        this.tensors = session.kvTensors();
        this.heads = session.kvHeads();
        this.headDim = session.headDim();
        this.bytes = session.kvBytes();
        this.live = allocate(0);
        this.spare = allocate(0);
    }

    /** Rows in the batch, free ones included: the length of {@link #step}'s arguments. */
    int rows() {
        return rows.size();
    }

    /**
     * Caps what the buffers hold, both of every tensor together (the engine's KV budget gives the
     * batch its share): they grow no further than that, and the batch is compacted rather than
     * laid out wider. A layout that needs more than the cap even compacted is still given its
     * memory: the engine's admissions keep that from happening.
     */
    void limit(long bytes) {
        limitBytes = bytes;
    }

    /** What the buffers hold now, both of every tensor: memory allocated, used or not. */
    long allocatedBytes() {
        return (long) tensors * (live[0].capacity() + spare[0].capacity());
    }

    /**
     * Lets go of the buffers of a batch with no sequence left, so that their memory can go to other
     * uses of the KV budget (prompts being prefilled); the JVM frees direct memory once the buffers
     * are collected. The next join allocates afresh.
     */
    void release() {
        if (!liveRows().isEmpty()) {
            throw new IllegalStateException("the batch still has sequences: only an empty batch lets go of its memory");
        }
        rows.clear();
        slots = 0;
        DirectBuffers.free(live);
        DirectBuffers.free(spare);
        live = allocate(0);
        spare = allocate(0);
    }

    /** Moves a prefilled sequence's cache [1, heads, length, head_dim] into the batch. */
    Row join(KvCache cache) {
        int length = cache.length();
        ByteBuffer[] kv = new ByteBuffer[tensors];
        for (int t = 0; t < tensors; t++) {
            kv[t] = cache.read(t);
        }
        int free = 0;
        while (free < rows.size() && rows.get(free).span > 0) {
            free++;
        }
        // Wider than the layout, or one row more than the cap allows at this width: compact with it.
        if (length > slots || (free == rows.size() && layoutBytes(rows.size() + 1, slots) > bufferCap())) {
            Row row = new Row(-1, length);
            List<Row> keep = liveRows();
            int width = Math.max(length, keep.stream().mapToInt(r -> r.span).max().orElse(0));
            keep.add(row);
            relayout(keep, width, row, kv);
            return row;
        }
        Row row = new Row(free, length);
        if (free == rows.size()) {
            rows.add(row);
            live = ensure(live, rows.size(), slots, free);
        } else {
            rows.set(free, row);
        }
        write(live, free, slots, kv, length);
        return row;
    }

    /** Frees the sequence's row; its memory is reclaimed by a later join or compaction. */
    void leave(Row row) {
        if (rows.get(row.index) == row) {
            rows.set(row.index, new Row(row.index, 0));
        }
    }

    /**
     * Runs one token for every row and appends it to the cache.
     *
     * @param tokens the input token of each row (ignored for free rows)
     * @param positions its position in the row's sequence
     * @return the logits of each row
     */
    float[][] step(long[] tokens, long[] positions) throws OrtException {
        int n = rows.size();
        spare = ensure(spare, n, slots + 1, 0);
        long[][] ids = new long[n][1];
        long[][] mask = new long[n][slots + 1];
        long[][] pos = new long[n][1];
        for (int r = 0; r < n; r++) {
            int span = rows.get(r).span;
            // A free row attends to its own slot only: a query with no key at all is NaN in exports that mask with -inf.
            for (int s = slots - span; s <= slots; s++) {
                mask[r][s] = 1;
            }
            if (span > 0) {
                ids[r][0] = tokens[r];
                pos[r][0] = positions[r];
            }
        }
        Map<String, OnnxTensor> past = new HashMap<>();
        Map<String, OnnxTensor> present = new HashMap<>();
        try {
            for (int t = 0; t < tensors; t++) {
                past.put(DecoderSession.pastName(t), tensor(live[t], n, slots));
                present.put(DecoderSession.presentName(t), tensor(spare[t], n, slots + 1));
            }
            float[][] logits = session.forwardInto(ids, mask, pos, slots, past, present, logitsBuffer(n));
            ByteBuffer[] written = spare;
            spare = live;
            live = written;
            slots++;
            for (Row row : rows) {
                if (row.span > 0) {
                    row.span++;
                }
            }
            return logits;
        } finally {
            past.values().forEach(OnnxTensor::close);
            present.values().forEach(OnnxTensor::close);
        }
    }

    /** A buffer for {@code n} rows of logits, the same one from step to step; null where the session cannot write into one. */
    private ByteBuffer logitsBuffer(int n) {
        long vocab = session.pinnableVocab();
        if (vocab == 0) {
            return null;
        }
        if (logits == null || logits.capacity() < n * vocab * Float.BYTES) {
            logits = ByteBuffer.allocateDirect((int) (Math.max(n, expectedRows) * vocab * Float.BYTES)).order(ByteOrder.nativeOrder());
        }
        return logits;
    }

    /**
     * Drops free rows at the end, and compacts the batch when it holds at least twice the slots its
     * live rows need (or would outgrow the model's context), so waste never more than doubles a step.
     */
    void compactIfWasteful() {
        while (!rows.isEmpty() && rows.get(rows.size() - 1).span == 0) {
            rows.remove(rows.size() - 1);
        }
        if (rows.isEmpty()) {
            slots = 0;
            return;
        }
        List<Row> keep = liveRows();
        int maxSpan = keep.stream().mapToInt(r -> r.span).max().orElseThrow();
        if (2L * keep.size() * maxSpan <= (long) rows.size() * slots || slots + 1 > contextLength
                || layoutBytes(rows.size(), slots + 1) > bufferCap()) {
            relayout(keep, maxSpan, null, null);
        }
    }

    /** Bytes one tensor's buffer needs for a layout of {@code rowCount} rows × {@code slotCount} slots. */
    private long layoutBytes(int rowCount, long slotCount) {
        return rowCount * slotCount * heads * headDim * bytes;
    }

    /** What one buffer of one tensor may hold under {@link #limit}. */
    private long bufferCap() {
        return limitBytes / (2L * tensors);
    }

    private List<Row> liveRows() {
        List<Row> keep = new ArrayList<>();
        for (Row r : rows) {
            if (r.span > 0) {
                keep.add(r);
            }
        }
        return keep;
    }

    /** Copies {@code keep} (and {@code joining}, from {@code kv}) right-aligned into {@code newSlots} slots of the spare buffers. */
    private void relayout(List<Row> keep, int newSlots, Row joining, ByteBuffer[] kv) {
        spare = ensure(spare, keep.size(), newSlots, 0);
        for (int i = 0; i < keep.size(); i++) {
            Row row = keep.get(i);
            if (row == joining) {
                write(spare, i, newSlots, kv, row.span);
            } else {
                for (int t = 0; t < tensors; t++) {
                    for (int h = 0; h < heads; h++) {
                        int from = ((row.index * heads + h) * slots + slots - row.span) * headDim;
                        zeroAndPut(spare[t], i, h, newSlots, row.span, live[t], from);
                    }
                }
            }
            row.index = i;
        }
        ByteBuffer[] written = spare;
        spare = live;
        live = written;
        slots = newSlots;
        rows.clear();
        rows.addAll(keep);
    }

    /** Writes a [1, heads, length, head_dim] cache into row {@code r} of a [rows, heads, slots, head_dim] layout. */
    private void write(ByteBuffer[] into, int r, int slotCount, ByteBuffer[] kv, int length) {
        for (int t = 0; t < tensors; t++) {
            for (int h = 0; h < heads; h++) {
                zeroAndPut(into[t], r, h, slotCount, length, kv[t], h * length * headDim);
            }
        }
    }

    /**
     * Row r, head h of a layout with {@code slotCount} slots: zeroes the masked slots, then copies
     * {@code span} tokens from {@code src} at number {@code from}.
     */
    private void zeroAndPut(ByteBuffer into, int r, int h, int slotCount, int span, ByteBuffer src, int from) {
        int base = (r * heads + h) * slotCount * headDim * bytes;
        int pad = (slotCount - span) * headDim * bytes;
        if (zeros.length < pad) {
            zeros = new byte[pad];
        }
        into.put(base, zeros, 0, pad);
        into.put(base + pad, src, from * bytes, span * headDim * bytes);
    }

    private OnnxTensor tensor(ByteBuffer buffer, int rowCount, int slotCount) throws OrtException {
        int length = rowCount * heads * slotCount * headDim * bytes;
        return session.kvTensor(buffer.duplicate().position(0).limit(length).slice().order(ByteOrder.nativeOrder()),
                new long[] {rowCount, heads, slotCount, headDim});
    }

    /**
     * Buffers that hold [rowCount, heads, slotCount, head_dim], the same ones if they do; the first
     * {@code keepRows} rows are kept. Fresh memory is expensive (the JVM zeroes it and the kernel
     * faults every page in: measured, up to 2 s of a 22 s quick benchmark went to growing these
     * buffers step by step), so they grow rarely and by a lot: at least to {@code expectedRows}
     * rows with {@link #HEADROOM_SLOTS} more slots than now, and at least doubled, but not past
     * {@link #limit}.
     */
    private ByteBuffer[] ensure(ByteBuffer[] buffers, int rowCount, int slotCount, int keepRows) {
        long slotBytes = (long) heads * headDim * bytes;
        long needed = rowCount * slotCount * slotBytes;
        if (needed <= buffers[0].capacity()) {
            return buffers;
        }
        if (needed > Integer.MAX_VALUE) {
            throw new IllegalStateException("the batch cache needs " + needed + " bytes per tensor, over"
                    + " the 2 GiB a direct buffer holds: lower maxBatchSize");
        }
        long roomy = Math.max(rowCount, expectedRows) * (long) Math.min(slotCount + HEADROOM_SLOTS, contextLength + 1) * slotBytes;
        long most = Math.max(rowCount, expectedRows) * (contextLength + 1L) * slotBytes; // never more than a full context
        long wanted = Math.min(bufferCap(), Math.min(most, Math.max(roomy, buffers[0].capacity() * 2L)));
        int size = (int) Math.min(Integer.MAX_VALUE, Math.max(needed, wanted));
        ByteBuffer[] grown = allocate(size);
        int kept = keepRows * heads * slotCount * headDim * bytes;
        for (int t = 0; t < tensors; t++) {
            grown[t].put(0, buffers[t], 0, kept);
        }
        DirectBuffers.free(buffers);
        return grown;
    }

    private ByteBuffer[] allocate(int size) {
        ByteBuffer[] buffers = new ByteBuffer[tensors];
        for (int t = 0; t < tensors; t++) {
            buffers[t] = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        }
        return buffers;
    }
}
