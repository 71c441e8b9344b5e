/*
 * native_main.c - run one benchmark workload as a hosted 32-bit Linux program.
 *
 * Linked with exactly the object file the guest kernel is linked with (see
 * benchmarks/build.py), so native and guest runs execute the same workload
 * machine code.
 *
 * Usage:  NAME [ITERATIONS]      run (default: the workload's default count)
 *         NAME --info            print "name default-iterations about"
 *
 * Output (one line):
 *   BENCH name=NAME iterations=N checksum=0x%016llx ns=NANOSECONDS tsc=TICKS
 * ns is the CLOCK_MONOTONIC time of workload_run() alone; tsc is the RDTSC
 * delta over the same interval, which gives the host's TSC rate (needed to
 * read the TSC deltas that guests print under QEMU and KVM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workloads/bench.h"

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static unsigned long long rdtsc(void)
{
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((unsigned long long)hi << 32) | lo;
}

int main(int argc, char **argv)
{
    unsigned iterations = workload_info.default_iterations;

    if (argc > 1 && strcmp(argv[1], "--info") == 0) {
        printf("%s %u %s\n", workload_info.name, workload_info.default_iterations,
               workload_info.about);
        return 0;
    }
    if (argc > 1) {
        char *end;
        unsigned long v = strtoul(argv[1], &end, 0);
        if (*argv[1] == 0 || *end != 0 || argv[1][0] == '-') {
            fprintf(stderr, "%s: bad iteration count '%s'\n", workload_info.name, argv[1]);
            return 2;
        }
        iterations = (unsigned)v;
    }

    unsigned long long t0 = now_ns(), c0 = rdtsc();
    unsigned long long sum = workload_run(iterations);
    unsigned long long c1 = rdtsc(), t1 = now_ns();

    printf("BENCH name=%s iterations=%u checksum=0x%016llx ns=%llu tsc=%llu\n",
           workload_info.name, iterations, sum, t1 - t0, c1 - c0);
    return 0;
}
