package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void readsBytesAndBinaryUnitsAsTheJvmDoes() {
        assertThat(ByteSize.parse("k", "536870912")).isEqualTo(512L << 20);
        assertThat(ByteSize.parse("k", 4096)).isEqualTo(4096);
        assertThat(ByteSize.parse("k", "64k")).isEqualTo(64L << 10);
        assertThat(ByteSize.parse("k", "512m")).isEqualTo(512L << 20);
        assertThat(ByteSize.parse("k", " 2G ")).isEqualTo(2L << 30);
        assertThat(ByteSize.parse("k", "2GiB")).isEqualTo(2L << 30);
        assertThat(ByteSize.parse("k", "3 MB")).isEqualTo(3L << 20);
        assertThat(ByteSize.parse("k", "1t")).isEqualTo(1L << 40);
    }

    @Test
    void refusesWhatIsNotASizeNamingTheKeyAndTheFix() {
        for (String bad : new String[] {"", "lots", "1.5g", "-1m", "2x", "m"}) {
            assertThatThrownBy(() -> ByteSize.parse("worker.kv.memory", bad)).hasMessageContaining("worker.kv.memory is '" + bad + "'")
                    .hasMessageContaining("such as 512m or 2g");
        }
        assertThatThrownBy(() -> ByteSize.parse("worker.kv.memory", "99999999999t")).hasMessageContaining("too large");
    }
}
