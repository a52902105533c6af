package io.millrace.results;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a raw request path into percent-decoded segments. Splitting before decoding keeps an id
 * with an encoded '/' (%2F) in one segment; '+' stays a plus (it means space only in forms).
 */
final class PathSegments {
    private PathSegments() {}

    /** @param rawPath a path that {@link java.net.URI} accepted, so every escape is well-formed */
    static List<String> decode(String rawPath) {
        List<String> segments = new ArrayList<>();
        String[] parts = rawPath.split("/", -1);
        for (int i = 1; i < parts.length; i++) { // parts[0] is what precedes the leading '/'
            segments.add(URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8));
        }
        return segments;
    }
}
