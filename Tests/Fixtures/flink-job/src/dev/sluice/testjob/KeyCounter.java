package dev.sluice.testjob;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Counts records per key in keyed state and about once a second appends {@code tag key count} for
 * every key seen since the last report to {@code output/counts-<subtask>.txt}; the first record
 * after (re)start is reported at once.
 */
final class KeyCounter extends KeyedProcessFunction<Long, Long, Long> {
    private static final long REPORT_INTERVAL_MILLIS = 1000;

    private final String tag;
    private final String output;
    private transient ValueState<Long> count;
    private transient Map<Long, Long> unreported;
    private transient Path file;
    private transient long lastReport;

    KeyCounter(String tag, String output) {
        this.tag = tag;
        this.output = output;
    }

    @Override
    public void open(OpenContext context) throws IOException {
        count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Long.class));
        unreported = new TreeMap<>();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        Files.createDirectories(Paths.get(output));
        file = Paths.get(output, "counts-" + subtask + ".txt");
        // Report the very first record at once, so a job that starts without restored state shows a
        // count of 1 and a restored one shows where it continues.
        lastReport = 0;
    }

    @Override
    public void processElement(Long value, Context context, Collector<Long> out) throws Exception {
        Long previous = count.value();
        long next = (previous == null ? 0 : previous) + 1;
        count.update(next);
        unreported.put(context.getCurrentKey(), next);
        long now = System.currentTimeMillis();
        if (now - lastReport >= REPORT_INTERVAL_MILLIS) {
            report();
            lastReport = now;
        }
        out.collect(next);
    }

    @Override
    public void close() throws IOException {
        if (unreported != null && !unreported.isEmpty()) {
            report();
        }
    }

    /** Appends one line per key; a single append of whole lines keeps readers from seeing half lines. */
    private void report() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (Map.Entry<Long, Long> entry : unreported.entrySet()) {
            lines.append(tag).append(' ').append(entry.getKey()).append(' ').append(entry.getValue()).append('\n');
        }
        Files.write(file, lines.toString().getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        unreported.clear();
    }
}
