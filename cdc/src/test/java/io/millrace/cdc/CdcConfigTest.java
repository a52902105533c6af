package io.millrace.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CdcConfigTest {
    @Test
    void defaultsWriteBackOnlyTheTablesResults() {
        CdcConfig c = CdcConfig.from(Map.of(CdcConfig.JDBC_URL, "jdbc:postgresql://db:5432/app?user=u"));
        assertThat(c.enabled()).isTrue();
        assertThat(c.writeBack()).isEqualTo(CdcConfig.WriteBack.TABLE);
        assertThat(c.slot()).isEqualTo("millrace");
        assertThat(c.sinkBatch()).isEqualTo(500);
        assertThat(c.offsetFlush()).isEqualTo(Duration.ofSeconds(5));
        assertThat(CdcConfig.from(Map.of()).enabled()).isFalse();
        assertThat(CdcConfig.from(Map.of(CdcConfig.WRITE_BACK, "ALL")).writeBack()).isEqualTo(CdcConfig.WriteBack.ALL);
    }

    @Test
    void badValuesSayWhatToUse() {
        assertThatThrownBy(() -> CdcConfig.from(Map.of(CdcConfig.JDBC_URL, "jdbc:mysql://x/y")))
                .hasMessageContaining("not a PostgreSQL JDBC URL").hasMessageContaining("jdbc:postgresql://HOST:PORT/DATABASE");
        assertThatThrownBy(() -> CdcConfig.from(Map.of(CdcConfig.WRITE_BACK, "some"))).hasMessageContaining("use table");
        assertThatThrownBy(() -> CdcConfig.from(Map.of(CdcConfig.SLOT, "My-Slot"))).hasMessageContaining("lower-case");
        assertThatThrownBy(() -> CdcConfig.from(Map.of(CdcConfig.SINK_BATCH, "0"))).hasMessageContaining("1 to 10000");
        assertThatThrownBy(() -> CdcConfig.from(Map.of(CdcConfig.SINK_BATCH, "many"))).hasMessageContaining("whole number");
    }

    @Test
    void theUrlIsReadAsTheDriverReadsItAndShownWithoutItsPassword() {
        JdbcTarget t = JdbcTarget.parse("jdbc:postgresql://db.example:6543/app?user=mill&password=s3cret");
        assertThat(t).isEqualTo(new JdbcTarget("db.example", 6543, "app", "mill", "s3cret"));
        assertThat(t.toString()).isEqualTo("mill@db.example:6543/app");
        assertThat(JdbcTarget.redacted("jdbc:postgresql://h/d?user=u&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/d?user=u&password=...&ssl=true");
        assertThatThrownBy(() -> JdbcTarget.parse("jdbc:postgresql://a:1,b:2/d?user=u")).hasMessageContaining("primary only");
    }

    @Test
    void backOffDoublesToItsLimitAndStartsOverAfterASuccess() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(350));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(100));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(200));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(350));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(350));
        b.reset();
        assertThat(b.next()).isEqualTo(Duration.ofMillis(100));
    }
}
