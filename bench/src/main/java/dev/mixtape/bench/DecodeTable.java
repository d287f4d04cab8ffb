package dev.mixtape.bench;

import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;

import java.util.Locale;

/**
 * Token-by-token decoding speed of random-weight Llamas at the shapes of stories15M and stories110M
 * (llama2.c's tinyllamas), on the Vector backend with 1 and 2 threads: greedy decoding from BOS over
 * a KV cache, after a warm-up run. Prints a Markdown table of generated tokens per second.
 */
public final class DecodeTable {
    private DecodeTable() {
    }

    private record Shape(String name, LlamaConfig config) {
    }

    /** Runs the table; {@code --quick} decodes fewer tokens. */
    public static void main(String[] args) {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        int tokens = quick ? 64 : 256;
        Shape[] shapes = {
            new Shape("stories15M (288, 6 layers, vocab 32000)", new LlamaConfig(288, 768, 6, 6, 6, 48, 32000, 1024, 1e-5, 10000, null, true, 1, 2)),
            new Shape("stories110M (768, 12 layers, vocab 32000)", new LlamaConfig(768, 2048, 12, 12, 12, 64, 32000, 1024, 1e-5, 10000, null, true, 1, 2)),
        };
        System.out.println("| model shape | threads | tokens | gen tok/s |");
        System.out.println("|---|---|---|---|");
        for (Shape shape : shapes) {
            for (int threads : new int[] {1, 2}) {
                try (VectorBackend backend = new VectorBackend(threads)) {
                    Llama llama = Llama.random(shape.config(), backend, 1);
                    decode(llama, tokens);
                    double perSecond = decode(llama, tokens);
                    System.out.printf(Locale.ROOT, "| %s | %d | %d | %.1f |%n", shape.name(), threads, tokens, perSecond);
                }
            }
        }
    }

    /** Decodes {@code tokens} tokens greedily from BOS; returns tokens per second. */
    private static double decode(Llama llama, int tokens) {
        Llama.Session session = llama.newSession(tokens + 1);
        int token = llama.config().bosId();
        long start = System.nanoTime();
        for (int i = 0; i < tokens; i++) {
            token = Sampler.argmax(session.forward(token));
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }
}
