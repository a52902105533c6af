package io.millrace.protocol.events;

import java.util.List;

/**
 * A stored file on {@code millrace.files}, keyed by file id: what {@code GET /v1/files/{id}}
 * answers and where its bytes are. Published only after every chunk is acknowledged, so a file
 * that is visible can always be read whole. A delete is a tombstone (null value) for the id,
 * followed by tombstones for each chunk.
 *
 * @param bytes          size of the content in bytes
 * @param lines          non-blank lines, counted as a batch counts its requests
 * @param createdAt      epoch milliseconds
 * @param chunkPartition the partition of {@code millrace.file-chunks} holding every chunk
 * @param chunkOffsets   the offset of each chunk there, in content order: chunk i is keyed
 *                       {@code <file id>/<i>} and concatenating them gives the content
 * @param tenant         the tenant of the key that uploaded it, or null ({@code --auth none}); only
 *                       that tenant sees the file
 */
public record FileEvent(
        String fileId,
        String filename,
        String purpose,
        long bytes,
        long lines,
        long createdAt,
        int chunkPartition,
        List<Long> chunkOffsets,
        String tenant) {

    /** A file of no tenant. */
    public FileEvent(String fileId, String filename, String purpose, long bytes, long lines, long createdAt,
            int chunkPartition, List<Long> chunkOffsets) {
        this(fileId, filename, purpose, bytes, lines, createdAt, chunkPartition, chunkOffsets, null);
    }

    public FileEvent {
        chunkOffsets = chunkOffsets == null ? List.of() : List.copyOf(chunkOffsets);
    }

    /** The key of chunk {@code index} on {@code millrace.file-chunks}. */
    public static String chunkKey(String fileId, int index) {
        return fileId + "/" + index;
    }
}
