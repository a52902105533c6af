package io.millrace.infra;

import io.millrace.worker.model.ModelVariant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which variant of each model directory is served: {@code --set model.NAME.variant=DTYPE}, NAME the
 * directory's name, DTYPE transformers.js's ({@code fp32}, the default, {@code q8}, {@code fp16},
 * {@code q4}, ...). Validated at start: a malformed key, an unknown variant or a NAME that is no
 * served directory is a {@link UsageException} that names the fix.
 */
record ModelVariants(Map<String, ModelVariant> byDirectoryName) {
    static final String PREFIX = "model.";
    static final String SUFFIX = ".variant";

    ModelVariants {
        byDirectoryName = Map.copyOf(byDirectoryName);
    }

    /** The {@code model.*} settings among {@code --set} pairs (a directory name may contain dots). */
    static ModelVariants from(Map<String, Object> settings) {
        Map<String, ModelVariant> variants = new LinkedHashMap<>();
        settings.forEach((key, value) -> {
            if (!key.startsWith(PREFIX)) {
                return;
            }
            if (!key.endsWith(SUFFIX) || key.length() <= PREFIX.length() + SUFFIX.length()) {
                throw new UsageException("--set " + key + ": a model setting is model.NAME.variant, NAME a model directory's"
                        + " name, e.g. --set model.millrace-tiny.variant=q8");
            }
            String name = key.substring(PREFIX.length(), key.length() - SUFFIX.length());
            try {
                variants.put(name, ModelVariant.parse(value.toString()));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--set " + key + "=" + value + ": " + e.getMessage());
            }
        });
        return new ModelVariants(variants);
    }

    /** The variant served from this directory: the one set for its name, else fp32. */
    ModelVariant of(Path dir) {
        return byDirectoryName.getOrDefault(directoryName(dir), ModelVariant.FP32);
    }

    /** Every variant set must name a served directory: a typo would otherwise serve fp32 unnoticed. */
    void requireServed(Collection<Path> dirs) {
        List<String> names = new ArrayList<>();
        dirs.forEach(d -> names.add(directoryName(d)));
        for (String name : byDirectoryName.keySet()) {
            if (!names.contains(name)) {
                throw new UsageException("--set model." + name + ".variant: no model directory named " + name
                        + " is served (served: " + String.join(", ", names) + "); NAME is the directory's name, without a variant suffix");
            }
        }
    }

    static String directoryName(Path dir) {
        return dir.toAbsolutePath().normalize().getFileName().toString();
    }
}
