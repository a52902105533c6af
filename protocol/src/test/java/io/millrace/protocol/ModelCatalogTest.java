package io.millrace.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelCatalogTest {
    private static final ModelCatalog SERVED = ModelCatalog.of(new ModelCatalog.Entry("tiny", 512), new ModelCatalog.Entry("big", 4096));

    @Test
    void anAliasResolvesToItsServedModelAndIsFoundLikeIt() {
        ModelCatalog c = SERVED.withAliases(Map.of("gpt-4o-mini", "tiny"));
        assertThat(c.resolve("gpt-4o-mini")).contains("tiny");
        assertThat(c.resolve("tiny")).contains("tiny");
        assertThat(c.resolve("nope")).isEmpty();
        assertThat(c.find("gpt-4o-mini")).get().extracting(ModelCatalog.Entry::contextLength).isEqualTo(512);
        assertThat(c.names()).as("served models only").containsExactly("tiny", "big");
    }

    @Test
    void anAliasMustPointAtAServedModelAndNotHideOne() {
        assertThatThrownBy(() -> SERVED.withAliases(Map.of("x", "gone"))).hasMessageContaining("not served")
                .hasMessageContaining("[tiny, big]");
        assertThatThrownBy(() -> SERVED.withAliases(Map.of("big", "tiny"))).hasMessageContaining("may not hide");
    }

    @Test
    void autoIsFoundOnlyWhenOnAndIsCheckedAgainstTheStricterOfItsTwoModels() {
        assertThat(SERVED.find(ModelCatalog.AUTO)).as("off by default").isEmpty();
        ModelCatalog c = SERVED.withAuto(new ModelCatalog.AutoModels("tiny", "big")).withAliases(Map.of("gpt-4o-mini", "big"));
        assertThat(c.auto()).as("kept by withAliases").contains(new ModelCatalog.AutoModels("tiny", "big"));
        assertThat(c.find(ModelCatalog.AUTO)).get().extracting(ModelCatalog.Entry::contextLength).isEqualTo(512);
        assertThat(c.resolve(ModelCatalog.AUTO)).as("only the router chooses").isEmpty();
        assertThat(c.names()).doesNotContain(ModelCatalog.AUTO);
    }

    @Test
    void autoMustNameServedModelsAndNotBeShadowed() {
        assertThatThrownBy(() -> SERVED.withAuto(new ModelCatalog.AutoModels("tiny", "gone"))).hasMessageContaining("'gone'")
                .hasMessageContaining("not served");
        assertThatThrownBy(() -> SERVED.withAliases(Map.of("auto", "big")).withAuto(new ModelCatalog.AutoModels("tiny", "big")))
                .hasMessageContaining("rename that model or alias");
    }
}
