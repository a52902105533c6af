package io.millrace.worker.model;

import java.util.List;

/** How much of a text's end must wait before it is streamed, because a stop string may begin there. */
final class StopHoldback {
    private StopHoldback() {}

    /** The length of the longest end of {@code text} that is a proper beginning of a stop string. */
    static int length(String text, List<String> stops) {
        int held = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, text.length()); k > held; k--) {
                if (text.endsWith(stop.substring(0, k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }
}
