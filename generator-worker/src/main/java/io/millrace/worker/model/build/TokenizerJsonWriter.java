package io.millrace.worker.model.build;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.JsonFiles;
import java.util.List;

/**
 * Serializes a byte-level BPE vocabulary as a Hugging Face {@code tokenizer.json} configured like
 * GPT-2's: ByteLevel pre-tokenizer, post-processor and decoder, no normalizer, no unknown token
 * (every byte has a symbol, so none is needed).
 */
final class TokenizerJsonWriter {
    private TokenizerJsonWriter() {}

    /**
     * @param specialTokens appended after the BPE vocabulary, in order; added tokens with
     *     {@code normalized: false}, so they match literally in input text before byte-level splitting
     */
    static ObjectNode toJson(BpeTrainer.Vocabulary vocabulary, List<String> specialTokens) {
        ObjectNode root = JsonFiles.object();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        int nextId = vocabulary.tokenIds().size();
        ObjectNode vocab = JsonFiles.object();
        vocabulary.tokenIds().forEach(vocab::put);
        for (String special : specialTokens) {
            ObjectNode t = added.addObject();
            t.put("id", nextId);
            t.put("content", special);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
            vocab.put(special, nextId++);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(true, true));
        root.set("decoder", byteLevel(true, true));

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.set("vocab", vocab);
        ArrayNode merges = model.putArray("merges");
        for (BpeTrainer.Pair pair : vocabulary.merges()) {
            merges.add(pair.left() + " " + pair.right());
        }
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode n = JsonFiles.object();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }

    /** Id of a special token as {@link #toJson} assigns it. */
    static int specialTokenId(BpeTrainer.Vocabulary vocabulary, List<String> specialTokens, String token) {
        int index = specialTokens.indexOf(token);
        if (index < 0) {
            throw new IllegalArgumentException(token + " is not among " + specialTokens);
        }
        return vocabulary.tokenIds().size() + index;
    }
}
