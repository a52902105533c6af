package io.millrace.worker.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a variant's ONNX file in a model directory. Two layouts hold the same files: Optimum's
 * export puts them at the directory's root, a transformers.js repository on the Hub under
 * {@code onnx/} (with config and tokenizer at the root in both). Each layout may name the decoder
 * {@code model} or {@code decoder_model_merged}.
 */
public final class ModelFiles {
    static final String SUBFOLDER = "onnx";
    private static final String[] BASES = {"model", "decoder_model_merged"};

    private ModelFiles() {}

    /**
     * The variant's file: the root before {@code onnx/}, {@code model} before
     * {@code decoder_model_merged}.
     *
     * @throws ModelLoadException naming the file looked for and the variants the directory has
     */
    public static Path locate(Path dir, ModelVariant variant) {
        for (Path folder : new Path[] {dir, dir.resolve(SUBFOLDER)}) {
            for (String base : BASES) {
                Path file = folder.resolve(variant.fileName(base));
                if (Files.isRegularFile(file)) {
                    return file;
                }
            }
        }
        List<String> present = present(dir);
        String looked = variant.fileName(BASES[0]) + " or " + variant.fileName(BASES[1]) + " (variant " + variant
                + ") at its root or in " + SUBFOLDER + "/";
        if (present.isEmpty()) {
            throw new ModelLoadException("model directory " + dir + " has no " + looked + ": export the decoder with"
                    + " optimum-cli export onnx --task text-generation-with-past " + dir);
        }
        String fix = variant == ModelVariant.Q8
                ? "; or write the q8 file from model.onnx with `millrace model quantize " + dir + "`"
                : "";
        throw new ModelLoadException("model directory " + dir + " has no " + looked + ": it has " + String.join(", ", present)
                + "; pick one of those with --set model." + dir.toAbsolutePath().normalize().getFileName() + ".variant=DTYPE" + fix);
    }

    /** The variants present, as "q8 (onnx/model_quantized.onnx)", in {@link ModelVariant} order. */
    static List<String> present(Path dir) {
        List<String> found = new ArrayList<>();
        for (ModelVariant v : ModelVariant.values()) {
            for (String folder : new String[] {"", SUBFOLDER + "/"}) {
                for (String base : BASES) {
                    String name = folder + v.fileName(base);
                    if (Files.isRegularFile(dir.resolve(name))) {
                        found.add(v + " (" + name + ")");
                    }
                }
            }
        }
        return found;
    }
}
