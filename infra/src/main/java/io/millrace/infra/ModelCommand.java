package io.millrace.infra;

import io.millrace.worker.model.build.DynamicQuantizer;
import io.millrace.worker.model.build.TinyModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code millrace model ...}: model files on disk; each sub-command is a method. */
@Command(name = "model", description = "Write model directories and their variants.")
final class ModelCommand {
    private final PrintStream out;

    ModelCommand(PrintStream out) {
        this.out = out;
    }

    @Command(name = "init-tiny", description = {"Write the built-in tiny model to DIR.",
            "Its weights are seeded: its text is not meaningful."})
    int initTiny(@Parameters(paramLabel = "DIR", description = "the model directory to write") Path dir) throws IOException {
        TinyModel.write(dir);
        out.println("wrote the built-in model to " + dir + " (seeded weights: its text is not meaningful); serve it with --model-dir "
                + dir + " and \"model\": \"" + dir.toAbsolutePath().normalize().getFileName() + "\" in requests");
        return 0;
    }

    @Command(name = "quantize", description = {"Write the q8 variant of the model in DIR (model_quantized.onnx beside model.onnx),",
            "as onnxruntime's quantize_dynamic does: int8 weights, activations quantized at run time.",
            "Serve it with --set model.NAME.variant=q8; transformers.js loads it with dtype \"q8\"."})
    int quantize(@Parameters(paramLabel = "DIR", description = "a model directory with model.onnx") Path dir) throws IOException {
        Path written = DynamicQuantizer.quantize(dir);
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        out.println("wrote " + written + "; serve it with --model-dir " + dir + " --set model." + name + ".variant=q8 and \"model\": \""
                + name + "-q8\" in requests");
        return 0;
    }
}
