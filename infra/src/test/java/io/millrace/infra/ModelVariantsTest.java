package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.worker.model.ModelVariant;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelVariantsTest {
    @TempDir
    Path tmp;

    @Test
    void aVariantIsSetPerDirectoryNameWhichMayHoldDots() {
        ModelVariants v = ModelVariants.from(Map.of("model.qwen2.5-0.5b.variant", "Q8", "worker.engine", "batch"));
        assertThat(v.of(Path.of("/models/qwen2.5-0.5b"))).isEqualTo(ModelVariant.Q8);
        assertThat(v.of(Path.of("/models/other"))).isEqualTo(ModelVariant.FP32);
    }

    @Test
    void aWrongKeyValueOrNameIsAUsageErrorWithTheFix() {
        assertThatThrownBy(() -> ModelVariants.from(Map.of("model.gpt2.variant", "int4"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("'int4' is not a model variant: use one of fp32, fp16, q8");
        assertThatThrownBy(() -> ModelVariants.from(Map.of("model.variant", "q8"))).hasMessageContaining("model.NAME.variant");
        assertThatThrownBy(() -> ModelVariants.from(Map.of("model.gpt2.variant", "q8")).requireServed(List.of(Path.of("/m/gpt-2"))))
                .isInstanceOf(UsageException.class).hasMessageContaining("no model directory named gpt2 is served (served: gpt-2)");
    }

    @Test
    void theCatalogNamesEachModelAsItsVariantIsServed() throws Exception {
        ModelVariants v = ModelVariants.from(Map.of("model.millrace-tiny.variant", "q8"));
        List<Path> dirs = ModelDirectories.resolve(List.of(), tmp, v);
        assertThat(dirs.get(0).resolve("model_quantized.onnx")).exists();
        assertThat(ModelDirectories.catalog(dirs, v).names()).containsExactly(TinyModel.NAME + "-q8");
        assertThat(ModelDirectories.byServedName(dirs, v)).containsOnlyKeys(TinyModel.NAME + "-q8");
        assertThat(ModelDirectories.catalog(dirs).names()).containsExactly(TinyModel.NAME);
    }
}
