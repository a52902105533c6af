package io.millrace.results.files;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.MultipartConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.UploadedFile;
import io.millrace.protocol.events.FileEvent;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Objects;
import java.util.TreeMap;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * OpenAI's Files API over Kafka ({@link FileStore}, {@link FileIndex}): the handlers translate HTTP
 * to stored files and back, nothing more.
 *
 * <p>An upload is checked whole before a byte is stored: Jetty spools the multipart body to a
 * temporary file (never to memory beyond {@link #IN_MEMORY_PART_BYTES}), the first pass
 * ({@link UploadScanner}) refuses a file that is not UTF-8 text or over the limits, the second
 * ({@link Chunker}) writes the chunks. Lines are not validated as requests: as on OpenAI, each bad
 * line is reported when a batch runs it.
 */
public final class FilesApi implements AutoCloseable {
    /** The only purpose accepted for uploads: files are batch input. */
    static final String BATCH = "batch";
    /** The purpose of the output and error files Millrace writes for batches, as OpenAI names it. */
    public static final String BATCH_OUTPUT = "batch_output";
    /** The largest upload request: the file limit plus room for the multipart framing and the purpose field. */
    public static final long MAX_UPLOAD_REQUEST_BYTES = UploadScanner.MAX_BYTES + 1024 * 1024;
    static final int IN_MEMORY_PART_BYTES = 64 * 1024;
    private static final int MAX_FILENAME_CHARS = 255;

    private final FileStore store;
    private final FileIndex index;
    private final Clock clock;

    private FilesApi(FileStore store, FileIndex index, Clock clock) {
        this.store = store;
        this.index = index;
        this.clock = clock;
    }

    /** Starts reading {@code millrace.files}; {@link #ready()} once every existing file is known. */
    public static FilesApi connect(String bootstrapServers, Clock clock) {
        FileStore store = new FileStore(bootstrapServers);
        try {
            return new FilesApi(store, new FileIndex(bootstrapServers), clock);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** True for {@code POST /v1/files}, whose body may be up to {@link #MAX_UPLOAD_REQUEST_BYTES}. */
    public static boolean isUpload(Context ctx) {
        return ctx.method() == HandlerType.POST && "/v1/files".equals(ctx.path());
    }

    /** Multipart bodies go to a temporary file beyond a small size, within the upload limits. */
    public static void configure(MultipartConfig multipart) {
        try {
            Path dir = Files.createTempDirectory("millrace-uploads");
            dir.toFile().deleteOnExit();
            multipart.cacheDirectory(dir.toString());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a directory for uploads under java.io.tmpdir: " + e.getMessage(), e);
        }
        multipart.maxInMemoryFileSize(IN_MEMORY_PART_BYTES, SizeUnit.BYTES);
        multipart.maxFileSize(UploadScanner.MAX_BYTES, SizeUnit.BYTES);
        multipart.maxTotalRequestSize(MAX_UPLOAD_REQUEST_BYTES, SizeUnit.BYTES);
    }

    public boolean ready() {
        return index.ready();
    }

    /** False once the index reader failed for good: only a restart helps. */
    public boolean live() {
        return index.running();
    }

    /**
     * {@code POST /v1/files}: multipart fields {@code file} and {@code purpose}.
     *
     * @param tenant the caller's tenant, which owns the file (null: no tenant, {@code --auth none})
     */
    public JsonNode upload(Context ctx, String tenant) throws IOException {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase().startsWith("multipart/form-data")) {
            throw new FilesException(400, "invalid_request", null,
                    "Send the file as multipart/form-data with the fields 'file' and 'purpose'.");
        }
        UploadedFile file;
        String purpose;
        try {
            file = ctx.uploadedFile("file");
            purpose = ctx.formParam("purpose");
        } catch (RuntimeException e) {
            throw unreadableMultipart(e);
        }
        if (purpose == null || purpose.isBlank()) {
            throw new FilesException(400, "missing_required_parameter", "purpose", "Missing required parameter: 'purpose'.");
        }
        if (!BATCH.equals(purpose)) {
            throw new FilesException(400, "invalid_value", "purpose", "Invalid value for 'purpose': '" + purpose
                    + "'. This deployment accepts only 'batch'.");
        }
        if (file == null) {
            throw new FilesException(400, "missing_required_parameter", "file", "Missing required parameter: 'file'.");
        }
        UploadScanner.Summary summary = scan(file);
        long now = clock.millis();
        String id = FileIds.newId(now);
        FileStore.Written written;
        try (InputStream in = file.content()) {
            written = store.writeChunks(id, in);
        }
        FileEvent event = new FileEvent(id, filename(file.filename()), purpose, summary.bytes(), summary.lines(), now,
                written.partition(), written.offsets(), tenant);
        store.publish(event);
        index.sync(); // the next request, to any instance, finds it
        return FileObjects.file(event);
    }

    private static UploadScanner.Summary scan(UploadedFile file) throws IOException {
        UploadScanner scanner = new UploadScanner();
        try (InputStream in = file.content()) {
            byte[] buffer = new byte[64 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                scanner.feed(buffer, 0, n);
            }
            return scanner.finish();
        } catch (UploadScanner.Rejected e) {
            throw new FilesException(e.status, e.status == 413 ? "file_too_large" : "invalid_file", e.param, e.getMessage());
        }
    }

    /** Jetty refuses a part over its limits while parsing; anything else there is a malformed body. */
    private static FilesException unreadableMultipart(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase();
            if (m.contains("size") || m.contains("exceed") || m.contains("too large")) {
                return new FilesException(413, "file_too_large", "file", "The upload is larger than the limit of "
                        + UploadScanner.MAX_BYTES + " bytes (200 MB): split it into several files, one batch each.");
            }
        }
        return new FilesException(400, "invalid_request", null,
                "The multipart/form-data body cannot be read (" + e.getMessage() + "): send the fields 'file' and 'purpose'.");
    }

    /** The name as sent, without any directory a client put in it. */
    static String filename(String submitted) {
        String name = submitted == null ? "" : submitted;
        name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1).strip();
        if (name.isEmpty()) {
            name = "upload.jsonl";
        }
        return name.length() > MAX_FILENAME_CHARS ? name.substring(0, MAX_FILENAME_CHARS) : name;
    }

    /** {@code GET /v1/files?after=&limit=&order=&purpose=}. */
    public JsonNode list(Context ctx, String tenant) {
        FilePage.Query q;
        try {
            q = FilePage.Query.parse(ctx.queryParam("after"), ctx.queryParam("limit"), ctx.queryParam("order"),
                    ctx.queryParam("purpose"));
        } catch (IllegalArgumentException e) {
            String param = e.getMessage();
            throw new FilesException(400, "invalid_value", param, "limit".equals(param)
                    ? "Invalid 'limit': use an integer from 1 to " + FilePage.MAX_LIMIT + "."
                    : "Invalid 'order': use 'asc' or 'desc'.");
        }
        NavigableMap<String, FileEvent> own = new TreeMap<>();
        index.byId().forEach((id, f) -> {
            if (Objects.equals(f.tenant(), tenant)) {
                own.put(id, f);
            }
        });
        return FileObjects.list(FilePage.of(own, q));
    }

    /** {@code GET /v1/files/{file_id}}. */
    public JsonNode retrieve(String id, String tenant) {
        return FileObjects.file(find(id, tenant));
    }

    /** {@code DELETE /v1/files/{file_id}}: the file and, once compacted, its bytes. */
    public JsonNode delete(String id, String tenant) {
        FileEvent f = find(id, tenant);
        store.delete(f);
        index.sync();
        return FileObjects.deleted(id);
    }

    /** {@code GET /v1/files/{file_id}/content}: the bytes as uploaded, streamed from Kafka. */
    public void content(Context ctx, String id, String tenant) throws IOException {
        FileEvent f = find(id, tenant);
        // Written past Javalin's result (and its compression), so the length is exact and nothing buffers.
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("application/octet-stream");
        res.setContentLengthLong(f.bytes());
        OutputStream out = res.getOutputStream();
        store.copyContent(f, out);
        out.flush();
    }

    /**
     * The file named by a batch being created, if it exists and is the tenant's.
     *
     * @throws FilesException 404 otherwise, the answer a missing file gets
     */
    public FileEvent owned(String id, String tenant) {
        return find(id, tenant);
    }

    /**
     * The content of a file, copied to a temporary file that is deleted when the stream is closed:
     * for a check that reads every line before a batch is created (chunks are read once, in order).
     */
    public InputStream openContent(FileEvent file) throws IOException {
        java.nio.file.Path copy = java.nio.file.Files.createTempFile("millrace-batch-input-", ".jsonl");
        try (OutputStream out = java.nio.file.Files.newOutputStream(copy)) {
            store.copyContent(file, out);
        } catch (IOException | RuntimeException e) {
            java.nio.file.Files.deleteIfExists(copy);
            throw e;
        }
        return java.nio.file.Files.newInputStream(copy, java.nio.file.StandardOpenOption.DELETE_ON_CLOSE);
    }

    /** The id of the file of kind {@code kind} ("output", "error") that batch {@code batchId} gets; the same on every call. */
    public static String batchFileId(String batchId, long batchCreatedAt, String kind) {
        return FileIds.derived(batchId + "/" + kind, batchCreatedAt);
    }

    /**
     * Stores a file Millrace writes (a batch's output or errors) under a derived id, once: when a
     * file of that id is already stored, nothing is written and it is returned. Otherwise the
     * lines are pulled one at a time and cut into chunks as an upload is, so the content never
     * sits whole in memory, then the file event makes it visible.
     *
     * @param lines each element one line's bytes, its line end included
     */
    public FileEvent storeOnce(String fileId, String filename, String tenant, java.util.Iterator<byte[]> lines) throws IOException {
        index.sync();
        Optional<FileEvent> existing = index.find(fileId);
        if (existing.isPresent()) {
            return existing.get();
        }
        LineStream content = new LineStream(lines);
        FileStore.Written written = store.writeChunks(fileId, content);
        FileEvent event = new FileEvent(fileId, filename, BATCH_OUTPUT, content.bytes(), content.lines(), clock.millis(),
                written.partition(), written.offsets(), tenant);
        store.publish(event);
        index.sync();
        return event;
    }

    /** The file, if it exists and is the tenant's: another tenant's file is not found, as a missing one. */
    private FileEvent find(String id, String tenant) {
        if (!FileIds.wellFormed(id)) {
            throw FilesException.notFound(id);
        }
        return index.find(id).filter(f -> Objects.equals(f.tenant(), tenant)).orElseThrow(() -> FilesException.notFound(id));
    }

    @Override
    public void close() {
        index.close();
        store.close();
    }

}
