/*
 * nano_core.c - the nanobenchmark table and the measurement (see nano.h).
 *
 * Compiled once and linked into both drivers, like the workloads: the guest
 * kernel and the native program time exactly the same loops the same way.
 * Freestanding: no calls but the loops of nano.S (and libgcc's 64-bit
 * division).
 */
#include "nano.h"

#define LOOPS(n) extern nano_loop_fn nano_##n
LOOPS(empty); LOOPS(add); LOOPS(cli); LOOPS(sti); LOOPS(cli_sti);
LOOPS(pushf); LOOPS(pushf_base); LOOPS(popf); LOOPS(popf_base); LOOPS(pushf_popf);
LOOPS(in80); LOOPS(in3fd); LOOPS(in3fd_base); LOOPS(out80); LOOPS(out80_base);
LOOPS(mov_cr3); LOOPS(cpuid); LOOPS(cpuid_base); LOOPS(rdtsc); LOOPS(call_ret);

/* name, op loop, baseline loop, ops per repetition, Ring 0 only, unit,
 * about. The order is the report's order. */
const struct nano_test nano_tests[] = {
    { "add", nano_add, nano_empty, 1, 0, "insn",
      "add %edx,%ecx: a plain ALU op (one ordinary micro-op), for comparison" },
    { "cli", nano_cli, nano_empty, 1, 1, "insn", "cli" },
    { "sti", nano_sti, nano_empty, 1, 1, "insn", "sti (PIC masked)" },
    { "cli_sti", nano_cli_sti, nano_empty, 2, 1, "pair/2",
      "cli; sti pair, reported per instruction" },
    { "pushf", nano_pushf, nano_pushf_base, 1, 0, "insn", "pushfl" },
    { "popf", nano_popf, nano_popf_base, 1, 0, "insn",
      "popfl of the current EFLAGS" },
    { "pushf_popf", nano_pushf_popf, nano_empty, 2, 0, "pair/2",
      "pushfl; popfl pair, reported per instruction" },
    { "in80", nano_in80, nano_empty, 1, 1, "insn", "inb $0x80,%al (POST port)" },
    { "in3fd", nano_in3fd, nano_in3fd_base, 1, 1, "insn",
      "inb %dx,%al from 0x3FD (COM1 line status)" },
    { "out80", nano_out80, nano_out80_base, 1, 1, "insn", "outb %al,$0x80 (POST port)" },
    { "mov_cr3", nano_mov_cr3, nano_empty, 1, 1, "reload",
      "mov %cr3,%eax; mov %eax,%cr3 (paging off)" },
    { "cpuid", nano_cpuid, nano_cpuid_base, 1, 0, "insn", "cpuid, leaf 0" },
    { "rdtsc", nano_rdtsc, nano_empty, 1, 0, "insn", "rdtsc" },
    { "call_ret", nano_call_ret, nano_empty, 1, 0, "call+ret",
      "near call to a bare ret: one call and one ret" },
};
const unsigned nano_test_count = sizeof nano_tests / sizeof nano_tests[0];

/* Listed so that the report shows them, never timed until bt can run them. */
const struct nano_pending nano_pending[] = {
    { "syscall", "Ring 3 -> Ring 0 system call round trip (INT n and IRET)",
      "interrupt delivery through the IDT, a TSS and Ring 3" },
    { "page_fault", "page fault resolved by the kernel",
      "paging (CR0.PG) and #PF delivery" },
    { "pte_write", "page-table entry write followed by a use of the mapping",
      "paging (CR0.PG) and a TLB" },
    { "divzero", "divide-by-zero fault delivery (#DE to a handler and back)",
      "exception delivery through the IDT" },
};
const unsigned nano_pending_count = sizeof nano_pending / sizeof nano_pending[0];

const struct nano_test *nano_find(const char *name, unsigned len)
{
    for (unsigned i = 0; i < nano_test_count; i++) {
        const char *n = nano_tests[i].name;
        unsigned k = 0;
        while (k < len && n[k] && n[k] == name[k])
            k++;
        if (k == len && n[k] == 0)
            return &nano_tests[i];
    }
    return 0;
}

static inline nano_u64 read_tsc(void)
{
    nano_u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((nano_u64)hi << 32) | lo;
}

static nano_u64 nano_time(nano_loop_fn *fn, nano_u32 iterations)
{
    nano_u64 t0 = read_tsc();
    fn(iterations);
    return read_tsc() - t0;
}

nano_u32 nano_calibrate(const struct nano_test *t, nano_u64 target_ticks)
{
    nano_u32 n = 16;

    t->base(n);                         /* translate / warm the baseline too */
    for (;;) {
        nano_u64 d = nano_time(t->op, n);
        if (d * 8 >= target_ticks || n >= NANO_MAX_ITERATIONS / 8) {
            /* Close enough to extrapolate. */
            nano_u64 want = d ? target_ticks * n / d : NANO_MAX_ITERATIONS;
            if (want > NANO_MAX_ITERATIONS)
                want = NANO_MAX_ITERATIONS;
            return want ? (nano_u32)want : 1;
        }
        n *= 8;
    }
}

void nano_measure(const struct nano_test *t, nano_u32 iterations, unsigned rounds,
                  struct nano_result *r)
{
    nano_u32 warm = iterations < 64 ? iterations : 64;

    /* Warm-up: translations (bt, TCG), caches and branch predictors. */
    t->base(warm);
    t->op(warm);
    r->iterations = iterations;
    r->ops = iterations * NANO_REPS * t->per_rep;
    r->op_ticks = r->base_ticks = ~0ull;
    for (unsigned i = 0; i < (rounds ? rounds : 1); i++) {
        nano_u64 b = nano_time(t->base, iterations);
        nano_u64 o = nano_time(t->op, iterations);
        if (b < r->base_ticks)
            r->base_ticks = b;
        if (o < r->op_ticks)
            r->op_ticks = o;
    }
}

long long nano_milliticks(const struct nano_result *r)
{
    nano_u64 ops = r->ops ? r->ops : 1;
    if (r->op_ticks >= r->base_ticks)
        return (long long)((r->op_ticks - r->base_ticks) * 1000ull / ops);
    return -(long long)((r->base_ticks - r->op_ticks) * 1000ull / ops);
}
