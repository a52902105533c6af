package io.millrace.infra;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.worker.model.ModelVariant;
import io.millrace.worker.model.build.DynamicQuantizer;
import io.millrace.worker.model.build.TinyModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model directories of a deployment: those given with {@code --model-dir}, or the built-in
 * tiny model (written under the data directory on first use). A process that routes but does not
 * generate reads only their {@code config.json}, for the catalog of names and context lengths.
 */
final class ModelDirectories {
    private static final Logger log = LoggerFactory.getLogger(ModelDirectories.class);

    private ModelDirectories() {}

    static List<Path> resolve(List<Path> given, Path dataDir) throws IOException {
        return resolve(given, dataDir, new ModelVariants(java.util.Map.of()));
    }

    /**
     * As above; the built-in model gets the variants asked of it: its q8 file is written on first
     * use ({@link DynamicQuantizer}), so {@code --set model.millrace-tiny.variant=q8} needs nothing else.
     */
    static List<Path> resolve(List<Path> given, Path dataDir, ModelVariants variants) throws IOException {
        for (Path p : given) {
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException("--model-dir " + p + " is not a directory: point it at a model exported by "
                        + "Hugging Face Optimum (model.onnx, config.json, tokenizer.json, tokenizer_config.json)");
            }
        }
        if (!given.isEmpty()) {
            return given;
        }
        Path tiny = dataDir.resolve("models").resolve(TinyModel.NAME);
        if (!Files.exists(tiny.resolve("model.onnx"))) {
            log.info("writing the built-in model to {} (its text is not meaningful; see README)", tiny);
            TinyModel.write(tiny);
        }
        if (variants.of(tiny) == ModelVariant.Q8 && !Files.exists(tiny.resolve(ModelVariant.Q8.fileName("model")))) {
            log.info("writing the built-in model's q8 variant to {}", DynamicQuantizer.quantize(tiny));
        }
        return List.of(tiny);
    }

    /**
     * Each model's identity: {@code sha256:} and the SHA-256 over its directory's regular files (relative
     * path, size and bytes, in path order). The router's response cache keys on it, so a directory
     * re-exported under the same name never answers with the old weights' completions. Read at start
     * by the process that routes: a model of a few GB costs seconds here, not per request.
     */
    static Map<String, String> identities(List<Path> dirs) throws IOException {
        return identities(dirs, new ModelVariants(java.util.Map.of()));
    }

    /**
     * Keyed by the name each directory is served under ({@code NAME-q8} for a variant), and the
     * variant is part of the identity: a q8 completion never answers an fp32 request of the same
     * directory.
     */
    static Map<String, String> identities(List<Path> dirs, ModelVariants variants) throws IOException {
        Map<String, String> ids = new LinkedHashMap<>();
        for (Path dir : dirs) {
            ids.put(servedName(dir, variants), identity(dir) + "/" + variants.of(dir).dtype());
        }
        return ids;
    }

    static String identity(Path dir) throws IOException {
        MessageDigest digest = io.millrace.protocol.Ids.sha256();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
        }
        byte[] buffer = new byte[1 << 16];
        for (Path rel : files) {
            Path file = dir.resolve(rel);
            // Path and size first: no two different trees hash the same bytes in the same order.
            digest.update((rel.toString().replace('\\', '/') + "\n" + Files.size(file) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
        }
        return "sha256:" + HexFormat.of().formatHex(digest.digest());
    }

    /** Names (directory names, as workers serve them), context lengths and vocabulary sizes, without loading any model. */
    static ModelCatalog catalog(List<Path> dirs) throws IOException {
        return catalog(dirs, new ModelVariants(java.util.Map.of()));
    }

    /** As above, each named as its variant is served ({@link ModelVariant#servedName}: {@code gpt2-q8}). */
    static ModelCatalog catalog(List<Path> dirs, ModelVariants variants) throws IOException {
        List<ModelCatalog.Entry> entries = new ArrayList<>();
        for (Path dir : dirs) {
            Path config = dir.resolve("config.json");
            if (!Files.exists(config)) {
                throw new IllegalArgumentException("model directory " + dir + " has no config.json: export the model with "
                        + "Hugging Face Optimum, which writes it beside model.onnx");
            }
            JsonNode c = Json.parse(Files.readString(config));
            int context = c.path("n_positions").asInt(c.path("max_position_embeddings").asInt(0));
            entries.add(new ModelCatalog.Entry(servedName(dir, variants), context,
                    c.path("vocab_size").asInt(0)));
        }
        return new ModelCatalog(entries);
    }

    /** The directories by the name each is served under, for the API's tokenizer endpoints. */
    static java.util.Map<String, Path> byServedName(List<Path> dirs, ModelVariants variants) {
        java.util.Map<String, Path> named = new java.util.LinkedHashMap<>();
        dirs.forEach(d -> named.put(servedName(d, variants), d));
        return named;
    }

    private static String servedName(Path dir, ModelVariants variants) {
        return variants.of(dir).servedName(ModelVariants.directoryName(dir));
    }
}
