package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderModelTest {
    @TempDir
    static Path root;
    static DecoderModel model;
    static int[] prompt;

    @BeforeAll
    static void load() throws Exception {
        Path dir = root.resolve(TinyModel.NAME);
        TinyModel.write(dir);
        model = DecoderModel.load(dir);
        prompt = model.encodeChat(List.of(new ChatMessage("user", "How does the mill work?")));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void describesTheModel() {
        assertThat(model.name()).isEqualTo("millrace-tiny");
        assertThat(model.contextLength()).isEqualTo(512);
        assertThat(model.executionProvider()).isIn("CPU", "CUDA");
    }

    @Test
    void encodeChatRendersTheTemplateWithSpecialTokensAsSingleIds() {
        int[] ids = model.encodeChat(List.of(new ChatMessage("user", "hi")));
        int[] imStart = model.encodeChat(List.of()); // just the generation prompt: <|im_start|>assistant\n
        assertThat(ids[0]).isEqualTo(imStart[0]);
        assertThat(ids).hasSizeGreaterThan(imStart.length);
        assertThat(ids).endsWith(imStart);
    }

    @Test
    void aStreamedCompletionTellsItsTextInOrderAndTheResultHoldsTheRest() {
        StringBuilder streamed = new StringBuilder();
        java.util.List<String> deltas = new java.util.ArrayList<>();
        Completion c = model.generate(prompt, SamplingParams.greedy(48).withListener(d -> {
            deltas.add(d);
            streamed.append(d);
        }));

        // The seeded model writes byte sequences that are no UTF-8 at all, so U+FFFD is part of its
        // text; what must hold is that nothing streamed is ever taken back.
        assertThat(deltas).hasSizeGreaterThan(5).allSatisfy(d -> assertThat(d).isNotEmpty());
        assertThat(c.text()).startsWith(streamed.toString());
        assertThat(model.generate(prompt, SamplingParams.greedy(48)).text()).as("streaming changes nothing").isEqualTo(c.text());
    }

    @Test
    void aStreamNeverShowsTextPastAStopString() {
        String full = model.generate(prompt, SamplingParams.greedy(48)).text();
        String stop = full.substring(10, 13); // a stop string the completion reaches
        StringBuilder streamed = new StringBuilder();
        Completion c = model.generate(prompt, new SamplingParams(48, 0, 1, null, List.of(stop)).withListener(streamed::append));

        assertThat(c.finishReason()).isEqualTo("stop");
        assertThat(c.text()).startsWith(streamed.toString());
        assertThat(streamed.toString()).doesNotContain(stop);
    }

    @Test
    void greedyIsDeterministic() {
        Completion a = model.generate(prompt, SamplingParams.greedy(24));
        Completion b = model.generate(prompt, SamplingParams.greedy(24));
        assertThat(b.text()).isEqualTo(a.text());
        assertThat(b.completionTokens()).isEqualTo(a.completionTokens());
        assertThat(a.promptTokens()).isEqualTo(prompt.length);
    }

    @Test
    void sameSeedSameSampleDifferentSeedDifferentSample() {
        Completion a = model.generate(prompt, new SamplingParams(32, 1.0, 0.95, 7L, List.of()));
        Completion b = model.generate(prompt, new SamplingParams(32, 1.0, 0.95, 7L, List.of()));
        Completion c = model.generate(prompt, new SamplingParams(32, 1.0, 0.95, 8L, List.of()));
        assertThat(b.text()).isEqualTo(a.text());
        assertThat(c.text()).isNotEqualTo(a.text());
    }

    @Test
    void withoutSeedTheSamplingSeedComesFromThePrompt() {
        SamplingParams unseeded = new SamplingParams(16, 1.0, 1.0, null, List.of());
        assertThat(model.generate(prompt, unseeded).text()).isEqualTo(model.generate(prompt, unseeded).text());
    }

    @Test
    void stopsAtMaxNewTokensWithLength() {
        Completion c = model.generate(prompt, SamplingParams.greedy(5));
        assertThat(c.finishReason()).isEqualTo("length");
        assertThat(c.completionTokens()).isEqualTo(5);
        assertThat(c.firstTokenNanos()).isPositive().isLessThanOrEqualTo(c.totalNanos());
    }

    @Test
    void clampsNewTokensToTheContext() {
        int[] longPrompt = new int[model.contextLength() - 3];
        System.arraycopy(prompt, 0, longPrompt, 0, prompt.length);
        Completion c = model.generate(longPrompt, SamplingParams.greedy(100));
        assertThat(c.completionTokens()).isEqualTo(3);
        assertThat(c.finishReason()).isEqualTo("length");
    }

    @Test
    void zeroNewTokensIsAnEmptyCompletion() {
        Completion c = model.generate(prompt, SamplingParams.greedy(0));
        assertThat(c.text()).isEmpty();
        assertThat(c.completionTokens()).isZero();
        assertThat(c.finishReason()).isEqualTo("length");
    }

    @Test
    void endOfSequenceTokenStopsAndStaysOutOfTheText() {
        // The random model samples an EOS token now and then; some of these seeds end early.
        List<Completion> stopped = new ArrayList<>();
        for (long seed = 1; seed <= 40; seed++) {
            Completion c = model.generate(prompt, new SamplingParams(64, 1.0, 1.0, seed, List.of()));
            if (c.finishReason().equals("stop")) {
                stopped.add(c);
            }
        }
        assertThat(stopped).isNotEmpty().allSatisfy(c -> {
            assertThat(c.completionTokens()).isLessThan(64);
            assertThat(c.text()).doesNotContain("<|");
        });
    }

    @Test
    void stopStringEndsAndTrimsTheText() {
        String full = model.generate(prompt, SamplingParams.greedy(24)).text();
        // A stop string from the middle of the greedy text, clear of U+FFFD (a token ending mid-character).
        int from = 4;
        while (full.substring(from, from + 3).contains("\uFFFD")) {
            from++;
        }
        String stop = full.substring(from, from + 3);
        int cut = full.indexOf(stop);

        Completion c = model.generate(prompt, new SamplingParams(24, 0, 1, null, List.of("never appears \u0000", stop)));
        assertThat(c.finishReason()).isEqualTo("stop");
        assertThat(c.text()).isEqualTo(full.substring(0, cut));
        assertThat(c.completionTokens()).isLessThan(24);
    }

    @Test
    void topKOfOneIsGreedy() {
        Completion greedy = model.generate(prompt, SamplingParams.greedy(24));
        Completion topOne = model.generate(prompt, new SamplingParams(24, 1.5, 1.0, 1, 0, 0, 9L, List.of(), false, 0, false));
        assertThat(topOne.text()).isEqualTo(greedy.text());
    }

    @Test
    void penaltiesSteerGreedyDecodingAwayFromRepeats() {
        List<Integer> plain = ids(model.generate(prompt, withLogprobs(64, 0, 0)));
        List<Integer> penalized = ids(model.generate(prompt, withLogprobs(64, 0.5, 1.0)));
        assertThat(maxRepeats(plain)).as("the random model repeats itself greedily").isGreaterThan(2);
        assertThat(penalized).isNotEqualTo(plain);
        assertThat(maxRepeats(penalized)).isLessThan(maxRepeats(plain));
        assertThat(new java.util.HashSet<>(penalized).size()).isGreaterThan(new java.util.HashSet<>(plain).size());
    }

    @Test
    void sameSeedSameSampleWithEveryParameter() {
        SamplingParams params = new SamplingParams(32, 0.9, 0.9, 40, 0.3, 0.6, 11L, List.of(), true, 3, false);
        Completion a = model.generate(prompt, params);
        Completion b = model.generate(prompt, params);
        assertThat(b.text()).isEqualTo(a.text());
        assertThat(ids(b)).isEqualTo(ids(a));
    }

    @Test
    void logprobsOfGreedyTokensAreTheMaximumAndTheirBytesJoinToTheText() {
        Completion c = model.generate(prompt, new SamplingParams(24, 0, 1, 0, 0, 0, null, List.of(), true, 5, false));
        assertThat(c.logprobs()).hasSize(c.completionTokens());
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (TokenLogprob t : c.logprobs()) {
            assertThat(t.top()).hasSize(5);
            assertThat(t.top().get(0).id()).isEqualTo(t.id());
            assertThat(t.logprob()).isEqualTo(t.top().get(0).logprob()).isLessThanOrEqualTo(0);
            assertThat(t.top()).extracting(TokenLogprob::logprob).isSortedAccordingTo(java.util.Comparator.reverseOrder());
            assertThat(t.top().stream().mapToDouble(a -> Math.exp(a.logprob())).sum()).isLessThanOrEqualTo(1 + 1e-9);
            bytes.writeBytes(t.bytes());
        }
        if (c.finishReason().equals("length")) {
            assertThat(new String(bytes.toByteArray(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(c.text());
        }
        assertThat(c.promptLogprobs()).isNull();
    }

    @Test
    void logprobsAreOfTheRawLogitsWhateverTheTemperatureAndPenalties() throws Exception {
        Completion c = model.generate(prompt, new SamplingParams(2, 1.7, 0.9, 0, 1.5, 1.5, 4L, List.of(), true, 0, false));
        double[] raw = Logprobs.logSoftmax(fullLogits(prompt)[prompt.length - 1]);
        TokenLogprob first = c.logprobs().get(0);
        assertThat(first.logprob()).isCloseTo(raw[first.id()], org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void echoScoresEachPromptTokenGivenTheTokensBeforeIt() throws Exception {
        SamplingParams scoreOnly = new SamplingParams(0, 0, 1, 0, 0, 0, null, List.of(), true, 2, true);
        Completion c = model.generate(prompt, scoreOnly);
        assertThat(c.completionTokens()).isZero();
        assertThat(c.logprobs()).isEmpty();
        float[][] logits = fullLogits(prompt);
        assertThat(c.promptLogprobs()).hasSize(prompt.length - 1);
        for (int i = 1; i < prompt.length; i++) {
            double[] manual = Logprobs.logSoftmax(logits[i - 1]);
            TokenLogprob scored = c.promptLogprobs().get(i - 1);
            assertThat(scored.id()).isEqualTo(prompt[i]);
            assertThat(scored.logprob()).isCloseTo(manual[prompt[i]], org.assertj.core.data.Offset.offset(1e-9));
            assertThat(scored.top()).hasSize(2);
        }
        Completion withTokens = model.generate(prompt, new SamplingParams(8, 0, 1, 0, 0, 0, null, List.of(), false, 2, true));
        assertThat(withTokens.promptLogprobs()).isEqualTo(c.promptLogprobs());
        assertThat(withTokens.text()).isEqualTo(model.generate(prompt, SamplingParams.greedy(8)).text());
    }

    /** The logits of every position of one forward over {@code ids}. */
    private static float[][] fullLogits(int[] ids) throws Exception {
        long[] longs = java.util.Arrays.stream(ids).asLongStream().toArray();
        long[] ones = new long[ids.length];
        long[] positions = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ones[i] = 1;
            positions[i] = i;
        }
        try (KvCache empty = model.session().emptyCache(1)) {
            DecoderSession.Step step = model.session().forward(new long[][] {longs}, new long[][] {ones},
                    new long[][] {positions}, empty, true);
            step.cache().close();
            return step.logits()[0];
        }
    }

    private static SamplingParams withLogprobs(int maxNewTokens, double presence, double frequency) {
        return new SamplingParams(maxNewTokens, 0, 1, 0, presence, frequency, null, List.of(), true, 0, false);
    }

    private static List<Integer> ids(Completion c) {
        return c.logprobs().stream().map(TokenLogprob::id).toList();
    }

    private static long maxRepeats(List<Integer> ids) {
        return ids.stream().collect(java.util.stream.Collectors.groupingBy(i -> i, java.util.stream.Collectors.counting()))
                .values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    @Test
    void promptWithoutRoomForOneTokenIsRejected() {
        int[] tooLong = new int[model.contextLength()];
        assertThatThrownBy(() -> model.generate(tooLong, SamplingParams.greedy(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prompt has 512 tokens but model millrace-tiny has a context of 512 tokens: shorten the messages");
    }

    @Test
    void missingFilesFailLoadWithTheFix(@TempDir Path tmp) throws Exception {
        Path noTokenizer = tmp.resolve("no-tokenizer");
        TinyModel.write(noTokenizer);
        Files.delete(noTokenizer.resolve("tokenizer.json"));
        assertThatThrownBy(() -> DecoderModel.load(noTokenizer))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("has no tokenizer.json")
                .hasMessageContaining("optimum-cli export onnx");

        Path noModel = tmp.resolve("no-model");
        TinyModel.write(noModel);
        Files.delete(noModel.resolve("model.onnx"));
        assertThatThrownBy(() -> DecoderModel.load(noModel))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("has no model.onnx or decoder_model_merged.onnx");

        Path noTemplate = tmp.resolve("no-template");
        TinyModel.write(noTemplate);
        Files.writeString(noTemplate.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
        assertThatThrownBy(() -> DecoderModel.load(noTemplate))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("has no chat_template");

        assertThatThrownBy(() -> DecoderModel.load(tmp.resolve("absent")))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void incompatibleConfigFailsLoad(@TempDir Path tmp) throws Exception {
        TinyModel.write(tmp);
        String config = Files.readString(tmp.resolve("config.json"));
        Files.writeString(tmp.resolve("config.json"), config.replace("\"n_layer\": 2", "\"n_layer\": 3"));
        assertThatThrownBy(() -> DecoderModel.load(tmp))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("past_key_values.2.key");

        Files.writeString(tmp.resolve("config.json"), config.replace("\"n_positions\": 512,", ""));
        assertThatThrownBy(() -> DecoderModel.load(tmp))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("n_positions or max_position_embeddings");
    }
}
