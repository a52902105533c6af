package io.millrace.results.files;

import io.millrace.protocol.events.FileEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;

/**
 * One page of {@code GET /v1/files}, as OpenAI pages: ordered by creation ({@code order=desc}
 * newest first, the default), starting after the file id {@code after}. File ids sort by creation
 * time ({@link FileIds}), so the cursor is a position in the id order and stays valid when the
 * file it names has been deleted since.
 *
 * @param data    at most {@code limit} files
 * @param hasMore true when files follow this page
 */
record FilePage(List<FileEvent> data, boolean hasMore) {
    static final int MAX_LIMIT = 10_000;

    /** The query of a page, validated; each factory failure names the parameter to fix. */
    record Query(String after, int limit, boolean descending, String purpose) {
        static Query parse(String after, String limit, String order, String purpose) throws IllegalArgumentException {
            int l = MAX_LIMIT;
            if (limit != null) {
                try {
                    l = Integer.parseInt(limit.trim());
                } catch (NumberFormatException e) {
                    l = -1;
                }
                if (l < 1 || l > MAX_LIMIT) {
                    throw new IllegalArgumentException("limit");
                }
            }
            boolean desc = true;
            if (order != null) {
                if (order.equals("asc")) {
                    desc = false;
                } else if (!order.equals("desc")) {
                    throw new IllegalArgumentException("order");
                }
            }
            return new Query(after == null || after.isEmpty() ? null : after, l, desc,
                    purpose == null || purpose.isEmpty() ? null : purpose);
        }
    }

    static FilePage of(NavigableMap<String, FileEvent> byId, Query q) {
        NavigableMap<String, FileEvent> view;
        if (q.after() == null) {
            view = q.descending() ? byId.descendingMap() : byId;
        } else {
            view = q.descending() ? byId.headMap(q.after(), false).descendingMap() : byId.tailMap(q.after(), false);
        }
        List<FileEvent> data = new ArrayList<>();
        boolean more = false;
        for (FileEvent f : view.values()) {
            if (q.purpose() != null && !q.purpose().equals(f.purpose())) {
                continue;
            }
            if (data.size() == q.limit()) {
                more = true;
                break;
            }
            data.add(f);
        }
        return new FilePage(data, more);
    }
}
