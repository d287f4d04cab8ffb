package dev.mixtape.models.llama;

import java.lang.foreign.MemorySegment;

/**
 * Converts q/k projection rows between the Meta layout (RoPE pairs adjacent: {@code 2j, 2j+1}) used
 * by llama2.c and GGUF files and the Hugging Face layout (pairs {@code j, j + headDim/2}): HF row
 * {@code h·hd + k·hd/2 + j} holds Meta row {@code h·hd + 2j + k}. With the rows permuted, HF's
 * rotate-half RoPE gives exactly the logits of Meta's interleaved RoPE.
 */
final class RopePermutation {
    private RopePermutation() {
    }

    /** The Meta-layout row that HF-layout row {@code hfRow} of a q or k projection holds. */
    static int metaRow(int hfRow, int headDim) {
        int half = headDim / 2;
        int inHead = hfRow % headDim;
        return hfRow - inHead + 2 * (inHead % half) + inHead / half;
    }

    /** Rows of a Meta-layout {@code [heads·headDim, cols]} matrix, rearranged into the HF layout. */
    static float[] metaToHf(float[] meta, int heads, int headDim, int cols) {
        float[] hf = new float[meta.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < half; j++) {
                    int hfRow = h * headDim + k * half + j;
                    int metaRow = h * headDim + 2 * j + k;
                    System.arraycopy(meta, metaRow * cols, hf, hfRow * cols, cols);
                }
            }
        }
        return hf;
    }

    /**
     * As {@link #metaToHf}, for a matrix stored as rows of {@code rowBytes} bytes each (a block-quantised
     * one, whose rows are whole blocks): the rows move as they are, into a new heap segment.
     */
    static MemorySegment metaToHf(MemorySegment meta, long rowBytes, int heads, int headDim) {
        MemorySegment hf = MemorySegment.ofArray(new byte[Math.toIntExact(meta.byteSize())]);
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < half; j++) {
                    long hfRow = (long) h * headDim + k * half + j;
                    long metaRow = (long) h * headDim + 2L * j + k;
                    MemorySegment.copy(meta, metaRow * rowBytes, hf, hfRow * rowBytes, rowBytes);
                }
            }
        }
        return hf;
    }
}
