package dev.mixtape.models.train;

/** Where a {@link BatchCursor} stands: the epoch (from 0) and the number of its batches already taken. */
record DataPosition(int epoch, int batch) {
}
