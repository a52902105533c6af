package io.millrace.worker.bench;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Peer (d) of the generation benchmark: the loop a newcomer writes over plain ONNX Runtime, with
 * nothing of Millrace's engine. Static batches of the prompts in order, left-padded, one
 * {@code session.run} per step with default session options, ONNX Runtime's {@code present.*}
 * outputs fed back as the next step's {@code past_key_values.*} as they are (no copy in Java),
 * and the argmax of each row's last position. Everything that is simple and wasteful stays: the
 * prefill computes logits at every (padded) position, every row runs until the batch ends, and
 * the input tensors are made anew each step.
 *
 * <p>Java, not onnxruntime-node: the same ONNX Runtime build as the engine (the Java binding
 * 1.29.0; transformers.js pins its own 1.30.0), so what differs between (a) and (d) is the
 * engine alone; and the newcomer who deploys Millrace writes Java.
 */
final class PlainOrtLoop {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final List<String> pastNames = new ArrayList<>();
    private final long heads;
    private final long headDim;

    PlainOrtLoop(OrtSession session) throws OrtException {
        this.session = session;
        TensorInfo past = null;
        for (Map.Entry<String, NodeInfo> input : session.getInputInfo().entrySet()) {
            if (input.getKey().startsWith("past_key_values.")) {
                pastNames.add(input.getKey());
                past = (TensorInfo) input.getValue().getInfo();
            }
        }
        this.heads = past.getShape()[1];
        this.headDim = past.getShape()[3];
    }

    /**
     * Greedy continuations of {@code newTokens} tokens for one static batch.
     *
     * @param firstToken run once, when the batch's first new tokens are known
     */
    int[][] generate(List<int[]> prompts, int newTokens, long padId, Runnable firstToken) throws OrtException {
        int batch = prompts.size();
        int width = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        long[][] ids = new long[batch][width];
        long[][] mask = new long[batch][width];
        long[][] positions = new long[batch][width];
        for (int b = 0; b < batch; b++) {
            int[] p = prompts.get(b);
            int offset = width - p.length;
            for (int j = 0; j < width; j++) {
                ids[b][j] = j < offset ? padId : p[j - offset];
                mask[b][j] = j < offset ? 0 : 1;
                positions[b][j] = j < offset ? 0 : j - offset;
            }
        }
        Map<String, OnnxTensor> past = new HashMap<>();
        for (String name : pastNames) {
            past.put(name, OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {batch, heads, 0, headDim}));
        }
        OrtSession.Result previous = null;
        int[][] out = new int[batch][newTokens];
        for (int step = 0; step < newTokens; step++) {
            Map<String, OnnxTensor> inputs = new HashMap<>(past);
            inputs.put("input_ids", OnnxTensor.createTensor(env, ids));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, mask));
            inputs.put("position_ids", OnnxTensor.createTensor(env, positions));
            OrtSession.Result result = session.run(inputs);
            inputs.get("input_ids").close();
            inputs.get("attention_mask").close();
            inputs.get("position_ids").close();
            if (previous != null) {
                previous.close();
            } else {
                past.values().forEach(OnnxTensor::close);
            }
            previous = result;

            OnnxTensor logits = (OnnxTensor) result.get("logits").orElseThrow();
            long[] shape = logits.getInfo().getShape();
            int seq = (int) shape[1];
            int vocab = (int) shape[2];
            FloatBuffer all = logits.getFloatBuffer();
            ids = new long[batch][1];
            positions = new long[batch][1];
            long[][] longer = new long[batch][mask[0].length + 1];
            for (int b = 0; b < batch; b++) {
                int base = (b * seq + seq - 1) * vocab;
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    if (all.get(base + v) > all.get(base + best)) {
                        best = v;
                    }
                }
                out[b][step] = best;
                ids[b][0] = best;
                positions[b][0] = prompts.get(b).length + step;
                System.arraycopy(mask[b], 0, longer[b], 0, mask[b].length);
                longer[b][mask[b].length] = 1;
            }
            mask = longer;
            if (step == 0) {
                firstToken.run();
            }
            past = new HashMap<>();
            for (String name : pastNames) {
                past.put(name, (OnnxTensor) result.get(name.replace("past_key_values.", "present.")).orElseThrow());
            }
        }
        previous.close();
        return out;
    }
}
