package io.millrace.protocol.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resolve-then-check with a table of names instead of DNS (a fake: no test may depend on a DNS
 * server, and no connection is opened). Literal addresses are parsed, never looked up.
 */
class WebhookUrlGuardTest {
    private static final Map<String, List<String>> NAMES = Map.of(
            "hooks.example.com", List.of("93.184.216.34"),
            "sneaky.example.com", List.of("127.0.0.1"),
            "mixed.example.com", List.of("93.184.216.34", "10.1.2.3"),
            "v6meta.example.com", List.of("fd00:ec2::254"));
    private static final WebhookUrlGuard.Resolver TABLE = host -> {
        if (host.matches("[0-9.]+|.*:.*")) {
            return List.of(InetAddress.getByName(host)); // a literal: parsed, not resolved
        }
        List<String> addresses = NAMES.get(host);
        if (addresses == null) {
            throw new UnknownHostException(host);
        }
        java.util.ArrayList<InetAddress> out = new java.util.ArrayList<>();
        for (String a : addresses) {
            out.add(InetAddress.getByName(a));
        }
        return out;
    };
    private final WebhookUrlGuard strict = new WebhookUrlGuard(false, TABLE);
    private final WebhookUrlGuard lax = new WebhookUrlGuard(true, TABLE);

    @Test
    void acceptsHttpsToAPublicAddress() throws Exception {
        assertThat(strict.check("https://hooks.example.com/millrace")).extracting(InetAddress::getHostAddress)
                .containsExactly("93.184.216.34");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://127.0.0.1/", "https://10.0.0.1/x", "https://169.254.169.254/latest/meta-data/",
            "https://[::1]:8443/", "https://sneaky.example.com/", "https://mixed.example.com/",
            "https://v6meta.example.com/", "https://[::ffff:127.0.0.1]/", "https://100.64.1.1/", "https://224.0.0.1/"})
    void refusesNonPublicAddressesWithoutTheAllowSetting(String url) {
        assertThatThrownBy(() -> strict.check(url)).isInstanceOf(WebhookUrlGuard.Refused.class)
                .hasMessageContaining("resolves to").hasMessageContaining("webhooks.allow.private=true");
    }

    @Test
    void theRealResolverAlsoRefusesANameOfLoopback() {
        // "localhost" resolves from the hosts file; nothing is connected to.
        WebhookUrlGuard real = new WebhookUrlGuard(false, WebhookUrlGuard.Resolver.SYSTEM);
        assertThatThrownBy(() -> real.check("https://localhost/hook")).isInstanceOf(WebhookUrlGuard.Refused.class)
                .hasMessageContaining("loopback");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://hooks.example.com/", "ftp://hooks.example.com/", "hooks.example.com", "", "https:///x",
            "https://user:pw@hooks.example.com/", "https://nowhere.example.com/", "not a url"})
    void refusesBadForms(String url) {
        assertThatThrownBy(() -> strict.check(url)).isInstanceOf(WebhookUrlGuard.Refused.class);
    }

    @Test
    void allowPrivateLetsLoopbackAndPlainHttpThrough() throws Exception {
        assertThat(lax.check("http://127.0.0.1:8080/hook")).hasSize(1);
        assertThat(lax.check("https://sneaky.example.com/")).hasSize(1);
        assertThatThrownBy(() -> lax.check("ftp://127.0.0.1/")).isInstanceOf(WebhookUrlGuard.Refused.class)
                .hasMessageContaining("https");
    }
}
