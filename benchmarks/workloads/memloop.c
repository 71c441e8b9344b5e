/*
 * memloop - memory-heavy read-modify-write loops.
 *
 * A 384 KiB working set (larger than a typical L1 and L2, smaller than the
 * L3) is walked sequentially, with a cache-line stride, with a large prime
 * stride, in reverse, and through 8- and 16-bit views; every pass reads,
 * modifies and writes back. This stresses the memory micro-ops of a
 * translator (address computation, bounds/TLB checks, partial-width access)
 * rather than its ALU.
 */
#include "bench.h"

WORKLOAD("memloop", 6000, "read-modify-write over 384 KiB: sequential, strided, reverse, 8/16/32-bit");

#define NWORDS (96 * 1024)                  /* 384 KiB of u32 */
#define NHALF  (NWORDS * 2)
#define NBYTES (NWORDS * 4)

static union {
    u32 w[NWORDS];
    u16 h[NHALF];
    u8 b[NBYTES];
} buf;

static void fill(u32 seed)
{
    u32 x = seed | 1;
    for (u32 i = 0; i < NWORDS; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf.w[i] = x;
    }
}

/* Sequential RMW with a loop-carried value. */
static u32 pass_seq(u32 k)
{
    u32 carry = k;
    u32 *w = buf.w;
    for (u32 i = 0; i < NWORDS; i++) {
        u32 v = w[i];
        v = (v + carry) ^ (v >> 7);
        w[i] = v;
        carry = v & 0xff;
    }
    return carry;
}

/* One word per cache line, all 16 phases: every word touched once. */
static u32 pass_line_stride(void)
{
    u32 acc = 0;
    u32 *w = buf.w;
    for (u32 phase = 0; phase < 16; phase++) {
        for (u32 i = phase; i < NWORDS; i += 16) {
            u32 v = w[i] * 3u + phase;
            w[i] = v;
            acc += v;
        }
    }
    return acc;
}

/* A large odd stride modulo the array size: a permutation of all words. */
static u32 pass_prime_stride(u32 k)
{
    u32 acc = k;
    u32 *w = buf.w;
    u32 j = k % NWORDS;
    for (u32 n = 0; n < NWORDS; n++) {
        u32 v = w[j];
        w[j] = v ^ acc;
        acc = (acc << 1 | acc >> 31) + v;
        j += 40961;                         /* prime, coprime with NWORDS */
        if (j >= NWORDS)
            j -= NWORDS;
    }
    return acc;
}

/* Reverse walk, mixing each word with its neighbour (reads two, writes one). */
static u32 pass_reverse(void)
{
    u32 *w = buf.w;
    for (u32 i = NWORDS - 1; i > 0; i--)
        w[i - 1] += w[i] >> 3;
    return w[0];
}

/* 16-bit view: saturating-ish add, sign tricks. */
static u32 pass_half(void)
{
    u32 acc = 0;
    u16 *h = buf.h;
    for (u32 i = 0; i < NHALF; i += 2) {
        s16 x = (s16)h[i];
        s16 y = (s16)h[i + 1];
        h[i] = (u16)(x + (y >> 2));
        h[i + 1] = (u16)(y ^ x);
        acc += (u16)x;
    }
    return acc;
}

/* Byte view: histogram (random-address RMW into a small table) + rewrite. */
static u32 pass_bytes(void)
{
    static u32 hist[256];
    u8 *b = buf.b;
    for (u32 i = 0; i < 256; i++)
        hist[i] = 0;
    for (u32 i = 0; i < NBYTES; i += 3) {
        u8 v = b[i];
        hist[v]++;
        b[i] = (u8)(v + 1);
    }
    u32 acc = 0;
    for (u32 i = 0; i < 256; i++)
        acc = acc * 31 + hist[i];
    return acc;
}

u64 workload_run(unsigned iterations)
{
    u64 h = BENCH_FNV_OFFSET;
    if (iterations == 0)
        return h;
    fill(0x2545f491u);
    for (unsigned it = 0; it < iterations; it++) {
        switch (it % 6) {
        case 0: h = bench_mix(h, pass_seq(it)); break;
        case 1: h = bench_mix(h, pass_line_stride()); break;
        case 2: h = bench_mix(h, pass_prime_stride(it * 2654435761u)); break;
        case 3: h = bench_mix(h, pass_reverse()); break;
        case 4: h = bench_mix(h, pass_half()); break;
        default: h = bench_mix(h, pass_bytes()); break;
        }
    }
    for (u32 i = 0; i < NWORDS; i += 97)
        h = bench_mix(h, buf.w[i]);
    return h;
}
