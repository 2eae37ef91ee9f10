package dev.sluice.testjob;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * An endless, checkpointable test job for Sluice's Flink tests.
 *
 * <p>A number sequence, throttled to {@code --rate} records per second, is keyed by {@code value % keys};
 * a keyed counter (ValueState) counts the records of each key and about once a second appends
 * {@code tag key count} lines to {@code DIR/counts-<subtask>.txt}. After a stop-with-savepoint and a
 * restore the counts continue from where they were, which is what the tests check.
 *
 * <p>Arguments: {@code --keys N} (default 4), {@code --rate R} (default 50), {@code --output DIR}
 * (required), {@code --tag STRING} (default "run").
 */
public final class CountingJob {
    private CountingJob() {}

    public static void main(String[] args) throws Exception {
        JobArguments arguments = JobArguments.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        // The cluster configuration wins when it already enables checkpointing.
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(Duration.ofSeconds(1).toMillis());
        }
        final long keys = arguments.keys;
        // Explicit uids map the operators' state when a savepoint is restored, even with another
        // parallelism or another tag.
        env.fromSequence(0, Long.MAX_VALUE)
                .uid("sluice-sequence-source").name("sequence")
                .map(new Throttle(arguments.rate))
                .uid("sluice-throttle").name("throttle")
                .keyBy(value -> value % keys)
                .process(new KeyCounter(arguments.tag, arguments.output))
                .uid("sluice-key-counter").name("key-counter")
                .sinkTo(new DiscardingSink<>())
                .uid("sluice-discard").name("discard");
        env.execute("sluice-test-job " + arguments.tag);
    }
}
