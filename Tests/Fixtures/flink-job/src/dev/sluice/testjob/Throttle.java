package dev.sluice.testjob;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/** Passes records through at most {@code rate} per second in total, shared over the parallel subtasks. */
final class Throttle extends RichMapFunction<Long, Long> {
    private final double rate;
    private transient long nanosPerRecord;
    private transient long nextDue;

    Throttle(double rate) {
        this.rate = rate;
    }

    @Override
    public void open(OpenContext context) {
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        nanosPerRecord = (long) (1_000_000_000L * parallelism / rate);
        nextDue = System.nanoTime();
    }

    @Override
    public Long map(Long value) throws Exception {
        long wait = nextDue - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
        }
        // Do not let a long pause (for example a checkpoint) turn into a burst afterwards.
        nextDue = Math.max(nextDue, System.nanoTime() - nanosPerRecord) + nanosPerRecord;
        return value;
    }
}
