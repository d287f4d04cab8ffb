package dev.mixtape.bench;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a Spark step's time goes, from Spark's own listener events: each job (one per training step)
 * from submission to its end, and its tasks' run, deserialisation and result-serialisation times and
 * result sizes. The benchmark's {@link SparkTable} sets it against the step's wall time on the driver.
 */
final class SparkStepTimes extends SparkListener {
    /** One job: its wall time, its slowest task's run time and what all its tasks spent around running. */
    record Job(double wallSeconds, double slowestRunSeconds, double deserializeSeconds, double resultSerializeSeconds, long resultBytes) {
    }

    private final Map<Integer, Long> starts = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> stageToJob = new ConcurrentHashMap<>();
    private final Map<Integer, long[]> tasks = new ConcurrentHashMap<>();
    private final List<Job> jobs = new ArrayList<>();

    @Override
    public void onJobStart(SparkListenerJobStart start) {
        starts.put(start.jobId(), start.time());
        for (Object stage : scala.jdk.javaapi.CollectionConverters.asJava(start.stageIds())) {
            stageToJob.put((Integer) stage, start.jobId());
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        Integer job = stageToJob.get(end.stageId());
        if (job == null || end.taskMetrics() == null) {
            return;
        }
        long[] sums = tasks.computeIfAbsent(job, _ -> new long[4]);
        synchronized (sums) {
            sums[0] = Math.max(sums[0], end.taskMetrics().executorRunTime());
            sums[1] += end.taskMetrics().executorDeserializeTime();
            sums[2] += end.taskMetrics().resultSerializationTime();
            sums[3] += end.taskMetrics().resultSize();
        }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd end) {
        Long start = starts.remove(end.jobId());
        long[] sums = tasks.remove(end.jobId());
        if (start == null || sums == null) {
            return;
        }
        synchronized (jobs) {
            jobs.add(new Job((end.time() - start) / 1e3, sums[0] / 1e3, sums[1] / 1e3, sums[2] / 1e3, sums[3]));
        }
    }

    /** The jobs ended so far, in the order they ended. */
    List<Job> jobs() {
        synchronized (jobs) {
            return List.copyOf(jobs);
        }
    }
}
