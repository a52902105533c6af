package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
