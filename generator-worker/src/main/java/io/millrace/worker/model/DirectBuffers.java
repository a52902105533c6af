package io.millrace.worker.model;

import java.nio.ByteBuffer;

/**
 * Returns direct buffers' memory now rather than when the collector gets to them. The engine's
 * large direct buffers are replaced rarely and are large (the batch's KV, a rewritten graph
 * handed to onnxruntime): until the collector runs, the old and the new would both be resident,
 * and the KV budget would bound only what is live, not the process's memory.
 */
final class DirectBuffers {
    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private DirectBuffers() {
    }

    /**
     * Frees each buffer's memory. Call it only once nothing refers to them (tensors over them
     * closed). Without sun.misc.Unsafe (jdk.unsupported) the collector frees them.
     */
    static void free(ByteBuffer... buffers) {
        if (UNSAFE == null) {
            return;
        }
        for (ByteBuffer b : buffers) {
            try {
                UNSAFE.invokeCleaner(b);
            } catch (IllegalArgumentException e) {
                return; // not a direct buffer of its own (a slice): the collector frees it
            }
        }
    }

    private static sun.misc.Unsafe unsafe() {
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
