package io.millrace.worker.model;

import static io.millrace.worker.model.Rows.maxAbsDiff;
import static io.millrace.worker.model.Rows.ones;
import static io.millrace.worker.model.Rows.range;
import static io.millrace.worker.model.Rows.rows;
import static io.millrace.worker.model.Rows.spread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.millrace.worker.model.build.LlamaVariant;
import io.millrace.worker.model.build.TinyLlamaModel;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Llama-family export layouts ({@link LlamaVariant}: fp32, fp16, merged with use_cache_branch,
 * no position_ids) load, and generate with the same guarantees as the GPT-2 model: deterministic
 * greedy output, a KV cache equal to recomputing, and batch invariance.
 */
class LlamaVariantsTest {
    private static final String SYSTEM = "You are the miller's assistant. Answer briefly and in plain words.";
    private static final String[] QUESTIONS = {"Hi", "How does the mill work?", "Grain?",
        "Tell me about the stones, the hopper and the sacks of flour by the door.", "Why is the river so high today?"};

    @TempDir
    static Path root;
    static final Map<LlamaVariant, DecoderModel> models = new HashMap<>();

    static Stream<LlamaVariant> variants() {
        return Stream.of(LlamaVariant.LLAMA_FP32, LlamaVariant.QWEN2_FP16, LlamaVariant.LLAMA_MERGED,
                LlamaVariant.LLAMA_NO_POSITION_IDS);
    }

    @BeforeAll
    static void load() throws Exception {
        for (LlamaVariant v : variants().toList()) {
            Path dir = root.resolve(v.name());
            TinyLlamaModel.write(dir, v);
            models.put(v, DecoderModel.load(dir));
        }
    }

    @AfterAll
    static void close() {
        models.values().forEach(DecoderModel::close);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void loadsWithTheCacheTypeAndShapeOfItsGraph(LlamaVariant v) {
        DecoderModel model = models.get(v);
        assertThat(model.contextLength()).isEqualTo(TinyLlamaModel.CONTEXT);
        assertThat(model.session().kvHeads()).isEqualTo(TinyLlamaModel.KV_HEADS);
        assertThat(model.session().headDim()).isEqualTo(TinyLlamaModel.HIDDEN / TinyLlamaModel.HEADS);
        assertThat(model.session().kvBytes()).isEqualTo(v.fp16() ? 2 : 4);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void greedyIsDeterministicAndDependsOnThePrompt(LlamaVariant v) {
        DecoderModel model = models.get(v);
        Completion first = model.generate(prompt(model, 0), SamplingParams.greedy(24));
        Completion again = model.generate(prompt(model, 0), SamplingParams.greedy(24));
        Completion other = model.generate(prompt(model, 3), SamplingParams.greedy(24));
        assertThat(first.completionTokens()).isPositive();
        assertThat(again.text()).isEqualTo(first.text());
        assertThat(other.text()).as("output depends on the prompt").isNotEqualTo(first.text());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void cachedDecodeStepsMatchOneFullForward(LlamaVariant v) throws Exception {
        DecoderSession session = models.get(v).session();
        long[] ids = Arrays.stream(prompt(models.get(v), 3)).asLongStream().toArray();
        int prefill = 7;
        float[][] full;
        try (KvCache empty = session.emptyCache(1)) {
            DecoderSession.Step step = session.forward(rows(ids), rows(ones(ids.length)), rows(range(0, ids.length)), empty, true);
            full = step.logits()[0];
            step.cache().close();
        }
        KvCache cache = session.emptyCache(1);
        try {
            for (int pos = 0; pos < ids.length; ) {
                int n = pos == 0 ? prefill : 1;
                DecoderSession.Step step = session.forward(rows(Arrays.copyOfRange(ids, pos, pos + n)), rows(ones(pos + n)),
                        rows(range(pos, n)), cache);
                cache.close();
                cache = step.cache();
                pos += n;
                // fp16 logits are rounded to ~3 significant digits: compare at that precision.
                assertThat(maxAbsDiff(full[pos - 1], step.lastLogits()[0])).as("position %d", pos - 1)
                        .isLessThan(v.fp16() ? 2e-2f : 1e-4f);
            }
        } finally {
            cache.close();
        }
        assertThat(spread(full[ids.length - 1])).as("logits are not degenerate").isGreaterThan(0.5f);
    }

    /**
     * Rows of different lengths share the batch, free up and refill, with chunked prefill and the
     * prefix cache: each must give what it gives alone. For the model without position_ids this
     * shows that its in-graph positions (mask cumsum − 1) are right on right-aligned rows.
     */
    @ParameterizedTest
    @MethodSource("variants")
    void batchedGreedyOutputMatchesGenerateAlone(LlamaVariant v) {
        DecoderModel model = models.get(v);
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(3, 64, 8, 1 << 20))) {
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < QUESTIONS.length; i++) {
                futures.add(engine.submit(prompt(model, i), SamplingParams.greedy(8 + 6 * i)));
            }
            for (int i = 0; i < QUESTIONS.length; i++) {
                Completion batched = futures.get(i).join();
                Completion alone = model.generate(prompt(model, i), SamplingParams.greedy(8 + 6 * i));
                assertThat(batched.text()).as("prompt %d", i).isEqualTo(alone.text());
                assertThat(batched.completionTokens()).isEqualTo(alone.completionTokens());
                assertThat(batched.finishReason()).isEqualTo(alone.finishReason());
            }
            assertThat(engine.stats().prefixCacheHits()).as("the shared system prompt was reused").isPositive();
        }
    }

    /** The merged layout's If is live: without the cache branch the past is ignored, as in Optimum's merged decoder. */
    @Test
    void mergedGraphChoosesThePastOnUseCacheBranch() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path file = root.resolve(LlamaVariant.LLAMA_MERGED.name()).resolve(LlamaVariant.LLAMA_MERGED.modelFile());
        try (OrtSession session = env.createSession(file.toString())) {
            float[] noCacheOverPast = lastLogits(env, session, 3, false);
            assertThat(lastLogits(env, session, 0, true)).as("use_cache_branch false ignores the past").containsExactly(noCacheOverPast);
            assertThat(maxAbsDiff(lastLogits(env, session, 3, true), noCacheOverPast)).as("true attends over it").isGreaterThan(1e-3f);
            assertThatThrownBy(() -> session.run(Map.of())).as("the input is required").isInstanceOf(OrtException.class);
        }
    }

    /** Logits of token 5 after a past of {@code pastLength} positions filled with 0.5, the mask covering them where the cache branch is taken. */
    private static float[] lastLogits(OrtEnvironment env, OrtSession session, int pastLength, boolean useCache) throws OrtException {
        int masked = useCache ? pastLength + 1 : 1;
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, new long[][] {{5}}));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {ones(masked)}));
            inputs.put("position_ids", OnnxTensor.createTensor(env, new long[][] {{masked - 1}}));
            inputs.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {useCache}));
            float[] past = new float[TinyLlamaModel.KV_HEADS * pastLength * 16];
            Arrays.fill(past, 0.5f);
            for (int t = 0; t < 2 * TinyLlamaModel.LAYERS; t++) {
                inputs.put(DecoderSession.pastName(t), OnnxTensor.createTensor(env, FloatBuffer.wrap(past),
                        new long[] {1, TinyLlamaModel.KV_HEADS, pastLength, 16}));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of("logits"))) {
                return ((float[][][]) result.get(0).getValue())[0][0];
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static int[] prompt(DecoderModel model, int question) {
        return model.encodeChat(List.of(new ChatMessage("system", SYSTEM), new ChatMessage("user", QUESTIONS[question])));
    }
}
