package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Stores;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterConfigTest {
    @Test
    void defaultsToTheProtocolsDedupRetention() {
        assertThat(new RouterConfig(Requests.CATALOG).dedupRetention()).isEqualTo(Stores.DEDUP_RETENTION);
    }

    @Test
    void rejectsAMissingOrEmptyCatalogNamingTheFix() {
        assertThatThrownBy(() -> new RouterConfig(null)).hasMessageContaining("pass the ModelCatalog");
        assertThatThrownBy(() -> new RouterConfig(new ModelCatalog(List.of())))
                .hasMessageContaining("list at least one served model");
    }

    @Test
    void rejectsANonPositiveRetentionNamingTheFix() {
        assertThatThrownBy(() -> new RouterConfig(Requests.CATALOG, Duration.ZERO))
                .hasMessageContaining("use a positive duration");
        assertThatThrownBy(() -> new RouterConfig(Requests.CATALOG, null)).hasMessageContaining("use a positive duration");
    }

    @Test
    void routesAutoByTheRuleUnlessGivenATrainedRouterAndRefusesNone() {
        assertThat(new RouterConfig(Requests.CATALOG).auto()).isSameAs(AutoRouter.RULE_ONLY);
        assertThatThrownBy(() -> new RouterConfig(Requests.CATALOG).withAuto(null)).hasMessageContaining("AutoRouter.trained()");
    }
}
