package io.millrace.worker.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session over a decoder with the Optimum export interface, and the forward pass
 * over it: any batch of token rows with their attention mask and positions, on top of a
 * {@link KvCache}, or on a batch cache the caller owns ({@link #forwardInto}).
 */
final class DecoderSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DecoderSession.class);

    /**
     * The logits of each row, [batch][positions][vocab] (the last position only, unless all were
     * asked for), and the cache extended by this step's tokens.
     */
    record Step(float[][][] logits, KvCache cache) {
        /** Each row's logits at its last position. */
        float[][] lastLogits() {
            float[][] last = new float[logits.length][];
            for (int b = 0; b < logits.length; b++) {
                last[b] = logits[b][logits[b].length - 1];
            }
            return last;
        }
    }

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String executionProvider;
    private final int numLayers;
    private final int kvHeads;
    private final int headDim;
    private final boolean hasPositionIds;
    private final boolean hasUseCacheBranch;
    /** Whether the graph takes {@link LogitPositions#INPUT} (rewritten at load), so that it computes only the logits asked for. */
    private final boolean narrowsLogits;
    /** Logits per position when the graph fixes them and they are float32: decode steps then write them into a buffer the caller reuses; else 0. */
    private final int pinnableVocab;
    /** FLOAT or FLOAT16: the element type of past and present, read from the graph (fp16 exports keep their cache in fp16). */
    private final OnnxJavaType kvType;

    DecoderSession(Path modelFile, ModelConfig config) {
        this(modelFile, config, SessionSettings.defaults());
    }

    DecoderSession(Path modelFile, ModelConfig config, SessionSettings settings) {
        this(modelFile, config, settings, true);
    }

    /**
     * @param narrowLogits rewrite the graph so that it computes logits only where they are needed
     *     ({@link LogitPositions}); false loads it as it is (tests compare the two)
     */
    DecoderSession(Path modelFile, ModelConfig config, SessionSettings settings, boolean narrowLogits) {
        OrtSession opened = null;
        String provider = "CPU";
        try {
            if (OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                try {
                    opened = open(modelFile, true, settings, narrowLogits);
                    provider = "CUDA";
                    log.info("{}: running on CUDA", modelFile);
                } catch (OrtException e) {
                    log.warn("{}: CUDA provider is present but failed ({}); running on CPU", modelFile, e.getMessage());
                }
            } else {
                log.info("{}: running on CPU (this onnxruntime has no CUDA provider; build with -Pgpu for onnxruntime_gpu)", modelFile);
            }
            if (opened == null) {
                opened = open(modelFile, false, settings, narrowLogits);
            }
            this.session = opened;
            this.executionProvider = provider;
            this.numLayers = config.numLayers();
            this.kvHeads = config.numKeyValueHeads();
            this.headDim = config.headDim();
            Map<String, NodeInfo> inputs = session.getInputInfo();
            this.hasPositionIds = inputs.containsKey("position_ids");
            this.hasUseCacheBranch = inputs.containsKey("use_cache_branch");
            this.narrowsLogits = inputs.containsKey(LogitPositions.INPUT);
            this.kvType = checkInterface(modelFile, inputs, session.getOutputInfo());
            TensorInfo logits = (TensorInfo) session.getOutputInfo().get("logits").getInfo();
            long[] logitsShape = logits.getShape();
            this.pinnableVocab = logits.type == OnnxJavaType.FLOAT && logitsShape.length == 3 && logitsShape[2] > 0
                    && logitsShape[2] < Integer.MAX_VALUE / 4 ? (int) logitsShape[2] : 0;
        } catch (OrtException e) {
            closeQuietly(opened);
            throw new ModelLoadException("onnxruntime cannot load " + modelFile + ": " + e.getMessage()
                    + " (re-export it with optimum-cli export onnx --task text-generation-with-past)", e);
        } catch (RuntimeException e) {
            closeQuietly(opened);
            throw e;
        }
    }

    /** Whether the session computes logits only at the positions asked for ({@link LogitPositions}). */
    boolean narrowsLogits() {
        return narrowsLogits;
    }

    String executionProvider() {
        return executionProvider;
    }

    /** Tensors in a cache: a key and a value per layer, numbered 2·layer (key) and 2·layer+1 (value). */
    int kvTensors() {
        return 2 * numLayers;
    }

    int kvHeads() {
        return kvHeads;
    }

    int headDim() {
        return headDim;
    }

    /** Bytes of one cached number: 4 (float32) or 2 (float16). */
    int kvBytes() {
        return kvType.size;
    }

    /** The cache before the first token: zero-length past tensors of shape [batch, heads, 0, head_dim]. */
    KvCache emptyCache(int batch) throws OrtException {
        ByteBuffer[] empty = new ByteBuffer[kvTensors()];
        Arrays.fill(empty, ByteBuffer.allocate(0));
        return cacheOf(empty, batch, 0);
    }

    /** A tensor of the cache's element type over {@code data}'s bytes (native byte order), not copied where the buffer is direct. */
    OnnxTensor kvTensor(ByteBuffer data, long[] shape) throws OrtException {
        // onnxruntime takes a ByteBuffer's bytes as another element type only from a direct buffer.
        ByteBuffer direct = data.isDirect() ? data
                : ByteBuffer.allocateDirect(data.remaining()).order(ByteOrder.nativeOrder()).put(data.duplicate()).flip();
        return OnnxTensor.createTensor(env, direct, shape, kvType);
    }

    /**
     * A cache holding {@code data[t]} as tensor t, each of shape [batch, heads, length, head_dim]
     * in the cache's element type ({@link #kvBytes} per number, native byte order).
     */
    KvCache cacheOf(ByteBuffer[] data, int batch, int length) throws OrtException {
        Map<String, OnnxTensor> past = new HashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            for (int t = 0; t < kvTensors(); t++) {
                OnnxTensor tensor = kvTensor(data[t], new long[] {batch, kvHeads, length, headDim});
                owned.add(tensor);
                past.put(pastName(t), tensor);
            }
        } catch (OrtException | RuntimeException e) {
            owned.forEach(OnnxTensor::close);
            throw e;
        }
        return new KvCache(past, length, () -> owned.forEach(OnnxTensor::close));
    }

    /** {@link #forward(long[][], long[][], long[][], KvCache, boolean)} keeping the last position's logits only. */
    Step forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past) throws OrtException {
        return forward(inputIds, attentionMask, positionIds, past, false);
    }

    /**
     * Runs the tokens {@code inputIds} [batch][seq] after {@code past}.
     *
     * @param attentionMask [batch][past + seq], 0 at padding
     * @param positionIds [batch][seq]; ignored by models without a position_ids input
     * @param allPositions keep the logits of every position (scoring a prompt), not only the last
     */
    Step forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past, boolean allPositions)
            throws OrtException {
        return forward(inputIds, attentionMask, positionIds, past, allPositions, null);
    }

    /**
     * As {@link #forward(long[][], long[][], long[][], KvCache, boolean)}, the extended cache written
     * into {@code presentOut} (direct buffers, one per cache tensor, each holding at least
     * [batch, heads, past + seq, head_dim]; pinned outputs) instead of memory onnxruntime allocates.
     * The returned cache is a view of them, valid until the caller writes them again. Reading
     * onnxruntime's own outputs copies them into fresh direct memory on every read, which costs
     * its page faults (docs/BENCHMARKS.md); a caller that reuses its buffers pays that once.
     *
     * @param presentOut null to let onnxruntime allocate the present
     */
    Step forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past, boolean allPositions,
            ByteBuffer[] presentOut) throws OrtException {
        int seq = inputIds[0].length;
        checkMask(attentionMask, past.length(), seq);
        Map<String, OnnxTensor> inputs = new HashMap<>(past.pastInputs());
        List<OnnxTensor> created = new ArrayList<>();
        Map<String, OnnxTensor> pinned = new HashMap<>();
        ByteBuffer[] windows = new ByteBuffer[kvTensors()];
        OrtSession.Result result = null;
        try {
            addInputs(inputs, created, inputIds, attentionMask, positionIds, past.length(), allPositions ? seq : 1);
            if (presentOut != null) {
                long[] shape = {inputIds.length, kvHeads, past.length() + seq, headDim};
                int bytes = (int) (shape[0] * shape[1] * shape[2] * shape[3]) * kvBytes();
                for (int t = 0; t < kvTensors(); t++) {
                    windows[t] = presentOut[t].duplicate().position(0).limit(bytes).slice().order(ByteOrder.nativeOrder());
                    pinned.put(presentName(t), kvTensor(windows[t], shape));
                }
                result = session.run(inputs, Set.of("logits"), pinned);
            } else {
                result = session.run(inputs);
            }
            float[][][] logits = logits(result, allPositions ? seq : 1);
            Map<String, OnnxTensor> presents = new HashMap<>();
            for (int t = 0; t < kvTensors(); t++) {
                presents.put(pastName(t), presentOut != null ? pinned.get(presentName(t))
                        : (OnnxTensor) result.get(presentName(t)).orElseThrow());
            }
            if (presentOut != null) {
                result.close();
                List<OnnxTensor> views = List.copyOf(pinned.values());
                return new Step(logits, new KvCache(presents, past.length() + seq, () -> views.forEach(OnnxTensor::close), windows));
            }
            return new Step(logits, new KvCache(presents, past.length() + seq, result));
        } catch (OrtException | RuntimeException e) {
            closeQuietly(result);
            pinned.values().forEach(OnnxTensor::close);
            throw e;
        } finally {
            created.forEach(OnnxTensor::close);
        }
    }

    /**
     * Vocabulary size where a decode step can write its logits into the caller's buffer
     * ({@link #forwardInto}'s {@code logitsOut}): float32 logits of a fixed width; 0 where it cannot.
     */
    int pinnableVocab() {
        return pinnableVocab;
    }

    /**
     * Runs one token per row after {@code past} [batch, heads, pastLength, head_dim] and writes the
     * extended cache into the caller's {@code present} tensors (ONNX Runtime's pinned outputs), so the
     * caller can edit the batch's cache in place between steps.
     *
     * @param past tensors keyed by {@link #pastName}
     * @param present tensors of shape [batch, heads, pastLength + 1, head_dim] keyed by {@link #presentName}
     * @param logitsOut a direct buffer of at least batch × {@link #pinnableVocab} floats that the
     *     logits are written into, reused from step to step (a fresh 3 MB output every step costs
     *     the allocation and its page faults); null to let onnxruntime allocate them
     * @return the logits of each row
     */
    float[][] forwardInto(long[][] inputIds, long[][] attentionMask, long[][] positionIds, int pastLength,
            Map<String, OnnxTensor> past, Map<String, OnnxTensor> present, ByteBuffer logitsOut) throws OrtException {
        checkMask(attentionMask, pastLength, inputIds[0].length);
        Map<String, OnnxTensor> inputs = new HashMap<>(past);
        List<OnnxTensor> created = new ArrayList<>();
        int batch = inputIds.length;
        try {
            addInputs(inputs, created, inputIds, attentionMask, positionIds, pastLength, 1);
            if (logitsOut != null && pinnableVocab > 0) {
                ByteBuffer window = logitsOut.duplicate().position(0).limit(batch * pinnableVocab * Float.BYTES).slice()
                        .order(ByteOrder.nativeOrder());
                Map<String, OnnxTensor> outputs = new HashMap<>(present);
                created.add(put(outputs, "logits", OnnxTensor.createTensor(env, window, new long[] {batch, 1, pinnableVocab},
                        OnnxJavaType.FLOAT)));
                try (OrtSession.Result ignored = session.run(inputs, Set.of(), outputs)) {
                    FloatBuffer floats = window.asFloatBuffer();
                    float[][] rows = new float[batch][pinnableVocab];
                    for (int b = 0; b < batch; b++) {
                        floats.get(rows[b]);
                    }
                    return rows;
                }
            }
            try (OrtSession.Result result = session.run(inputs, Set.of("logits"), present)) {
                float[][][] logits = logits(result, 1);
                float[][] rows = new float[logits.length][];
                for (int b = 0; b < rows.length; b++) {
                    rows[b] = logits[b][0];
                }
                return rows;
            }
        } finally {
            created.forEach(OnnxTensor::close);
        }
    }

    private static void checkMask(long[][] attentionMask, int pastLength, int seq) {
        if (attentionMask[0].length != pastLength + seq) {
            throw new IllegalArgumentException("attention mask covers " + attentionMask[0].length
                    + " positions, expected past " + pastLength + " + " + seq);
        }
    }

    /** @param keep logits wanted at each row's last {@code keep} positions */
    private void addInputs(Map<String, OnnxTensor> inputs, List<OnnxTensor> created, long[][] inputIds,
            long[][] attentionMask, long[][] positionIds, int pastLength, int keep) throws OrtException {
        created.add(put(inputs, "input_ids", longTensor(inputIds)));
        created.add(put(inputs, "attention_mask", longTensor(attentionMask)));
        if (hasPositionIds) {
            created.add(put(inputs, "position_ids", longTensor(positionIds)));
        }
        if (hasUseCacheBranch) {
            // Merged exports switch between their with-past and without-past subgraphs on this flag.
            created.add(put(inputs, "use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {pastLength > 0})));
        }
        if (narrowsLogits) {
            int seq = inputIds[0].length;
            long[][] wanted = new long[inputIds.length][keep];
            for (long[] row : wanted) {
                for (int p = 0; p < keep; p++) {
                    row[p] = seq - keep + p;
                }
            }
            created.add(put(inputs, LogitPositions.INPUT, longTensor(wanted)));
        }
    }

    @Override
    public void close() {
        closeQuietly(session);
    }

    private OrtSession open(Path modelFile, boolean cuda, SessionSettings settings, boolean narrowLogits) throws OrtException {
        try (OrtSession.SessionOptions options = sessionOptions(cuda, settings)) {
            ByteBuffer narrowed = narrowLogits ? narrowed(modelFile) : null;
            if (narrowed == null) {
                return env.createSession(modelFile.toString(), options);
            }
            // Loaded from memory, the graph finds its external data (model.onnx_data) in the model's directory only if told.
            options.addConfigEntry("session.model_external_initializers_file_folder_path",
                    modelFile.toAbsolutePath().getParent().toString());
            try {
                return env.createSession(narrowed, options);
            } catch (OrtException e) {
                log.warn("{}: logits computed at every position: onnxruntime refused the rewritten graph ({})", modelFile, e.getMessage());
                return env.createSession(modelFile.toString(), options);
            } finally {
                DirectBuffers.free(narrowed); // onnxruntime copied what it keeps while creating the session
            }
        }
    }

    /**
     * The graph rewritten by {@link LogitPositions}, serialized into a direct buffer; null where it
     * cannot be (the engine then reads the positions it needs from all of them). The file is mapped
     * and parsed with aliasing, so weights stored inside it are not copied onto the heap; written
     * out, a graph with its weights inside takes its size in direct memory until onnxruntime has
     * loaded it (exports with external data, model.onnx_data, have a small graph).
     */
    private static ByteBuffer narrowed(Path modelFile) {
        try {
            ai.onnx.proto.OnnxMl.ModelProto model;
            try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(modelFile)) {
                long size = file.size();
                if (size > Integer.MAX_VALUE) {
                    log.info("{}: logits computed at every position: a {} MB graph is over protobuf's 2 GB", modelFile, size >> 20);
                    return null;
                }
                com.google.protobuf.CodedInputStream coded = com.google.protobuf.CodedInputStream.newInstance(
                        file.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, size));
                coded.enableAliasing(true);
                coded.setSizeLimit(Integer.MAX_VALUE);
                model = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(coded);
            }
            LogitPositions.Result result = LogitPositions.rewrite(model);
            if (result.model().isEmpty()) {
                log.info("{}: logits computed at every position: {}", modelFile, result.reason());
                return null;
            }
            ai.onnx.proto.OnnxMl.ModelProto rewritten = result.model().get();
            ByteBuffer bytes = ByteBuffer.allocateDirect(rewritten.getSerializedSize());
            com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(bytes);
            rewritten.writeTo(out);
            out.flush();
            return bytes.flip();
        } catch (java.io.IOException | RuntimeException e) {
            log.warn("{}: logits computed at every position: cannot rewrite the graph ({})", modelFile, e.toString());
            return null;
        }
    }

    /** The options every decoder session runs with; the benchmark's GEMM ceiling uses them too, so it is what the engine could reach. */
    static OrtSession.SessionOptions sessionOptions(boolean cuda) throws OrtException {
        return sessionOptions(cuda, SessionSettings.defaults());
    }

    /** The options of a decoder session run with {@code settings} ({@code worker.ort.*}). */
    static OrtSession.SessionOptions sessionOptions(boolean cuda, SessionSettings settings) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            if (cuda) {
                options.addCUDA(0);
            }
            // onnxruntime sizes its intra-op pool by the physical cores it detects, and on this project's
            // 2-vCPU machine it detects one: every product then ran on one core. Measured on the quick
            // benchmark in one session: 60-72 tokens/s with the default, 97 with all CPUs the JVM may use
            // (cgroup-aware), 88 with all of them but spinning off, so spinning stays on; the graph
            // optimization level (all vs extended) made no difference above the noise. Hence the
            // default of SessionSettings; worker.ort.intra.threads lowers it where workers share a machine.
            options.setIntraOpNumThreads(settings.intraOpThreads());
            // Spinning intra-op threads busy-wait between operators instead of sleeping: faster
            // steps, but CPU taken from whatever shares the machine (SessionSettings#spinning).
            options.addConfigEntry("session.intra_op.allow_spinning", settings.spinning() ? "1" : "0");
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** The logits [batch][keep][vocab] of each row's last {@code keep} positions. */
    private static float[][][] logits(OrtSession.Result result, int keep) {
        OnnxTensor tensor = (OnnxTensor) result.get("logits").orElseThrow();
        long[] shape = ((TensorInfo) tensor.getInfo()).getShape();
        int batch = (int) shape[0];
        int seq = (int) shape[1];
        int vocab = (int) shape[2];
        // Widens float16 logits to float32 (onnxruntime converts in getFloatBuffer).
        FloatBuffer all = tensor.getFloatBuffer();
        float[][][] out = new float[batch][keep][vocab];
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < keep; p++) {
                all.position((b * seq + seq - keep + p) * vocab);
                all.get(out[b][p]);
            }
        }
        return out;
    }

    /** Checks the graph against the Optimum interface and config.json; returns the cache's element type. */
    private OnnxJavaType checkInterface(Path modelFile, Map<String, NodeInfo> inputs, Map<String, NodeInfo> outputs) {
        List<String> missing = new ArrayList<>();
        for (String name : new String[] {"input_ids", "attention_mask"}) {
            if (!inputs.containsKey(name)) {
                missing.add("input " + name);
            }
        }
        if (!outputs.containsKey("logits")) {
            missing.add("output logits");
        }
        if (inputs.keySet().stream().noneMatch(name -> name.startsWith("past_key_values."))) {
            throw new ModelLoadException(modelFile + " has no past_key_values inputs: it was exported without its KV cache;"
                    + " re-export it with-past (optimum-cli export onnx --task text-generation-with-past)");
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
        long graphLayers = inputs.keySet().stream().filter(name -> name.matches("past_key_values\\.\\d+\\.key")).count();
        if (graphLayers != numLayers) {
            throw new ModelLoadException(modelFile + " has past keys for " + graphLayers + " layers but config.json declares "
                    + numLayers + " layers: config.json does not belong to this model");
        }
        TensorInfo past = (TensorInfo) inputs.get(pastName(0, "key")).getInfo();
        TensorInfo present = (TensorInfo) outputs.get("present.0.key").getInfo();
        TensorInfo logits = (TensorInfo) outputs.get("logits").getInfo();
        if (!isFloat(past.type) || present.type != past.type || !isFloat(logits.type)) {
            throw new ModelLoadException(modelFile + " has " + past.type + " past keys, " + present.type + " present keys and "
                    + logits.type + " logits: only float32 or float16 caches (past and present alike) and logits are supported;"
                    + " export the model with --dtype fp32 or fp16");
        }
        long[] shape = past.getShape();
        checkDimension(modelFile, shape[1], kvHeads, "key/value heads", "num_key_value_heads (num_attention_heads where absent)");
        checkDimension(modelFile, shape[3], headDim, "numbers per head", "head_dim (hidden_size / num_attention_heads where absent)");
        return past.type;
    }

    private static boolean isFloat(OnnxJavaType type) {
        return type == OnnxJavaType.FLOAT || type == OnnxJavaType.FLOAT16;
    }

    /** A fixed dimension of the graph's past keys must equal what config.json implies (a symbolic one, -1, is not checked). */
    private static void checkDimension(Path modelFile, long inGraph, int inConfig, String what, String configField) {
        if (inGraph > 0 && inGraph != inConfig) {
            throw new ModelLoadException(modelFile + " takes past keys with " + inGraph + " " + what + " but config.json's "
                    + configField + " gives " + inConfig + ": config.json does not belong to this model");
        }
    }

    private static String pastName(int layer, String kind) {
        return "past_key_values." + layer + "." + kind;
    }

    static String pastName(int tensor) {
        return pastName(tensor / 2, tensor % 2 == 0 ? "key" : "value");
    }

    static String presentName(int tensor) {
        return "present." + tensor / 2 + "." + (tensor % 2 == 0 ? "key" : "value");
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
