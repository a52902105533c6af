package io.millrace.worker.model.build;

/**
 * The size of a model that {@link TinyModel} writes: GPT-2 hyper-parameters, the vocabulary size and
 * how the weights are stored.
 *
 * @param vocabSize 0: as many tokens as BPE training on the built-in corpus yields (the tiny model);
 *     otherwise the exact size, the trained merges topped up with deterministic synthetic merges so that
 *     every id is a real token that decodes
 * @param zeroSpecialEmbeddings the special tokens' embedding rows are zero, so their tied-output logit is
 *     exactly 0 while the other logits of a 768-wide model spread to about ±2: greedy decoding then never
 *     picks an end-of-sequence token, and every benchmark request generates its full token budget
 * @param externalData weights go to {@code model.onnx_data} beside a small {@code model.onnx} (the ONNX
 *     external data format, as Optimum saves large exports), written as they are drawn so that a
 *     500 MB model never sits in the heap at once
 */
public record ModelShape(String name, int nLayer, int nHead, int nEmbd, int nPositions, int vocabSize,
        boolean zeroSpecialEmbeddings, boolean externalData) {
    /** The built-in model {@code millrace-tiny}: 2 layers, 4 heads, 64 wide, 512 positions, ~600 tokens. */
    public static final ModelShape TINY = new ModelShape("tiny", 2, 4, 64, 512, 0, false, false);

    /** GPT-2 small's shape (124M parameters): 12 layers, 12 heads, 768 wide, 1024 positions, 50257 tokens. */
    public static final ModelShape GPT2_SMALL = new ModelShape("gpt2-small", 12, 12, 768, 1024, 50257, true, true);

    public ModelShape {
        if (nLayer <= 0 || nHead <= 0 || nEmbd <= 0 || nPositions <= 0 || vocabSize < 0) {
            throw new IllegalArgumentException("model shape " + name + " has a non-positive size");
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("n_embd " + nEmbd + " is not a multiple of n_head " + nHead);
        }
    }

    /** The shape named {@code tiny} or {@code gpt2-small}. */
    public static ModelShape named(String name) {
        for (ModelShape s : new ModelShape[] {TINY, GPT2_SMALL}) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown model shape " + name + ": use tiny or gpt2-small");
    }

    /** Parameters of the graph (tied output embedding counted once), given the vocabulary size. */
    public long parameters(int vocab) {
        long e = nEmbd;
        long perLayer = 2 * 2 * e + (e * 3 * e + 3 * e) + (e * e + e) + (e * 4 * e + 4 * e) + (4 * e * e + e);
        return (long) vocab * e + (long) nPositions * e + nLayer * perLayer + 2 * e;
    }
}
