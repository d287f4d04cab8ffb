package dev.mixtape.models.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;

import java.io.IOException;

/** The real stories260K model and tokenizer from shared/, and small helpers for the adapter tests on it. */
final class Stories {
    static final int IGNORE = -100;

    private Stories() {
    }

    /** A fresh copy of the model (every call loads its own weights). */
    static Llama load(Backend backend) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(SharedFiles.require("models/stories260K/hf"))) {
            return Llama.load(checkpoint, backend);
        }
    }

    static Tokenizer tokenizer() throws IOException {
        return Tokenizers.load(SharedFiles.require("models/stories260K/tok512.bin"));
    }

    /** The ids of a short story opening, BOS first. */
    static int[] ids() throws IOException {
        return tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play outside.", true);
    }

    /** Next-token targets for {@code ids}: each id's successor, {@link #IGNORE} for the last. */
    static int[] nextTokens(int[] ids) {
        int[] targets = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            targets[i] = i + 1 < ids.length ? ids[i + 1] : IGNORE;
        }
        return targets;
    }

    /** Logits of one sequence, off the tape. */
    static float[] logits(Llama llama, int[] ids) {
        try (var _ = Grad.off()) {
            return llama.forward(ids, 1, ids.length).toFloatArray();
        }
    }

    /** Mean next-token loss of one sequence, off the tape. */
    static double loss(Llama llama, int[] ids) {
        try (var _ = Grad.off()) {
            return llama.loss(ids, nextTokens(ids), 1, ids.length, IGNORE).item();
        }
    }

    /** The largest absolute difference between two arrays of equal length. */
    static double maxDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(a.length + " vs " + b.length + " values");
        }
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
