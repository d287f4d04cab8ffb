package dev.mixtape.models.llama;

/**
 * How one weight is stored in a checkpoint's file, before anything is read or converted.
 *
 * @param type  the element type as the file names it: F32, F16, BF16, or a block format such as Q4_K
 * @param bytes the bytes the tensor's data takes in the file
 */
public record StoredTensor(String type, long bytes) {
}
