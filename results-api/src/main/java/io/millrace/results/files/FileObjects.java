package io.millrace.results.files;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.FileEvent;

/** The JSON of the Files API, exactly OpenAI's: the file object, the list and the deletion. */
final class FileObjects {
    private FileObjects() {}

    /**
     * {@code {"id","object":"file","bytes","created_at","filename","purpose","status":"processed",
     * "expires_at":null,"status_details":null}}: a file is processed once it is visible, and never expires.
     */
    static ObjectNode file(FileEvent f) {
        ObjectNode o = Json.object();
        o.put("id", f.fileId());
        o.put("object", "file");
        o.put("bytes", f.bytes());
        o.put("created_at", f.createdAt() / 1000);
        o.put("filename", f.filename());
        o.put("purpose", f.purpose());
        o.put("status", "processed");
        o.putNull("expires_at");
        o.putNull("status_details");
        return o;
    }

    /** {@code {"object":"list","data":[...],"first_id","last_id","has_more"}}; ids null on an empty page. */
    static ObjectNode list(FilePage page) {
        ObjectNode o = Json.object();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        page.data().forEach(f -> data.add(file(f)));
        o.put("first_id", page.data().isEmpty() ? null : page.data().get(0).fileId());
        o.put("last_id", page.data().isEmpty() ? null : page.data().get(page.data().size() - 1).fileId());
        o.put("has_more", page.hasMore());
        return o;
    }

    static ObjectNode deleted(String id) {
        ObjectNode o = Json.object();
        o.put("id", id);
        o.put("object", "file");
        o.put("deleted", true);
        return o;
    }
}
