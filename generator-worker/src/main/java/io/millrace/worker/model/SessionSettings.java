package io.millrace.worker.model;

/**
 * How ONNX Runtime runs a model's sessions. Validated at construction, with messages that name the fix.
 *
 * @param intraOpThreads threads one forward pass spreads its operators over (ONNX Runtime's
 *     intra_op_num_threads); at most the CPUs this JVM may use, since more only take turns on them
 * @param spinning whether those threads busy-wait for work between operators (ONNX Runtime's
 *     {@code session.intra_op.allow_spinning}, on by default): about 10% more tokens/s on the
 *     generation benchmark, but the CPU they spin on is taken from anything sharing the machine.
 *     In one process with the broker, router and API, that was most of a synchronous request's
 *     latency on 2 CPUs (docs/BENCHMARKS.md, API latency), so serve turns it off there
 */
public record SessionSettings(int intraOpThreads, boolean spinning) {
    /** With spinning on, ONNX Runtime's default. */
    public SessionSettings(int intraOpThreads) {
        this(intraOpThreads, true);
    }

    public SessionSettings withSpinning(boolean on) {
        return new SessionSettings(intraOpThreads, on);
    }

    public SessionSettings {
        int cpus = cpus();
        if (intraOpThreads < 1 || intraOpThreads > cpus) {
            throw new IllegalArgumentException("intraOpThreads is " + intraOpThreads + ": set it from 1 to " + cpus
                    + " (the CPUs this process may use); more threads than CPUs only take turns on them");
        }
    }

    /**
     * All the CPUs the JVM may use (cgroup-aware): onnxruntime's own default counts the physical
     * cores it detects, one on this project's 2-vCPU machine, which left a CPU idle
     * ({@link DecoderSession#sessionOptions} says what was measured).
     */
    public static SessionSettings defaults() {
        return new SessionSettings(cpus());
    }

    /** The CPUs this process may use, the most threads worth asking for. */
    public static int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }
}
