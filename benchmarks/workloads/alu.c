/*
 * alu - register-only integer ALU throughput.
 *
 * The inner loop is written in inline assembly so that the measured code is
 * exactly a chain of register-to-register ADD/SUB/XOR/AND/OR, shifts and
 * rotates, LEA and a DEC/JNZ back edge: no loads or stores at all, whatever
 * the compiler version. Several independent dependency chains keep a modern
 * out-of-order core busy, the way compiled arithmetic does.
 */
#include "bench.h"

WORKLOAD("alu", 45000, "register-only ALU loop: add/sub/xor/and/or, shifts, rotates, lea, dec/jnz");

#define INNER 4096      /* loop trips per unit of work */

u64 workload_run(unsigned iterations)
{
    u32 a = 0x12345678, b = 0x9abcdef0, c = 0x0badf00d, d = 0xdeadbeef, e = 0x31415926;
    u64 h = BENCH_FNV_OFFSET;

    for (unsigned it = 0; it < iterations; it++) {
        u32 n = INNER;
        e += it;
        __asm__ volatile(
            "1:\n\t"
            "addl   %[b], %[a]\n\t"         /* chain 1: a */
            "xorl   %[e], %[a]\n\t"
            "roll   $5, %[a]\n\t"
            "subl   %[d], %[b]\n\t"         /* chain 2: b */
            "shrl   $3, %[d]\n\t"
            "xorl   %[a], %[b]\n\t"
            "leal   0x3c6ef372(%[b],%[e],2), %[d]\n\t"  /* chain 3: d */
            "orl    %[n], %[d]\n\t"
            "andl   $0x7fffffff, %[e]\n\t"  /* chain 4: e */
            "addl   %[d], %[e]\n\t"
            "rorl   $11, %[e]\n\t"
            "sarl   $1, %[b]\n\t"
            "xorl   %[n], %[a]\n\t"
            "shll   $2, %[d]\n\t"
            "addl   %[a], %[d]\n\t"
            "decl   %[n]\n\t"
            "jnz    1b\n\t"
            : [a] "+r"(a), [b] "+r"(b), [d] "+r"(d), [e] "+r"(e), [n] "+r"(n)
            :
            : "cc");
        c = c * 0x01000193u ^ a;
        if ((it & 255) == 255)
            h = bench_mix(h, (u64)c << 32 | (a ^ b ^ d ^ e));
    }
    h = bench_mix(h, a);
    h = bench_mix(h, b);
    h = bench_mix(h, c);
    h = bench_mix(h, d);
    h = bench_mix(h, e);
    return h;
}
