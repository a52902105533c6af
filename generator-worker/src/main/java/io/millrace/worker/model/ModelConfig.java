package io.millrace.worker.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * What generation needs from {@code config.json} and {@code generation_config.json}. Field names
 * differ by architecture (GPT-2: n_layer, n_head, n_embd, n_positions; Llama and most others:
 * num_hidden_layers, num_attention_heads, hidden_size, max_position_embeddings), so each value is
 * looked up under all its names.
 *
 * @param eosTokenIds every id that ends a sequence: config and generation config, single or list
 */
record ModelConfig(int numLayers, int numKeyValueHeads, int headDim, int contextLength, Set<Integer> eosTokenIds) {
    ModelConfig {
        eosTokenIds = Set.copyOf(eosTokenIds);
    }

    static ModelConfig read(Path dir) {
        Path configFile = dir.resolve("config.json");
        JsonNode config = JsonFiles.read(configFile);
        int layers = required(config, configFile, "n_layer", "num_hidden_layers");
        int heads = required(config, configFile, "n_head", "num_attention_heads");
        int hidden = required(config, configFile, "n_embd", "hidden_size", "d_model");
        int context = required(config, configFile, "n_positions", "max_position_embeddings");
        int kvHeads = optional(config, heads, "num_key_value_heads");
        int headDim = optional(config, hidden / heads, "head_dim");

        Set<Integer> eos = new TreeSet<>();
        addIds(config.get("eos_token_id"), eos);
        Path generationFile = dir.resolve("generation_config.json");
        if (Files.isRegularFile(generationFile)) {
            addIds(JsonFiles.read(generationFile).get("eos_token_id"), eos);
        }
        return new ModelConfig(layers, kvHeads, headDim, context, eos);
    }

    private static int required(JsonNode config, Path file, String... names) {
        for (String name : names) {
            JsonNode v = config.get(name);
            if (v != null && v.canConvertToInt() && v.asInt() > 0) {
                return v.asInt();
            }
        }
        throw new ModelLoadException(file + " has no positive integer " + String.join(" or ", names)
                + ": use the config.json exported with the model");
    }

    private static int optional(JsonNode config, int fallback, String name) {
        JsonNode v = config.get(name);
        return v != null && v.canConvertToInt() && v.asInt() > 0 ? v.asInt() : fallback;
    }

    private static void addIds(JsonNode ids, Set<Integer> into) {
        if (ids == null) {
            return;
        }
        if (ids.isArray()) {
            ids.forEach(id -> into.add(id.asInt()));
        } else if (ids.canConvertToInt()) {
            into.add(ids.asInt());
        }
    }
}
