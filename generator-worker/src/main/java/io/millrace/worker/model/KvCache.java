package io.millrace.worker.model;

import ai.onnxruntime.OnnxTensor;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The attention keys and values of every layer for the tokens seen so far, as tensors ready to
 * feed back as {@code past_key_values.*}. It owns the native memory behind them (the previous
 * step's {@code OrtSession.Result}, or the empty tensors of the first step): close it once the
 * next step has run.
 */
final class KvCache implements AutoCloseable {
    private final Map<String, OnnxTensor> pastInputs;
    private final int length;
    private final AutoCloseable owner;
    private final ByteBuffer[] buffers;

    /**
     * @param pastInputs tensors keyed by the model input they feed ({@code past_key_values.i.key|value})
     * @param length positions cached: the past length the next step must declare in its attention mask
     */
    KvCache(Map<String, OnnxTensor> pastInputs, int length, AutoCloseable owner) {
        this(pastInputs, length, owner, null);
    }

    /** @param buffers the bytes behind tensor t, where the tensors are over buffers of the caller's (null: onnxruntime's memory) */
    KvCache(Map<String, OnnxTensor> pastInputs, int length, AutoCloseable owner, ByteBuffer[] buffers) {
        this.pastInputs = Map.copyOf(pastInputs);
        this.length = length;
        this.owner = owner;
        this.buffers = buffers;
    }

    Map<String, OnnxTensor> pastInputs() {
        return pastInputs;
    }

    int length() {
        return length;
    }

    /**
     * Tensor {@code t} (numbered as {@link DecoderSession#kvTensors}), [batch, heads, length, head_dim]
     * row-major, as the raw numbers of the model's cache type (float32 or float16) in native byte order.
     */
    ByteBuffer read(int t) {
        // Over buffers of ours (pinned outputs): a view, read before the buffers are written again.
        // Onnxruntime's own outputs can only be copied out, into fresh direct memory.
        if (buffers != null) {
            return buffers[t].duplicate().order(java.nio.ByteOrder.nativeOrder());
        }
        return pastInputs.get(DecoderSession.pastName(t)).getByteBuffer();
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot release the KV cache", e);
        }
    }
}
