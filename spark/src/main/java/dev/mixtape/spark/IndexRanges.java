package dev.mixtape.spark;

import org.apache.spark.Partitioner;

/**
 * Places sequence {@code i} of {@code size} in partition {@code i · partitions / size}: contiguous
 * ranges of indices, so that the driver knows which partitions hold a step's rows and fetches only those.
 */
final class IndexRanges extends Partitioner {
    private final int partitions;
    private final long size;

    IndexRanges(int partitions, long size) {
        this.partitions = partitions;
        this.size = size;
    }

    @Override
    public int numPartitions() {
        return partitions;
    }

    @Override
    public int getPartition(Object key) {
        return (int) ((Long) key * partitions / size);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IndexRanges ranges && ranges.partitions == partitions && ranges.size == size;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(size) * 31 + partitions;
    }
}
