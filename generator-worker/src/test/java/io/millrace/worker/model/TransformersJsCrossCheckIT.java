package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.tokenizer.ChatTemplate;
import io.millrace.worker.model.build.ModelShape;
import io.millrace.worker.model.build.TinyModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent implementation agrees with ours: the built-in model directory, as {@link TinyModel}
 * writes it, loads unmodified in transformers.js (on onnxruntime-node, {@code tools/crosscheck}),
 * and its greedy continuations of the same prompt ids are ours token for token. The same ids go to
 * both sides, so a tokenizer difference cannot hide a generation difference; the tokenizer and the
 * chat template are compared in a test of their own.
 *
 * <p>Needs Node 20+; {@code mvn verify} installs {@code tools/crosscheck}'s pinned packages first (tools/npm-ensure).
 */
class TransformersJsCrossCheckIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A prompt: chat messages (rendered by our template, then tokenized) or plain text (tokenized as is). */
    private record Prompt(List<ChatMessage> messages, String plainText, int maxNewTokens) {}

    private static final List<Prompt> PROMPTS = List.of(
            chat(48, new ChatMessage("user", "How does the mill work?")),
            chat(64, new ChatMessage("system", "You are the miller. Answer briefly."),
                    new ChatMessage("user", "Why is the river brown after a storm?")),
            chat(40, new ChatMessage("user", "What grinds the grain?"),
                    new ChatMessage("assistant", "The stones grind it, turned by the wheel."),
                    new ChatMessage("user", "And who opens the gate?")),
            chat(32, new ChatMessage("user", "Café, naïve, Größe — 水車 🌊 and 👩‍👩‍👧?")),
            chat(48, new ChatMessage("user", "1234 + 5678 = ? (a, b); x[i] = y * 3.14159;\n\tif (x != null) { return x; }")),
            chat(100, new ChatMessage("user", ("In the morning the miller walks along the bank to see how high the river is. "
                    + "After a dry week the water is low and the wheel turns slowly. ").repeat(4))),
            // These two end in an end-of-sequence token (<|endoftext|> or <|im_end|>) before their budget.
            chat(64, new ChatMessage("user", "farmer queue. book")),
            chat(100, new ChatMessage("user", "water stone.")),
            plain(56, "The mill stands where the river bends"),
            plain(24, "   indented\n\n\n   text  with   odd    spacing\t\t"));

    @TempDir
    static Path tmp;
    static Path crosscheck;
    static Path modelDir;
    static DecoderModel model;
    static HfTokenizer tokenizer;
    static ChatTemplate template;
    static List<int[]> promptIds = new ArrayList<>();
    static List<String> promptTexts = new ArrayList<>();
    static JsonNode transformersJs;

    @BeforeAll
    static void runBothSides() throws Exception {
        crosscheck = NodeCrossCheck.dir();
        modelDir = tmp.resolve(TinyModel.NAME);
        TinyModel.write(modelDir);
        model = DecoderModel.load(modelDir);
        tokenizer = HfTokenizer.load(modelDir.resolve("tokenizer.json"));
        template = ChatTemplate.read(modelDir);

        ArrayNode prompts = JSON.createArrayNode();
        for (Prompt p : PROMPTS) {
            String text = p.messages != null ? template.render(p.messages) : p.plainText;
            int[] ids = p.messages != null ? model.encodeChat(p.messages) : tokenizer.encode(text);
            promptTexts.add(text);
            promptIds.add(ids);
            ObjectNode n = prompts.addObject();
            ArrayNode idArray = n.putArray("ids");
            Arrays.stream(ids).forEach(idArray::add);
            n.put("max_new_tokens", p.maxNewTokens);
            n.put("text", text);
            if (p.messages != null) {
                ArrayNode messages = n.putArray("messages");
                for (ChatMessage m : p.messages) {
                    messages.addObject().put("role", m.role()).put("content", m.content());
                }
            }
        }
        Path promptsFile = tmp.resolve("prompts.json");
        JSON.writeValue(promptsFile.toFile(), JSON.createObjectNode().set("prompts", prompts));
        transformersJs = runNode(crosscheck.resolve("greedy.mjs"), modelDir, promptsFile).get("results");
        assertThat(transformersJs).hasSize(PROMPTS.size());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    @Test
    void greedyContinuationsAreIdenticalTokenForToken() {
        List<String> mismatches = new ArrayList<>();
        int eosEndings = 0;
        for (int i = 0; i < PROMPTS.size(); i++) {
            int maxNew = PROMPTS.get(i).maxNewTokens;
            Completion ours = model.generate(promptIds.get(i), SamplingParams.greedy(maxNew));
            int[] theirs = ids(transformersJs.get(i).get("generated_ids"));
            int[] theirText = withoutTrailingEos(theirs);
            boolean theyStopped = theirText.length < theirs.length;
            eosEndings += theyStopped ? 1 : 0;

            // The ids themselves: logprobs carry each chosen id, the end-of-sequence token included.
            Completion withIds = model.generate(promptIds.get(i), withLogprobs(maxNew));
            int[] ourIds = ids(withIds);
            if (!Arrays.equals(ourIds, theirs)) {
                mismatches.add("prompt " + i + ": ids differ\n  ours:            " + Arrays.toString(ourIds)
                        + "\n  transformers.js: " + Arrays.toString(theirs));
            }
            // Our text is exactly their ids decoded by our tokenizer: the same tokens were chosen, in order.
            String theirsDecodedByUs = tokenizer.decode(theirText, theirText.length);
            if (!ours.text().equals(theirsDecodedByUs)) {
                mismatches.add("prompt " + i + ": text differs\n  ours:            " + JSON.valueToTree(ours.text())
                        + "\n  transformers.js: " + JSON.valueToTree(theirsDecodedByUs)
                        + "\n  transformers.js ids: " + Arrays.toString(theirs));
            }
            // Same length, counting the end-of-sequence token, and the same reason to stop.
            if (ours.completionTokens() != theirs.length || ours.finishReason().equals("stop") != theyStopped) {
                mismatches.add("prompt " + i + ": we generated " + ours.completionTokens() + " tokens (finish "
                        + ours.finishReason() + "), transformers.js " + theirs.length + (theyStopped ? " ending in EOS" : ""));
            }
            // And their own decoder agrees with ours on the text.
            if (!ours.text().equals(transformersJs.get(i).get("decoded").asText())) {
                mismatches.add("prompt " + i + ": transformers.js decodes the ids to "
                        + transformersJs.get(i).get("decoded") + ", we to " + JSON.valueToTree(ours.text()));
            }
        }
        assertThat(mismatches).as("greedy generation, ours vs transformers.js").isEmpty();
        // Both ways of finishing were compared: by end-of-sequence token and by the token budget.
        assertThat(eosEndings).as("prompts that ended in an end-of-sequence token").isBetween(2, PROMPTS.size() - 1);
    }

    /** Continuous batching changes nothing: all prompts in one BatchEngine at once give the same ids. */
    @Test
    void batchEngineGivesTheSameIds() throws Exception {
        List<java.util.concurrent.CompletableFuture<Completion>> futures = new ArrayList<>();
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(4, 64, 16, 0))) {
            for (int i = 0; i < PROMPTS.size(); i++) {
                futures.add(engine.submit(promptIds.get(i), withLogprobs(PROMPTS.get(i).maxNewTokens)));
            }
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertThat(ids(futures.get(i).get(2, TimeUnit.MINUTES))).as("prompt %d in a batch", i)
                        .containsExactly(ids(transformersJs.get(i).get("generated_ids")));
            }
        }
    }

    @Test
    void tokenizerEncodesEveryPromptTextToTheSameIds() {
        for (int i = 0; i < PROMPTS.size(); i++) {
            assertThat(ids(transformersJs.get(i).get("text_ids")))
                    .as("transformers.js tokenization of %s", JSON.valueToTree(promptTexts.get(i)))
                    .containsExactly(promptIds.get(i));
        }
    }

    @Test
    void chatTemplateRendersTheSameText() {
        for (int i = 0; i < PROMPTS.size(); i++) {
            if (PROMPTS.get(i).messages != null) {
                assertThat(transformersJs.get(i).get("chat_text").asText()).as("prompt %d", i)
                        .isEqualTo(promptTexts.get(i));
            }
        }
    }

    /**
     * The layout of the benchmark model (ModelShape.GPT2_SMALL) at a test's size: a filled vocabulary and
     * the weights in model.onnx_data, which transformers.js must find beside model.onnx unaided.
     */
    @Test
    void externalDataLayoutLoadsUnmodifiedAndAgrees() throws Exception {
        Path dir = tmp.resolve("external-data");
        TinyModel.write(dir, new ModelShape("test-external", 2, 4, 64, 256, 3000, true, true));
        assertThat(dir.resolve("model.onnx_data")).exists();
        List<int[]> prompts = new ArrayList<>();
        ArrayNode spec = JSON.createArrayNode();
        try (DecoderModel external = DecoderModel.load(dir)) {
            prompts.add(external.encodeChat(List.of(new ChatMessage("user", "How does the mill work?"))));
            prompts.add(external.encodeChat(List.of(new ChatMessage("user", "Café, naïve — 水車 🌊 1234"))));
            for (int[] ids : prompts) {
                ArrayNode idArray = spec.addObject().put("max_new_tokens", 64).putArray("ids");
                Arrays.stream(ids).forEach(idArray::add);
            }
            Path promptsFile = tmp.resolve("external-prompts.json");
            JSON.writeValue(promptsFile.toFile(), JSON.createObjectNode().set("prompts", spec));
            JsonNode results = runNode(crosscheck.resolve("greedy.mjs"), dir, promptsFile).get("results");
            try (HfTokenizer t = HfTokenizer.load(dir.resolve("tokenizer.json"))) {
                for (int i = 0; i < prompts.size(); i++) {
                    int[] theirs = ids(results.get(i).get("generated_ids"));
                    Completion ours = external.generate(prompts.get(i), SamplingParams.greedy(64));
                    assertThat(theirs).as("prompt %d: zero special embeddings, so no end-of-sequence", i).hasSize(64);
                    assertThat(ours.completionTokens()).isEqualTo(64);
                    assertThat(ids(external.generate(prompts.get(i), withLogprobs(64)))).as("prompt %d ids", i)
                            .containsExactly(theirs);
                    assertThat(ours.text()).as("prompt %d: our text vs transformers.js ids decoded by us", i)
                            .isEqualTo(t.decode(theirs, theirs.length));
                }
            }
        }
    }

    private static Prompt chat(int maxNewTokens, ChatMessage... messages) {
        return new Prompt(List.of(messages), null, maxNewTokens);
    }

    private static Prompt plain(int maxNewTokens, String text) {
        return new Prompt(null, text, maxNewTokens);
    }

    /** Greedy, reporting each chosen token's id (in its logprob entry). */
    private static SamplingParams withLogprobs(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0, 1, 0, 0, 0, null, List.of(), true, 0, false);
    }

    private static int[] ids(Completion c) {
        assertThat(c.logprobs()).as("logprobs, which carry the chosen ids").isNotNull();
        return c.logprobs().stream().mapToInt(TokenLogprob::id).toArray();
    }

    private static int[] withoutTrailingEos(int[] ids) {
        if (ids.length > 0) {
            int last = ids[ids.length - 1];
            int endOfText = tokenizer.singleTokenId(TinyModel.END_OF_TEXT).orElseThrow();
            int imEnd = tokenizer.singleTokenId(TinyModel.IM_END).orElseThrow();
            if (last == endOfText || last == imEnd) {
                return Arrays.copyOf(ids, ids.length - 1);
            }
        }
        return ids;
    }

    private static int[] ids(JsonNode array) {
        assertThat(array).as("an array of token ids").isNotNull();
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static JsonNode runNode(Path script, Path dir, Path promptsFile) throws Exception {
        return NodeCrossCheck.run(script, tmp, dir.toString(), promptsFile.toString());
    }
}
