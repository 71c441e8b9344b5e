/*
 * bench.h - the interface between a benchmark workload and its two drivers.
 *
 * A workload is one freestanding C file (no libc, no headers but this one),
 * compiled ONCE to an object file and linked twice: with native_main.c into
 * a hosted 32-bit Linux program, and with guest_main.c plus the guest
 * runtime into a Multiboot kernel. Both drivers therefore execute the very
 * same machine code for the workload itself.
 *
 * Each workload defines exactly one WORKLOAD(...) and the function
 *
 *     unsigned long long workload_run(unsigned iterations);
 *
 * which does `iterations` units of work and returns a checksum of what it
 * computed. The checksum must depend only on `iterations` (initialise all
 * state inside workload_run), so that every engine must reproduce it.
 * workload_run(0) must return quickly: the runners time it to measure the
 * boot overhead of a guest.
 */
#ifndef BENCH_H
#define BENCH_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

struct workload_info {
    const char *name;               /* the workload's name, e.g. "mix" */
    unsigned default_iterations;    /* about 0.3-1 s natively on a current x86 */
    const char *about;              /* one line for listings */
};

/* Defined by the WORKLOAD macro in each workload. */
extern const struct workload_info workload_info;

u64 workload_run(unsigned iterations);

#define WORKLOAD(name_, iters_, about_) \
    const struct workload_info workload_info = { name_, iters_, about_ }

/* Checksum helpers shared by the workloads (FNV-1a style, 64-bit). */
#define BENCH_FNV_OFFSET 0xcbf29ce484222325ULL
#define BENCH_FNV_PRIME  0x100000001b3ULL

static inline u64 bench_mix(u64 h, u64 v)
{
    h ^= v;
    h *= BENCH_FNV_PRIME;
    h ^= h >> 29;
    return h;
}

/* Keeps the compiler from deleting or hoisting work whose result is only
 * consumed by the checksum. */
#define BENCH_OPAQUE(x) __asm__ volatile("" : "+r"(x))
#define BENCH_BARRIER() __asm__ volatile("" ::: "memory")

#endif
