/*
 * mix - an integer compute mix in plain C.
 *
 * One unit of work runs eight small kernels, each seeded from the unit's
 * number so that nothing can be hoisted out of the loop:
 *   sieve of Eratosthenes, table-driven CRC32, insertion sort and quicksort,
 *   integer matrix multiply, recursive Fibonacci, a bytecode interpreter
 *   (switch dispatch: indirect jumps through a jump table), 64-bit
 *   arithmetic with division (libgcc's __udivdi3/__divdi3/__umoddi3), and
 *   pointer chasing through a randomly linked list.
 * This is the shape of ordinary compiled code: calls and returns, indirect
 * branches, data-dependent branches, byte and word memory traffic.
 */
#include "bench.h"

WORKLOAD("mix", 7500, "C mix: sieve, crc32, sorts, matmul, fib, bytecode VM, 64-bit div, list chase");

/* ------------------------------------------------------------ helpers */

static u32 rng_state;

static u32 rnd(void)
{
    u32 x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* ------------------------------------------------------------- sieve */

#define SIEVE_MAX 12288
static u8 sieve_flags[SIEVE_MAX + 64];

static u32 sieve(u32 n)
{
    u32 count = 0, sum = 0;
    for (u32 i = 0; i <= n; i++)
        sieve_flags[i] = 1;
    sieve_flags[0] = sieve_flags[1] = 0;
    for (u32 i = 2; i * i <= n; i++)
        if (sieve_flags[i])
            for (u32 j = i * i; j <= n; j += i)
                sieve_flags[j] = 0;
    for (u32 i = 0; i <= n; i++)
        if (sieve_flags[i]) {
            count++;
            sum += i;
        }
    return count * 65599u + sum;
}

/* -------------------------------------------------------------- crc32 */

static u32 crc_table[256];
static u8 crc_buf[2048];

static void crc_init(void)
{
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static u32 crc32(const u8 *p, u32 n)
{
    u32 c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static u32 crc_kernel(void)
{
    for (u32 i = 0; i < sizeof(crc_buf); i += 4) {
        u32 r = rnd();
        crc_buf[i] = (u8)r;
        crc_buf[i + 1] = (u8)(r >> 8);
        crc_buf[i + 2] = (u8)(r >> 16);
        crc_buf[i + 3] = (u8)(r >> 24);
    }
    return crc32(crc_buf, sizeof(crc_buf));
}

/* -------------------------------------------------------------- sorts */

#define QS_N 512
#define INS_N 96
static s32 sort_buf[QS_N];

static void insertion_sort(s32 *a, int n)
{
    for (int i = 1; i < n; i++) {
        s32 v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void quicksort(s32 *a, int lo, int hi)
{
    while (hi - lo > 12) {
        s32 pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                s32 t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* recurse into the smaller half, loop on the larger */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion_sort(a + lo, hi - lo + 1);
}

static u32 sort_kernel(void)
{
    u32 h = 0;
    for (int i = 0; i < INS_N; i++)
        sort_buf[i] = (s32)rnd();
    insertion_sort(sort_buf, INS_N);
    for (int i = 0; i < INS_N; i++)
        h = h * 33 + (u32)sort_buf[i];
    for (int i = 0; i < QS_N; i++)
        sort_buf[i] = (s32)(rnd() % 100000u) - 50000;
    quicksort(sort_buf, 0, QS_N - 1);
    for (int i = 1; i < QS_N; i++)
        if (sort_buf[i - 1] > sort_buf[i])
            h ^= 0xdead0000u + i;           /* would flag a mis-sort */
    for (int i = 0; i < QS_N; i += 7)
        h = h * 31 + (u32)sort_buf[i];
    return h;
}

/* ------------------------------------------------------------- matmul */

#define MN 16
static s32 ma[MN][MN], mb[MN][MN], mc[MN][MN];

static u32 matmul_kernel(void)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            ma[i][j] = (s32)(rnd() & 0xffff) - 0x8000;
            mb[i][j] = (s32)(rnd() & 0xfff) - 0x800;
        }
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            s32 s = 0;
            for (int k = 0; k < MN; k++)
                s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    u32 h = 0;
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            h = (h << 3 | h >> 29) ^ (u32)mc[i][j];
    return h;
}

/* ---------------------------------------------------------------- fib */

static u32 __attribute__((noinline)) fib(u32 n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* ---------------------------------------------------- bytecode interp */

enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_SHR,
       OP_DUP, OP_SWAP, OP_DROP, OP_JNZ, OP_JMP, OP_HALT, OP_AND, OP_INC };

/* locals: 0 = counter, 1 = accumulator, 2 = seed */
static const s32 vm_program[] = {
    /* 0 */ OP_LOAD, 1, OP_LOAD, 2, OP_MUL, OP_PUSH, 12345, OP_ADD,   /* acc*seed+12345 */
    /* 8 */ OP_DUP, OP_PUSH, 7, OP_SHR, OP_XOR, OP_STORE, 1,          /* acc ^= acc>>7 */
    /* 15 */ OP_LOAD, 2, OP_INC, OP_PUSH, 0xffff, OP_AND, OP_STORE, 2, /* seed=(seed+1)&ffff */
    /* 23 */ OP_LOAD, 0, OP_PUSH, 1, OP_SUB, OP_DUP, OP_STORE, 0,      /* counter-- */
    /* 31 */ OP_JNZ, 0,
    /* 33 */ OP_LOAD, 1, OP_HALT,
};

static s32 __attribute__((noinline)) vm_run(const s32 *code, s32 *locals)
{
    s32 stack[32];
    int sp = 0, pc = 0;
    for (;;) {
        s32 op = code[pc++];
        switch (op) {
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = locals[code[pc++]]; break;
        case OP_STORE: locals[code[pc++]] = stack[--sp]; break;
        /* arithmetic wraps: do it unsigned (signed overflow is undefined) */
        case OP_ADD: sp--; stack[sp - 1] = (s32)((u32)stack[sp - 1] + (u32)stack[sp]); break;
        case OP_SUB: sp--; stack[sp - 1] = (s32)((u32)stack[sp - 1] - (u32)stack[sp]); break;
        case OP_MUL: sp--; stack[sp - 1] = (s32)((u32)stack[sp - 1] * (u32)stack[sp]); break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_SHR: sp--; stack[sp - 1] = (s32)((u32)stack[sp - 1] >> stack[sp]); break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: {
            s32 t = stack[sp - 1];
            stack[sp - 1] = stack[sp - 2];
            stack[sp - 2] = t;
            break;
        }
        case OP_DROP: sp--; break;
        case OP_INC: stack[sp - 1] = (s32)((u32)stack[sp - 1] + 1); break;
        case OP_JNZ: { s32 t = code[pc++]; if (stack[--sp]) pc = t; break; }
        case OP_JMP: pc = code[pc]; break;
        case OP_HALT: return stack[sp - 1];
        default: return -1;
        }
    }
}

static u32 vm_kernel(u32 seed)
{
    s32 locals[3] = { 200, 1, (s32)(seed & 0xffff) };
    return (u32)vm_run(vm_program, locals);
}

/* ----------------------------------------------------- 64-bit arithmetic */

static u64 __attribute__((noinline)) arith64_kernel(u32 seed)
{
    u64 x = 0x9e3779b97f4a7c15ULL ^ seed;
    u64 acc = 0;
    s64 sacc = 0;
    for (int i = 0; i < 48; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        u64 y = (x >> 17) | 1;
        acc += x / y;                                   /* __udivdi3 */
        acc ^= x % 1000000007ULL;                       /* __umoddi3 */
        s64 s = (s64)(x ^ (x >> 31)) >> 1;            /* never INT64_MIN */
        sacc += s / (s64)(((y & 0xffffff) - 0x7fffff) | 1); /* __divdi3 */
        acc += (x >> (i & 63)) + (x << (i & 31));
        u32 lo = (u32)x;
        acc += (u64)lo * (u32)(x >> 32);                /* 32x32->64 mul */
        acc += (u64)(lo / ((u32)(x >> 40) | 1));        /* 32-bit div */
    }
    return acc ^ (u64)sacc;
}

/* ------------------------------------------------------ pointer chasing */

#define NODES 4096
struct node {
    struct node *next;
    u32 value;
    u32 pad;                                    /* 12-byte nodes: unaligned to lines */
};
static struct node nodes[NODES];
static u32 perm[NODES];

static void list_init(void)
{
    /* Sattolo's algorithm: a single cycle through all nodes. */
    for (u32 i = 0; i < NODES; i++)
        perm[i] = i;
    for (u32 i = NODES - 1; i > 0; i--) {
        u32 j = rnd() % i;
        u32 t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (u32 i = 0; i < NODES; i++) {
        nodes[i].next = &nodes[perm[i]];
        nodes[i].value = i * 2654435761u;
        nodes[i].pad = 0;
    }
}

static u32 chase_kernel(u32 seed)
{
    struct node *p = &nodes[seed % NODES];
    u32 acc = 0;
    for (int i = 0; i < 3000; i++) {
        acc = (acc ^ p->value) + (acc << 2);
        p->pad++;
        p = p->next;
    }
    return acc ^ (u32)(p - nodes);
}

/* --------------------------------------------------------------- driver */

u64 workload_run(unsigned iterations)
{
    u64 h = BENCH_FNV_OFFSET;
    if (iterations == 0)
        return h;
    rng_state = 0x6b8b4567u;
    crc_init();
    list_init();
    for (unsigned it = 0; it < iterations; it++) {
        u32 seed = rnd();
        h = bench_mix(h, sieve(SIEVE_MAX - (seed & 1023)));
        h = bench_mix(h, crc_kernel());
        h = bench_mix(h, sort_kernel());
        h = bench_mix(h, matmul_kernel());
        h = bench_mix(h, fib(15 + (seed >> 30)));
        h = bench_mix(h, vm_kernel(seed));
        h = bench_mix(h, arith64_kernel(seed));
        h = bench_mix(h, chase_kernel(seed));
    }
    return h;
}
