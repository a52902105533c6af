package io.millrace.worker.model;

/**
 * Which queue of an engine a prompt waits in. {@link #INTERACTIVE} prompts (a client is waiting)
 * are admitted before {@link #BATCH} ones at every step and may use every row of the batch;
 * batch prompts only borrow {@link EngineConfig#interactiveRows()} rows, while no interactive
 * prompt waits, so that an interactive prompt that arrives while a batch fills the engine starts
 * at the next step (the borrowers are preempted and recomputed later) instead of waiting for a
 * batch sequence to finish.
 */
public enum Lane {
    INTERACTIVE,
    BATCH
}
