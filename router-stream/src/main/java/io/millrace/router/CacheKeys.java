package io.millrace.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Ids;
import io.millrace.protocol.events.RequestEvent;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which routed requests the response cache may answer, and under which key. A pure policy.
 *
 * <p><b>Cacheable</b>: a request whose output is fixed by its inputs as the client sees it: an
 * explicit {@code temperature} of 0 (greedy), or an explicit {@code seed}. Anything else asked for
 * a sample, and a second sample should differ.
 *
 * <p><b>Key</b>: SHA-256 of the scope (the tenant, or everyone when the cache is shared), the served
 * model's identity (its directory's content hash, so a re-exported model under the same name starts
 * a new cache), the endpoint, and the canonical body: object keys sorted at every level and numbers
 * written in one form ({@code 0}, {@code 0.0} and {@code 0e0} are the same temperature), so two
 * bodies that ask for the same generation get the same key whatever their JSON spelling. The body
 * keeps every message and sampling parameter; only what cannot change the output is left out.
 */
final class CacheKeys {
    /**
     * Fields that do not change what is generated: the model name (its identity stands in, so an alias
     * and its target share entries), who asked and how the answer is delivered.
     */
    private static final Set<String> NOT_KEYED = Set.of("model", "user", "metadata", "stream", "stream_options", "priority");

    private final Map<String, String> modelIdentity;
    private final boolean shared;

    CacheKeys(Map<String, String> modelIdentity, boolean shared) {
        this.modelIdentity = modelIdentity;
        this.shared = shared;
    }

    /** The cache key of a routed request ({@code model} set), or empty when it is not cacheable. */
    Optional<String> keyOf(RequestEvent routed) {
        JsonNode body = routed.body();
        String identity = modelIdentity.get(routed.model());
        if (body == null || !body.isObject() || identity == null || !cacheable(body)) {
            return Optional.empty();
        }
        StringBuilder text = new StringBuilder("millrace-cache-v1\n");
        // The tenant is length-prefixed so that no tenant name can end where another scope begins.
        text.append(shared ? "shared" : routed.tenant() == null ? "operator" : "tenant:" + routed.tenant().length()
                + ":" + routed.tenant()).append('\n');
        text.append(identity).append('\n').append(routed.url()).append('\n');
        canonical(body, text, true);
        return Optional.of(Ids.sha256Hex(text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    static boolean cacheable(JsonNode body) {
        JsonNode temperature = body.get("temperature");
        if (temperature != null && temperature.isNumber() && temperature.asDouble() == 0.0) {
            return true;
        }
        JsonNode seed = body.get("seed");
        return seed != null && seed.isIntegralNumber();
    }

    /**
     * One spelling per value. Scientific form, never plain: a client's {@code 1e999999} must not
     * become a million digits. A double too large to be one (infinite) keeps its own spelling.
     */
    private static String number(JsonNode node) {
        try {
            BigDecimal d = node.decimalValue();
            return d.signum() == 0 ? "0" : d.stripTrailingZeros().toString();
        } catch (NumberFormatException e) {
            return node.asText();
        }
    }

    private static void canonical(JsonNode node, StringBuilder out, boolean top) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            out.append('{');
            boolean first = true;
            for (String name : names) {
                if (top && NOT_KEYED.contains(name)) {
                    continue;
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                out.append(io.millrace.protocol.Json.write(name)).append(':');
                canonical(node.get(name), out, false);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                canonical(node.get(i), out, false);
            }
            out.append(']');
        } else if (node.isNumber()) {
            out.append(number(node));
        } else {
            out.append(node.toString());
        }
    }
}
