/* The floor for YAML parsing in `make bench`: libyaml's event parser over the same bytes Sluice
 * parses, doing nothing with the events. Sluice builds its value tree from these same events, so
 * its time over this program's is the cost of the tree. Built by scripts/bench.sh with
 * `cc -O2 $(pkg-config --cflags --libs yaml-0.1)`.
 *
 *   yaml-floor <dir> [rounds]
 *
 * prints "yaml-floor: <files> files, <events> events, <bytes> bytes, best of <n>: <wall> s wall, <cpu> s CPU";
 * the CPU time (this thread's) is the figure to compare on a machine shared with other work.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

struct file { unsigned char *data; size_t size; };
static struct file *files;
static size_t count, capacity, total;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".yaml") != 0) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    unsigned char *data = malloc(st->st_size ? (size_t)st->st_size : 1);
    size_t got = fread(data, 1, (size_t)st->st_size, f);
    fclose(f);
    if (count == capacity) {
        capacity = capacity ? capacity * 2 : 1024;
        files = realloc(files, capacity * sizeof *files);
    }
    files[count++] = (struct file){data, got};
    total += got;
    return 0;
}

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: yaml-floor <dir> [rounds]\n"); return 2; }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (nftw(argv[1], visit, 16, FTW_PHYS) != 0) { perror(argv[1]); return 2; }
    double best = 1e9, bestCPU = 1e9;
    long events = 0;
    for (int r = 0; r < rounds; r++) {
        events = 0;
        double t = now(CLOCK_MONOTONIC), c = now(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < count; i++) {
            yaml_parser_t parser;
            yaml_event_t event;
            if (!yaml_parser_initialize(&parser)) return 3;
            yaml_parser_set_input_string(&parser, files[i].data, files[i].size);
            for (;;) {
                if (!yaml_parser_parse(&parser, &event)) { fprintf(stderr, "parse error in file %zu\n", i); return 1; }
                int end = event.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&event);
                events++;
                if (end) break;
            }
            yaml_parser_delete(&parser);
        }
        t = now(CLOCK_MONOTONIC) - t;
        c = now(CLOCK_THREAD_CPUTIME_ID) - c;
        if (t < best) best = t;
        if (c < bestCPU) bestCPU = c;
    }
    printf("yaml-floor: %zu files, %ld events, %zu bytes, best of %d: %.4f s wall, %.4f s CPU\n", count, events, total, rounds, best, bestCPU);
    return 0;
}
