package io.millrace.infra;

import picocli.CommandLine.Command;

/** {@code millrace eval run|compare}: offline evaluation runs over the pipeline; see README, "Evaluation runs". */
@Command(name = "eval", description = {"Offline evaluation runs: a dataset against one or more models, reproducibly, through",
        "the whole pipeline; and the comparison of two runs."})
final class EvalCommand {}
