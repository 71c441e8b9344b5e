/* atomic.c - xadd, cmpxchg (success and failure), cmpxchg8b, and the
 * lock-prefixed read-modify-write forms.
 */
#include "../tests/common.h"

static uint32_t add_flags(uint32_t a, uint32_t b, int bits)
{
    uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1, sign = 1u << (bits - 1);
    uint32_t r = (a + b) & m;
    return ((uint64_t)(a & m) + (b & m) > m ? F_CF : 0) | ((a ^ r) & (b ^ r) & sign ? F_OF : 0)
           | ((a ^ b ^ r) & 0x10 ? F_AF : 0) | (r == 0 ? F_ZF : 0) | (r & sign ? F_SF : 0)
           | (parity8(r) ? F_PF : 0);
}

static uint32_t sub_flags(uint32_t a, uint32_t b, int bits)
{
    uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1, sign = 1u << (bits - 1);
    a &= m;
    b &= m;
    uint32_t r = (a - b) & m;
    return (a < b ? F_CF : 0) | ((a ^ b) & (a ^ r) & sign ? F_OF : 0)
           | ((a ^ b ^ r) & 0x10 ? F_AF : 0) | (r == 0 ? F_ZF : 0) | (r & sign ? F_SF : 0)
           | (parity8(r) ? F_PF : 0);
}

/* ------------------------------------------------------------------- xadd */

#define DEF_XADD(sz, sfx, mod, cons)                                           \
    static void xadd##sz(uint32_t *d, uint32_t *s, uint32_t *f, int mem, int lock) \
    {                                                                          \
        uint32_t dv = *d, sv = *s, fo;                                         \
        volatile uint32_t m = dv;                                              \
        if (!mem)                                                              \
            __asm__ volatile(FLAGS_IN "xadd" sfx " %" mod "[s], %" mod "[d]" FLAGS_OUT \
                             : [d] "+" cons(dv), [s] "+" cons(sv), [fo] "=&r"(fo) \
                             : [fi] "r"(0) : "cc");                            \
        else if (!lock)                                                        \
            __asm__ volatile(FLAGS_IN "xadd" sfx " %" mod "[s], (%[p])" FLAGS_OUT \
                             : [s] "+" cons(sv), [fo] "=&r"(fo)                 \
                             : [p] "r"(&m), [fi] "r"(0) : "cc", "memory");     \
        else                                                                   \
            __asm__ volatile(FLAGS_IN "lock xadd" sfx " %" mod "[s], (%[p])" FLAGS_OUT \
                             : [s] "+" cons(sv), [fo] "=&r"(fo)                 \
                             : [p] "r"(&m), [fi] "r"(0) : "cc", "memory");     \
        *d = mem ? m : dv;                                                     \
        *s = sv;                                                               \
        *f = fo;                                                               \
    }
DEF_XADD(8, "b", "b", "q")
DEF_XADD(16, "w", "w", "r")
DEF_XADD(32, "l", "k", "r")

static void test_xadd(void)
{
    static const uint32_t pairs[][2] = { { 1, 2 }, { 0x7f, 1 }, { 0xff, 1 }, { 0x7fff, 1 },
                                         { 0xffff, 0xffff }, { 0x7fffffff, 1 }, { 0xffffffff, 1 },
                                         { 0x80000000, 0x80000000 } };
    void (*const fns[3])(uint32_t *, uint32_t *, uint32_t *, int, int) = { xadd8, xadd16, xadd32 };
    for (int s = 0; s < 3; s++) {
        int bits = 8 << s, w = bits / 4;
        uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
        for (unsigned i = 0; i < ARRAY_SIZE(pairs); i++) {
            uint32_t d0 = pairs[i][0] & m, s0 = pairs[i][1] & m;
            for (int form = 0; form < 3; form++) {
                uint32_t d = d0 | (form ? 0 : 0x5a5a5a5a & ~m), sv = s0 | (0xa5a5a5a5 & ~m), f;
                fns[s](&d, &sv, &f, form > 0, form == 2);
                if (form == 0)
                    printf("xadd%d %0*x,%0*x -> dst=%0*x src=%0*x %s\n", bits, w, d0, w, s0, w,
                           d & m, w, sv & m, fstr(f, F_ARITH));
                CHECK((d & m) == ((d0 + s0) & m) && (sv & m) == d0, "xadd%d %s result", bits,
                      form == 0 ? "reg" : form == 1 ? "mem" : "lock mem");
                CHECK((f & F_ARITH) == add_flags(d0, s0, bits), "xadd%d flags", bits);
                CHECK((sv & ~m) == (0xa5a5a5a5 & ~m), "xadd%d upper bits of the source", bits);
            }
        }
    }
}

/* ---------------------------------------------------------------- cmpxchg */

#define DEF_CMPXCHG(sz, sfx, mod, cons)                                        \
    static void cmpxchg##sz(uint32_t *acc, uint32_t *dst, uint32_t src, uint32_t *f, int mem, \
                            int lock)                                          \
    {                                                                          \
        uint32_t a = *acc, d = *dst, fo;                                       \
        volatile uint32_t m = d;                                               \
        if (!mem)                                                              \
            __asm__ volatile(FLAGS_IN "cmpxchg" sfx " %" mod "[s], %" mod "[d]" FLAGS_OUT \
                             : "+a"(a), [d] "+" cons(d), [fo] "=&r"(fo)         \
                             : [s] cons(src), [fi] "r"(0) : "cc");              \
        else if (!lock)                                                        \
            __asm__ volatile(FLAGS_IN "cmpxchg" sfx " %" mod "[s], (%[p])" FLAGS_OUT \
                             : "+a"(a), [fo] "=&r"(fo)                          \
                             : [s] cons(src), [p] "r"(&m), [fi] "r"(0) : "cc", "memory"); \
        else                                                                   \
            __asm__ volatile(FLAGS_IN "lock cmpxchg" sfx " %" mod "[s], (%[p])" FLAGS_OUT \
                             : "+a"(a), [fo] "=&r"(fo)                          \
                             : [s] cons(src), [p] "r"(&m), [fi] "r"(0) : "cc", "memory"); \
        *acc = a;                                                              \
        *dst = mem ? m : d;                                                    \
        *f = fo;                                                               \
    }
DEF_CMPXCHG(8, "b", "b", "q")
DEF_CMPXCHG(16, "w", "w", "r")
DEF_CMPXCHG(32, "l", "k", "r")

static void test_cmpxchg(void)
{
    /* (accumulator, destination): equal pairs succeed, others fail */
    static const uint32_t cases[][2] = { { 0x12345678, 0x12345678 }, { 0x12345678, 0x12345679 },
                                         { 0x80, 0x7f }, { 0, 0xffffffff }, { 0xffffffff, 0 },
                                         { 0x8000, 0x8000 } };
    void (*const fns[3])(uint32_t *, uint32_t *, uint32_t, uint32_t *, int, int) = {
        cmpxchg8, cmpxchg16, cmpxchg32 };
    for (int s = 0; s < 3; s++) {
        int bits = 8 << s, w = bits / 4;
        uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
        for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
            uint32_t a0 = cases[i][0] & m, d0 = cases[i][1] & m, src = 0xcafef00d & m;
            int eq = a0 == d0;
            for (int form = 0; form < 3; form++) {
                uint32_t a = a0 | (0x11111111 & ~m), d = d0, f;
                fns[s](&a, &d, src, &f, form > 0, form == 2);
                if (form == 0)
                    printf("cmpxchg%d acc=%0*x dst=%0*x src=%0*x -> acc=%0*x dst=%0*x %s (%s)\n",
                           bits, w, a0, w, d0, w, src, w, a & m, w, d & m, fstr(f, F_ARITH),
                           eq ? "success" : "failure");
                CHECK((d & m) == (eq ? src : d0) && (a & m) == (eq ? a0 : d0),
                      "cmpxchg%d %s result", bits, form == 0 ? "reg" : form == 1 ? "mem" : "lock mem");
                CHECK((a & ~m) == (0x11111111 & ~m), "cmpxchg%d keeps the upper accumulator", bits);
                CHECK((f & F_ARITH) == sub_flags(a0, d0, bits), "cmpxchg%d flags", bits);
            }
        }
    }
}

/* -------------------------------------------------------------- cmpxchg8b */

static uint32_t cx8_fin, cx8_fout;    /* statics: no registers left for them */

__attribute__((noinline)) static uint32_t cx8(uint64_t *mem, uint64_t *edxeax, uint64_t ecxebx,
                                              uint32_t fin, int lock)
{
    uint32_t a = (uint32_t)*edxeax, d = (uint32_t)(*edxeax >> 32);
    cx8_fin = fin;
    if (lock)
        __asm__ volatile(FLAGS_IN "lock cmpxchg8b (%[p])" FLAGS_OUT
                         : "+a"(a), "+d"(d), [fo] "=m"(cx8_fout)
                         : "b"((uint32_t)ecxebx), "c"((uint32_t)(ecxebx >> 32)), [p] "S"(mem),
                           [fi] "m"(cx8_fin)
                         : "cc", "memory");
    else
        __asm__ volatile(FLAGS_IN "cmpxchg8b (%[p])" FLAGS_OUT
                         : "+a"(a), "+d"(d), [fo] "=m"(cx8_fout)
                         : "b"((uint32_t)ecxebx), "c"((uint32_t)(ecxebx >> 32)), [p] "S"(mem),
                           [fi] "m"(cx8_fin)
                         : "cc", "memory");
    *edxeax = ((uint64_t)d << 32) | a;
    return cx8_fout;
}

static void test_cmpxchg8b(void)
{
    static const uint64_t cases[][2] = {
        { 0x0123456789abcdefull, 0x0123456789abcdefull },
        { 0x0123456789abcdefull, 0x0123456789abcdeeull },
        { 0x0123456789abcdefull, 0x1123456789abcdefull },
        { 0, 0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        for (int lock = 0; lock < 2; lock++) {
            for (int fi = 0; fi < 2; fi++) {
                uint64_t mem = cases[i][1], acc = cases[i][0], nv = 0xfeedfacecafebeefull;
                uint32_t fin = fi ? (F_ARITH & ~F_ZF) : F_ZF;
                uint32_t f = cx8(&mem, &acc, nv, fin, lock);
                int eq = cases[i][0] == cases[i][1];
                if (!lock)
                    printf("%scmpxchg8b edx:eax=%016llx m64=%016llx -> m64=%016llx edx:eax=%016llx %s\n",
                           lock ? "lock " : "", cases[i][0], cases[i][1], mem, acc,
                           fstr(f, F_ARITH));
                CHECK(mem == (eq ? nv : cases[i][1]) && acc == (eq ? cases[i][0] : cases[i][1]),
                      "cmpxchg8b result");
                CHECK(!!(f & F_ZF) == eq, "cmpxchg8b ZF");
                CHECK((f & (F_ARITH & ~F_ZF)) == (fin & (F_ARITH & ~F_ZF)),
                      "cmpxchg8b keeps CF PF AF SF OF");
            }
        }
    }
}

/* ------------------------------------------------------------ lock prefix */

static void test_lock(void)
{
    volatile uint32_t v = 100;
    volatile uint16_t h = 0xfffe;
    volatile uint8_t b = 0x7f;
    uint32_t f[12];
    __asm__ volatile("lock addl $5, (%[v])\n\tpushfl\n\tpopl 0(%[f])\n\t"       /* 105 */
                     "lock subl $10, (%[v])\n\tpushfl\n\tpopl 4(%[f])\n\t"      /* 95 */
                     "lock incl (%[v])\n\tpushfl\n\tpopl 8(%[f])\n\t"           /* 96 */
                     "lock decl (%[v])\n\tpushfl\n\tpopl 12(%[f])\n\t"          /* 95 */
                     "lock orl $0x100, (%[v])\n\t"                              /* 0x15f */
                     "lock andl $0x1f0, (%[v])\n\t"                             /* 0x150 */
                     "lock xorl $0xf, (%[v])\n\t"                               /* 0x15f */
                     "lock notl (%[v])\n\t"                                     /* ~0x15f */
                     "lock negl (%[v])\n\tpushfl\n\tpopl 16(%[f])\n\t"          /* 0x160 */
                     "lock btsl $0, (%[v])\n\tpushfl\n\tpopl 20(%[f])\n\t"      /* 0x161 */
                     "lock btrl $5, (%[v])\n\t"                                 /* 0x141 */
                     "lock btcl $1, (%[v])\n\t"                                 /* 0x143 */
                     "lock adcl $0, (%[v])\n\t"
                     "lock sbbl $0, (%[v])\n\t"
                     "lock incw (%[h])\n\tpushfl\n\tpopl 24(%[f])\n\t"          /* 0xffff */
                     "lock incw (%[h])\n\tpushfl\n\tpopl 28(%[f])\n\t"          /* 0x0000 */
                     "lock addb $1, (%[b])\n\tpushfl\n\tpopl 32(%[f])\n\t"      /* 0x80 */
                     "movl $3, %%eax\n\t"
                     "lock xaddl %%eax, (%[v])\n\t"                             /* 0x146 */
                     "movl %%eax, 36(%[f])\n\t"
                     "movl $0x146, %%eax\n\t"
                     "movl $0x999, %%ecx\n\t"
                     "lock cmpxchgl %%ecx, (%[v])\n\tpushfl\n\tpopl 40(%[f])\n\t"
                     "movl $0x11, %%ecx\n\t"
                     "xchgl %%ecx, (%[v])\n\t"                                  /* implicit lock */
                     "movl %%ecx, 44(%[f])"
                     : : [v] "r"(&v), [h] "r"(&h), [b] "r"(&b), [f] "r"(f)
                     : "eax", "ecx", "cc", "memory");
    printf("lock add/sub/inc/dec: %s %s %s %s\n", fstr(f[0], F_ARITH), fstr(f[1], F_ARITH),
           fstr(f[2], F_ARITH), fstr(f[3], F_ARITH));
    printf("lock neg: %s, lock bts: CF=%d\n", fstr(f[4], F_ARITH), !!(f[5] & F_CF));
    printf("lock incw: %s %s, lock addb: %s\n", fstr(f[6], F_ARITH), fstr(f[7], F_ARITH),
           fstr(f[8], F_ARITH));
    printf("lock xadd old=%x, lock cmpxchg %s, xchg old=%x, final v=%x h=%x b=%x\n", f[9],
           fstr(f[10], F_ARITH), f[11], v, h, b);
    CHECK(f[9] == 0x143 && f[11] == 0x999 && v == 0x11 && h == 0 && b == 0x80, "lock sequence");
    CHECK((f[6] & F_ARITH) == (F_PF | F_SF) && (f[7] & (F_ZF | F_CF)) == F_ZF, "lock incw flags");
    CHECK((f[10] & F_ZF), "lock cmpxchg success");
}

int main(void)
{
    test_xadd();
    test_cmpxchg();
    test_cmpxchg8b();
    test_lock();
    return finish("atomic");
}
