/*
 * nano_native.c - the nanobenchmarks as a 32-bit Linux program.
 *
 * Linked with the same nano.o and nano_core.o as the guest kernel. It runs
 * the operations that are legal in Ring 3 (the ALU op, PUSHF, POPF, CPUID,
 * RDTSC, call/ret; the rest would fault) and measures the host's TSC rate,
 * which converts the TSC ticks of guests under QEMU and KVM to time.
 *
 * Usage:  nano [--iters N | --target T] [--rounds N] [--ops a,b,c]    run
 *         nano --list      list the operations, one a line, tab-separated:
 *                          NAME RING UNIT ABOUT [NEEDS]
 *                          (RING: ring0, any, or pending; NEEDS: pending only)
 * (the options are those of the guest's command line: see nano_guest.c)
 *
 * Output: the guest's NANO lines (nano_print.h) for the Ring 3 operations,
 * then
 *   NANO host ns=NANOSECONDS tsc=TICKS
 * the CLOCK_MONOTONIC and RDTSC deltas over a calibration interval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nano.h"
#include "nano_print.h"

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

static int wanted(const char *ops, const struct nano_test *t)
{
    if (!ops)
        return 1;
    for (const char *p = ops; *p;) {
        size_t n = strcspn(p, ",");
        if (n && nano_find(p, (unsigned)n) == t)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

static unsigned parse_count(const char *prog, const char *what, const char *text)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (!*text || *end || text[0] == '-' || v > 0xFFFFFFFFul) {
        fprintf(stderr, "%s: bad %s '%s'\n", prog, what, text);
        exit(2);
    }
    return (unsigned)v;
}

int main(int argc, char **argv)
{
    unsigned iters = 0, rounds = NANO_DEFAULT_ROUNDS;
    unsigned long long target = NANO_DEFAULT_TARGET;
    const char *ops = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            for (unsigned k = 0; k < nano_test_count; k++)
                printf("%s\t%s\t%s\t%s\n", nano_tests[k].name,
                       nano_tests[k].ring0 ? "ring0" : "any", nano_tests[k].unit,
                       nano_tests[k].about);
            for (unsigned k = 0; k < nano_pending_count; k++)
                printf("%s\tpending\t-\t%s\t%s\n", nano_pending[k].name,
                       nano_pending[k].about, nano_pending[k].needs);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: '%s' needs a value (or unknown option)\n", argv[0], argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--iters") == 0)
            iters = parse_count(argv[0], "iteration count", argv[++i]);
        else if (strcmp(argv[i], "--target") == 0)
            target = parse_count(argv[0], "tick target", argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = parse_count(argv[0], "round count", argv[++i]);
        else if (strcmp(argv[i], "--ops") == 0)
            ops = argv[++i];
        else {
            fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
            return 2;
        }
    }
    for (const char *p = ops; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n && !nano_find(p, (unsigned)n)) {
            fprintf(stderr, "%s: unknown operation '%.*s'\n", argv[0], (int)n, p);
            return 2;
        }
        p += n + (p[n] == ',');
    }

    for (unsigned i = 0; i < nano_test_count; i++) {
        const struct nano_test *t = &nano_tests[i];
        struct nano_result r;
        if (t->ring0 || !wanted(ops, t))
            continue;
        nano_measure(t, iters ? iters : nano_calibrate(t, target), rounds, &r);
        nano_print_result(t, &r);
    }

    /* The host's TSC rate: RDTSC against CLOCK_MONOTONIC over 50 ms. */
    unsigned long long t0 = now_ns(), c0 = rdtsc(), t1, c1;
    do {
        t1 = now_ns();
        c1 = rdtsc();
    } while (t1 - t0 < 50000000ull);
    printf("NANO host ns=%llu tsc=%llu\n", t1 - t0, c1 - c0);
    return 0;
}
