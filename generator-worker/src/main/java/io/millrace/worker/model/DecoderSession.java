package io.millrace.worker.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session over a decoder with the Optimum export interface, and the forward pass
 * over it: any batch of token rows with their attention mask and positions, on top of a
 * {@link KvCache}. Generation uses batch size 1; tests use it to check the graph itself.
 */
final class DecoderSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DecoderSession.class);

    /** The last-position logits of each row, and the cache extended by this step's tokens. */
    record Step(float[][] lastLogits, KvCache cache) {}

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String executionProvider;
    private final int numLayers;
    private final int kvHeads;
    private final int headDim;
    private final boolean hasPositionIds;
    private final boolean hasUseCacheBranch;

    DecoderSession(Path modelFile, ModelConfig config) {
        OrtSession opened = null;
        String provider = "CPU";
        try {
            if (OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                try {
                    opened = open(modelFile, true);
                    provider = "CUDA";
                    log.info("{}: running on CUDA", modelFile);
                } catch (OrtException e) {
                    log.warn("{}: CUDA provider is present but failed ({}); running on CPU", modelFile, e.getMessage());
                }
            } else {
                log.info("{}: running on CPU (this onnxruntime has no CUDA provider; build with -Pgpu for onnxruntime_gpu)", modelFile);
            }
            if (opened == null) {
                opened = open(modelFile, false);
            }
            this.session = opened;
            this.executionProvider = provider;
            this.numLayers = config.numLayers();
            this.kvHeads = config.numKeyValueHeads();
            this.headDim = config.headDim();
            Map<String, NodeInfo> inputs = session.getInputInfo();
            this.hasPositionIds = inputs.containsKey("position_ids");
            this.hasUseCacheBranch = inputs.containsKey("use_cache_branch");
            checkInterface(modelFile, inputs, session.getOutputInfo());
        } catch (OrtException e) {
            closeQuietly(opened);
            throw new ModelLoadException("onnxruntime cannot load " + modelFile + ": " + e.getMessage()
                    + " (re-export it with optimum-cli export onnx --task text-generation-with-past)", e);
        } catch (RuntimeException e) {
            closeQuietly(opened);
            throw e;
        }
    }

    String executionProvider() {
        return executionProvider;
    }

    /** The cache before the first token: zero-length past tensors of shape [batch, heads, 0, head_dim]. */
    KvCache emptyCache(int batch) throws OrtException {
        Map<String, OnnxTensor> past = new HashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            for (int layer = 0; layer < numLayers; layer++) {
                for (String kind : new String[] {"key", "value"}) {
                    OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {batch, kvHeads, 0, headDim});
                    owned.add(t);
                    past.put(pastName(layer, kind), t);
                }
            }
        } catch (OrtException | RuntimeException e) {
            owned.forEach(OnnxTensor::close);
            throw e;
        }
        return new KvCache(past, 0, () -> owned.forEach(OnnxTensor::close));
    }

    /**
     * Runs the tokens {@code inputIds} [batch][seq] after {@code past}.
     *
     * @param attentionMask [batch][past + seq], 0 at padding
     * @param positionIds [batch][seq]; ignored by models without a position_ids input
     */
    Step forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past) throws OrtException {
        int batch = inputIds.length;
        int seq = inputIds[0].length;
        if (attentionMask[0].length != past.length() + seq) {
            throw new IllegalArgumentException("attention mask covers " + attentionMask[0].length
                    + " positions, expected past " + past.length() + " + " + seq);
        }
        Map<String, OnnxTensor> inputs = new HashMap<>(past.pastInputs());
        List<OnnxTensor> created = new ArrayList<>();
        OrtSession.Result result = null;
        try {
            created.add(put(inputs, "input_ids", longTensor(inputIds)));
            created.add(put(inputs, "attention_mask", longTensor(attentionMask)));
            if (hasPositionIds) {
                created.add(put(inputs, "position_ids", longTensor(positionIds)));
            }
            if (hasUseCacheBranch) {
                // Merged exports switch between their with-past and without-past subgraphs on this flag.
                created.add(put(inputs, "use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {past.length() > 0})));
            }
            result = session.run(inputs);
            float[][] last = lastLogits(result, batch, seq);
            Map<String, OnnxTensor> presents = new HashMap<>();
            for (int layer = 0; layer < numLayers; layer++) {
                for (String kind : new String[] {"key", "value"}) {
                    presents.put(pastName(layer, kind), (OnnxTensor) result.get("present." + layer + "." + kind).orElseThrow());
                }
            }
            return new Step(last, new KvCache(presents, past.length() + seq, result));
        } catch (OrtException | RuntimeException e) {
            closeQuietly(result);
            throw e;
        } finally {
            created.forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        closeQuietly(session);
    }

    private OrtSession open(Path modelFile, boolean cuda) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            if (cuda) {
                options.addCUDA(0);
            }
            return env.createSession(modelFile.toString(), options);
        }
    }

    private static float[][] lastLogits(OrtSession.Result result, int batch, int seq) throws OrtException {
        OnnxValue value = result.get("logits").orElseThrow();
        TensorInfo info = (TensorInfo) value.getInfo();
        int vocab = (int) info.getShape()[2];
        FloatBuffer all = ((OnnxTensor) value).getFloatBuffer();
        float[][] last = new float[batch][vocab];
        for (int b = 0; b < batch; b++) {
            all.position((b * seq + seq - 1) * vocab);
            all.get(last[b]);
        }
        return last;
    }

    private void checkInterface(Path modelFile, Map<String, NodeInfo> inputs, Map<String, NodeInfo> outputs) {
        List<String> missing = new ArrayList<>();
        for (String name : new String[] {"input_ids", "attention_mask"}) {
            if (!inputs.containsKey(name)) {
                missing.add("input " + name);
            }
        }
        if (!outputs.containsKey("logits")) {
            missing.add("output logits");
        }
        for (int layer = 0; layer < numLayers; layer++) {
            for (String kind : new String[] {"key", "value"}) {
                if (!inputs.containsKey(pastName(layer, kind))) {
                    missing.add("input " + pastName(layer, kind));
                }
                if (!outputs.containsKey("present." + layer + "." + kind)) {
                    missing.add("output present." + layer + "." + kind);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelLoadException(modelFile + " lacks " + String.join(", ", missing) + " for the " + numLayers
                    + " layers config.json declares: export the decoder with its KV cache"
                    + " (optimum-cli export onnx --task text-generation-with-past)");
        }
        TensorInfo past = (TensorInfo) inputs.get(pastName(0, "key")).getInfo();
        TensorInfo logits = (TensorInfo) outputs.get("logits").getInfo();
        if (past.type != OnnxJavaType.FLOAT || logits.type != OnnxJavaType.FLOAT) {
            throw new ModelLoadException(modelFile + " has " + past.type + " past keys and " + logits.type
                    + " logits, only float32 is supported: export the model in fp32 (no --fp16)");
        }
        long[] shape = past.getShape();
        if ((shape[1] > 0 && shape[1] != kvHeads) || (shape[3] > 0 && shape[3] != headDim)) {
            throw new ModelLoadException(modelFile + " takes past keys of shape " + Arrays.toString(shape)
                    + " but config.json implies " + kvHeads + " heads of size " + headDim
                    + ": config.json does not belong to this model");
        }
    }

    private static String pastName(int layer, String kind) {
        return "past_key_values." + layer + "." + kind;
    }

    private static OnnxTensor put(Map<String, OnnxTensor> inputs, String name, OnnxTensor tensor) {
        inputs.put(name, tensor);
        return tensor;
    }

    private OnnxTensor longTensor(long[][] rows) throws OrtException {
        int cols = rows[0].length;
        LongBuffer data = LongBuffer.allocate(rows.length * cols);
        for (long[] row : rows) {
            data.put(row);
        }
        data.flip();
        return OnnxTensor.createTensor(env, data, new long[] {rows.length, cols});
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.warn("cannot release onnxruntime resource: {}", e.toString());
        }
    }
}
