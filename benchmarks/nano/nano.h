/*
 * nano.h - the nanobenchmarks: the interface between the timed loops
 * (nano.S, nano_core.c: compiled once) and their two drivers (nano_guest.c,
 * a Multiboot kernel; nano_native.c, a 32-bit Linux program).
 *
 * Each operation is timed in the style of Adams and Agesen ("A Comparison of
 * Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006): a
 * loop of N iterations that executes the operation, and the same loop
 * without it, both timed with RDTSC. Each iteration repeats the operation
 * NANO_REPS times (so the loop's own dec/jnz is a small part of it), and
 *
 *     ticks per op = (t_op - t_base) / (N * NANO_REPS * per_rep)
 *
 * where per_rep is the number of operations in one repetition (2 for the
 * CLI/STI and PUSHF/POPF pairs, which are reported per instruction).
 * t_op and t_base are each the minimum over several rounds.
 *
 * Ticks are the engine's TSC: bt's is a 1 GHz clock (1 tick = 1 ns); QEMU's
 * and KVM's run at the host TSC rate, which the native program measures.
 */
#ifndef NANO_H
#define NANO_H

#define NANO_REPS 10            /* operations per loop iteration (unrolled) */

#ifndef __ASSEMBLER__

typedef unsigned int nano_u32;
typedef unsigned long long nano_u64;
typedef void nano_loop_fn(nano_u32 iterations);

struct nano_test {
    const char *name;           /* e.g. "cli" */
    nano_loop_fn *op;           /* the loop with the operation */
    nano_loop_fn *base;         /* the same loop without it */
    unsigned per_rep;           /* operations per repetition (the divisor) */
    int ring0;                  /* needs CPL 0 (not run by the native program) */
    const char *unit;           /* what one op is: "insn", "pair/2" (one
                                   instruction of a pair, on average),
                                   "reload", "call+ret" (no spaces) */
    const char *about;          /* one line */
};

/* An operation that needs machinery bt does not have yet: listed, never timed. */
struct nano_pending {
    const char *name;
    const char *about;
    const char *needs;
};

struct nano_result {
    nano_u32 iterations;        /* loop iterations of each timed run */
    nano_u32 ops;               /* operations per timed run */
    nano_u64 op_ticks;          /* min over rounds, the loop with the operation */
    nano_u64 base_ticks;        /* min over rounds, the loop without it */
};

extern const struct nano_test nano_tests[];
extern const unsigned nano_test_count;
extern const struct nano_pending nano_pending[];
extern const unsigned nano_pending_count;

/* Unless told the iteration count, each test picks the one that makes its
 * operation loop last about NANO_DEFAULT_TARGET ticks (10 ms under bt, about
 * 4 ms at a 2.5 GHz host TSC). */
#define NANO_DEFAULT_TARGET 10000000ull
#define NANO_DEFAULT_ROUNDS 5u
#define NANO_MAX_ITERATIONS (1u << 24)

/* The test called `name` (the first `len` characters), or 0. */
const struct nano_test *nano_find(const char *name, unsigned len);

/* The iteration count that makes t's operation loop last about
 * `target_ticks` (doubles as the warm-up run). */
nano_u32 nano_calibrate(const struct nano_test *t, nano_u64 target_ticks);

/* Time `t` at `iterations`: a warm-up run of each loop, then `rounds`
 * rounds of (baseline loop, operation loop); keep each loop's minimum. */
void nano_measure(const struct nano_test *t, nano_u32 iterations, unsigned rounds,
                  struct nano_result *r);

/* Ticks per operation, times 1000, rounded towards zero (may be negative:
 * an operation that costs nothing, plus noise). */
long long nano_milliticks(const struct nano_result *r);

#endif /* __ASSEMBLER__ */
#endif
