package dev.sluice.testjob;

/** The command-line arguments of {@link CountingJob}. */
final class JobArguments {
    long keys = 4;
    double rate = 50;
    String output;
    String tag = "run";

    static JobArguments parse(String[] args) {
        JobArguments parsed = new JobArguments();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + name);
            }
            String value = args[++i];
            switch (name) {
                case "--keys" -> parsed.keys = Long.parseLong(value);
                case "--rate" -> parsed.rate = Double.parseDouble(value);
                case "--output" -> parsed.output = value;
                case "--tag" -> parsed.tag = value;
                default -> throw new IllegalArgumentException(
                        "unknown argument " + name + " (expected --keys, --rate, --output, --tag)");
            }
        }
        if (parsed.output == null || parsed.output.isEmpty()) {
            throw new IllegalArgumentException("--output DIR is required");
        }
        if (parsed.keys < 1 || parsed.rate <= 0) {
            throw new IllegalArgumentException("--keys must be >= 1 and --rate > 0");
        }
        return parsed;
    }
}
