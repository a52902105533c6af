package io.millrace.worker.model;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.millrace.worker.model.build.OnnxGraph;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The attainable fp32 matrix-multiply rate of this machine through the ONNX Runtime the engine
 * uses: a one-node MatMul graph, built with {@link OnnxGraph} like the models, of a GPT-2 layer's
 * largest shape, [rows × width] · [width × 4·width] (the MLP's c_fc), timed at several row counts.
 * A decode step multiplies as many rows as sequences decode, a prefill chunk as many as its
 * tokens, so the rate at few rows bounds decoding and the rate at many bounds prefill: the
 * benchmark divides each engine's achieved rate by them ("share of the ceiling").
 *
 * <p>Same session options as {@link DecoderSession} (its thread settings), so the ceiling is what
 * the engine could reach, not what a differently tuned runtime could.
 */
public final class GemmCeiling {
    private GemmCeiling() {}

    /**
     * GFLOP/s (2·rows·width·4·width per product) at each row count, each timed over about
     * {@code secondsEach} after a warm-up.
     */
    public static Map<Integer, Double> measure(int width, int[] rowCounts, double secondsEach) throws OrtException {
        OnnxGraph g = new OnnxGraph("gemm");
        g.input("x", DataType.FLOAT_VALUE, "rows", (long) width);
        g.output("y", DataType.FLOAT_VALUE, "rows", (long) 4 * width);
        float[] weights = new float[width * 4 * width];
        Random random = new Random(1);
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) random.nextGaussian() * 0.02f;
        }
        g.node("MatMul", "y", new String[] {"x", g.floats("w", weights, width, 4L * width)});
        byte[] model = g.toModel("millrace", "GEMM ceiling").toByteArray();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<Integer, Double> rates = new LinkedHashMap<>();
        try (OrtSession.SessionOptions options = DecoderSession.sessionOptions(false);
                OrtSession session = env.createSession(model, options)) {
            for (int rows : rowCounts) {
                float[] x = new float[rows * width];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, width})) {
                    Map<String, OnnxTensor> feed = Map.of("x", input);
                    for (int i = 0; i < 3; i++) {
                        session.run(feed).close();
                    }
                    long start = System.nanoTime();
                    long runs = 0;
                    long elapsed;
                    do {
                        session.run(feed).close();
                        runs++;
                        elapsed = System.nanoTime() - start;
                    } while (elapsed < secondsEach * 1e9);
                    double flops = 2.0 * rows * width * 4.0 * width * runs;
                    rates.put(rows, flops / elapsed); // FLOP per nanosecond: GFLOP/s
                }
            }
        }
        return rates;
    }
}
