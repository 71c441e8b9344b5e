/* muldiv.c - mul, imul (one, two and three operands), div, idiv.
 *
 * MUL/IMUL define only CF and OF (set when the high half is significant);
 * the other flags are undefined and masked. DIV/IDIV leave every flag
 * undefined, so only quotient and remainder are printed. Divisions that
 * would raise #DE are not executed (the divzero guest covers that).
 */
#include "../tests/common.h"

#define MULMASK (F_CF | F_OF)

/* ---------------------------------------------- one-operand mul and imul */

/* 8-bit: AX = AL * r/m8. Returns EAX (its upper half must survive). */
#define DEF_MUL8(op)                                                           \
    static uint32_t op##8r(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t x = 0x12340000 | (a & 0xff), fo;                              \
        __asm__ volatile(FLAGS_IN #op "b %b[b]" FLAGS_OUT                      \
                         : "+a"(x), [fo] "=&r"(fo) : [b] "q"(b), [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                            \
        return x;                                                              \
    }                                                                          \
    static uint32_t op##8m(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        volatile uint8_t m = b;                                                \
        uint32_t x = 0x12340000 | (a & 0xff), fo;                              \
        __asm__ volatile(FLAGS_IN #op "b (%[p])" FLAGS_OUT                     \
                         : "+a"(x), [fo] "=&r"(fo) : [p] "r"(&m), [fi] "r"(fin) \
                         : "cc", "memory");                                    \
        *fout = fo;                                                            \
        return x;                                                              \
    }                                                                          \
    static uint32_t op##8h(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t x = 0x12340000 | (a & 0xff), y = (b & 0xff) << 8, fo;         \
        __asm__ volatile(FLAGS_IN #op "b %h[y]" FLAGS_OUT                      \
                         : "+a"(x), [fo] "=&r"(fo) : [y] "Q"(y), [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                            \
        return x;                                                              \
    }

/* 16-bit: DX:AX = AX * r/m16. Returns DX<<16|AX, checks the upper halves. */
#define DEF_MUL16(op)                                                          \
    static uint32_t op##16r(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t x = 0xaaaa0000 | (a & 0xffff), d = 0xbbbb1111, fo;            \
        __asm__ volatile(FLAGS_IN #op "w %w[b]" FLAGS_OUT                      \
                         : "+a"(x), "+d"(d), [fo] "=&r"(fo) : [b] "r"(b), [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                            \
        if ((x >> 16) != 0xaaaa || (d >> 16) != 0xbbbb) *fout |= 0x80000000;   \
        return (d << 16) | (x & 0xffff);                                       \
    }                                                                          \
    static uint32_t op##16m(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        volatile uint16_t m = b;                                               \
        uint32_t x = 0xaaaa0000 | (a & 0xffff), d = 0xbbbb1111, fo;            \
        __asm__ volatile(FLAGS_IN #op "w (%[p])" FLAGS_OUT                     \
                         : "+a"(x), "+d"(d), [fo] "=&r"(fo) : [p] "r"(&m), [fi] "r"(fin) \
                         : "cc", "memory");                                    \
        *fout = fo;                                                            \
        if ((x >> 16) != 0xaaaa || (d >> 16) != 0xbbbb) *fout |= 0x80000000;   \
        return (d << 16) | (x & 0xffff);                                       \
    }

/* 32-bit: EDX:EAX = EAX * r/m32. */
#define DEF_MUL32(op)                                                          \
    static uint64_t op##32r(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t x = a, d = 0xdeadbeef, fo;                                    \
        __asm__ volatile(FLAGS_IN #op "l %[b]" FLAGS_OUT                       \
                         : "+a"(x), "+d"(d), [fo] "=&r"(fo) : [b] "r"(b), [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                            \
        return ((uint64_t)d << 32) | x;                                        \
    }                                                                          \
    static uint64_t op##32m(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        volatile uint32_t m = b;                                               \
        uint32_t x = a, d = 0xdeadbeef, fo;                                    \
        __asm__ volatile(FLAGS_IN #op "l (%[p])" FLAGS_OUT                     \
                         : "+a"(x), "+d"(d), [fo] "=&r"(fo) : [p] "r"(&m), [fi] "r"(fin) \
                         : "cc", "memory");                                    \
        *fout = fo;                                                            \
        return ((uint64_t)d << 32) | x;                                        \
    }

DEF_MUL8(mul) DEF_MUL8(imul)
DEF_MUL16(mul) DEF_MUL16(imul)
DEF_MUL32(mul) DEF_MUL32(imul)

/* --------------------------------------------- two and three operand imul */

static uint32_t imul2_16(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout)
{
    uint32_t x = 0x77770000 | (a & 0xffff), fo;
    __asm__ volatile(FLAGS_IN "imulw %w[b], %w[x]" FLAGS_OUT
                     : [x] "+r"(x), [fo] "=&r"(fo) : [b] "r"(b), [fi] "r"(fin) : "cc");
    *fout = fo;
    if ((x >> 16) != 0x7777) *fout |= 0x80000000;
    return x & 0xffff;
}

static uint32_t imul2_32(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout)
{
    uint32_t fo;
    __asm__ volatile(FLAGS_IN "imull %[b], %[x]" FLAGS_OUT
                     : [x] "+r"(a), [fo] "=&r"(fo) : [b] "r"(b), [fi] "r"(fin) : "cc");
    *fout = fo;
    return a;
}

static uint32_t imul2_32m(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout)
{
    volatile uint32_t m = b;
    uint32_t fo;
    __asm__ volatile(FLAGS_IN "imull (%[p]), %[x]" FLAGS_OUT
                     : [x] "+r"(a), [fo] "=&r"(fo) : [p] "r"(&m), [fi] "r"(fin)
                     : "cc", "memory");
    *fout = fo;
    return a;
}

static uint32_t imul2_16m(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout)
{
    volatile uint16_t m = b;
    uint32_t x = 0x77770000 | (a & 0xffff), fo;
    __asm__ volatile(FLAGS_IN "imulw (%[p]), %w[x]" FLAGS_OUT
                     : [x] "+r"(x), [fo] "=&r"(fo) : [p] "r"(&m), [fi] "r"(fin)
                     : "cc", "memory");
    *fout = fo;
    if ((x >> 16) != 0x7777) *fout |= 0x80000000;
    return x & 0xffff;
}

/* three operands: dst = src * imm, imm8 (6B) and imm16/32 (69), reg and mem source */
#define IMUL3(name, sfx, mod, imm)                                             \
    static uint32_t name(uint32_t a, uint32_t fin, uint32_t *fout, uint32_t *rm) \
    {                                                                          \
        uint32_t d = 0x99990000, fo, fo2;                                      \
        volatile uint32_t m = a;                                               \
        __asm__ volatile(FLAGS_IN "imul" sfx " %[im], %" mod "[s], %" mod "[d]" FLAGS_OUT \
                         : [d] "+&r"(d), [fo] "=&r"(fo) : [s] "r"(a), [im] "i"(imm), [fi] "r"(fin) \
                         : "cc");                                              \
        uint32_t d2 = 0x99990000;                                              \
        __asm__ volatile(FLAGS_IN "imul" sfx " %[im], (%[p]), %" mod "[d]" FLAGS_OUT \
                         : [d] "+&r"(d2), [fo] "=&r"(fo2) : [p] "r"(&m), [im] "i"(imm), [fi] "r"(fin) \
                         : "cc", "memory");                                    \
        *fout = fo;                                                            \
        *rm = d2 ^ ((fo ^ fo2) & MULMASK ? 0x1000000 : 0);                     \
        return d;                                                              \
    }

IMUL3(imul3_32_b7f, "l", "k", 0x7f)
IMUL3(imul3_32_bm1, "l", "k", -1)
IMUL3(imul3_32_b80, "l", "k", -128)
IMUL3(imul3_32_big, "l", "k", 0x12345)
IMUL3(imul3_32_neg, "l", "k", (int)0x80000001)
IMUL3(imul3_16_b7f, "w", "w", 0x7f)
IMUL3(imul3_16_bm1, "w", "w", -1)
IMUL3(imul3_16_big, "w", "w", 0x1234)
IMUL3(imul3_16_neg, "w", "w", -0x8000)

/* ----------------------------------------------------------- div and idiv */

/* 8-bit: AX / r/m8 -> AL quotient, AH remainder. */
#define DEF_DIV(op)                                                            \
    static uint32_t op##8r(uint32_t ax, uint32_t b)                            \
    {                                                                          \
        uint32_t x = 0x56780000 | (ax & 0xffff);                               \
        __asm__ volatile(#op "b %b[b]" : "+a"(x) : [b] "q"(b) : "cc");         \
        return x;                                                              \
    }                                                                          \
    static uint32_t op##8m(uint32_t ax, uint32_t b)                            \
    {                                                                          \
        volatile uint8_t m = b;                                                \
        uint32_t x = 0x56780000 | (ax & 0xffff);                               \
        __asm__ volatile(#op "b (%[p])" : "+a"(x) : [p] "r"(&m) : "cc", "memory"); \
        return x;                                                              \
    }                                                                          \
    static uint32_t op##16r(uint32_t dxax, uint32_t b)                         \
    {                                                                          \
        uint32_t x = 0x56780000 | (dxax & 0xffff), d = 0x9abc0000 | (dxax >> 16); \
        __asm__ volatile(#op "w %w[b]" : "+a"(x), "+d"(d) : [b] "r"(b) : "cc"); \
        if ((x >> 16) != 0x5678 || (d >> 16) != 0x9abc) return 0xbad;          \
        return (d << 16) | (x & 0xffff);                                       \
    }                                                                          \
    static uint32_t op##16m(uint32_t dxax, uint32_t b)                         \
    {                                                                          \
        volatile uint16_t m = b;                                               \
        uint32_t x = 0x56780000 | (dxax & 0xffff), d = 0x9abc0000 | (dxax >> 16); \
        __asm__ volatile(#op "w (%[p])" : "+a"(x), "+d"(d) : [p] "r"(&m) : "cc", "memory"); \
        if ((x >> 16) != 0x5678 || (d >> 16) != 0x9abc) return 0xbad;          \
        return (d << 16) | (x & 0xffff);                                       \
    }                                                                          \
    static uint64_t op##32r(uint64_t edxeax, uint32_t b)                       \
    {                                                                          \
        uint32_t x = (uint32_t)edxeax, d = (uint32_t)(edxeax >> 32);           \
        __asm__ volatile(#op "l %[b]" : "+a"(x), "+d"(d) : [b] "r"(b) : "cc"); \
        return ((uint64_t)d << 32) | x;                                        \
    }                                                                          \
    static uint64_t op##32m(uint64_t edxeax, uint32_t b)                       \
    {                                                                          \
        volatile uint32_t m = b;                                               \
        uint32_t x = (uint32_t)edxeax, d = (uint32_t)(edxeax >> 32);           \
        __asm__ volatile(#op "l (%[p])" : "+a"(x), "+d"(d) : [p] "r"(&m) : "cc", "memory"); \
        return ((uint64_t)d << 32) | x;                                        \
    }

DEF_DIV(div) DEF_DIV(idiv)

/* ------------------------------------------------------------------ tests */

static const uint32_t edge32[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
                                   0x7fffffff, 0x80000000, 0xffffffff };
static const uint32_t edge16[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff };
static const uint32_t edge8[]  = { 0, 1, 0x7f, 0x80, 0xff };

static int64_t sx(uint64_t v, int bits)
{
    return bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static void test_mul(void)
{
    for (int sgn = 0; sgn < 2; sgn++) {
        const char *nm = sgn ? "imul" : "mul";
        for (unsigned i = 0; i < ARRAY_SIZE(edge8); i++)
            for (unsigned j = 0; j < ARRAY_SIZE(edge8); j++) {
                uint32_t a = edge8[i], b = edge8[j], f, f2, f3;
                uint32_t r = sgn ? imul8r(a, b, 0, &f) : mul8r(a, b, 0, &f);
                uint32_t r2 = sgn ? imul8m(a, b, F_ARITH, &f2) : mul8m(a, b, F_ARITH, &f2);
                uint32_t r3 = sgn ? imul8h(a, b, 0, &f3) : mul8h(a, b, 0, &f3);
                uint16_t want = sgn ? (uint16_t)(sx(a, 8) * sx(b, 8)) : (uint16_t)(a * b);
                int big = sgn ? sx(want, 16) != sx(want & 0xff, 8) : (want >> 8) != 0;
                printf("%s8 %02x*%02x -> ax=%04x %s\n", nm, a, b, r & 0xffff, fstr(f, MULMASK));
                CHECK((r >> 16) == 0x1234 && (r & 0xffff) == want, "%s8 result", nm);
                CHECK(!!(f & F_CF) == big && !!(f & F_OF) == big, "%s8 CF/OF", nm);
                CHECK(r2 == r && (f2 & MULMASK) == (f & MULMASK), "%s8 memory form", nm);
                CHECK(r3 == r && (f3 & MULMASK) == (f & MULMASK), "%s8 high-byte form", nm);
            }
        for (unsigned i = 0; i < ARRAY_SIZE(edge16); i++)
            for (unsigned j = 0; j < ARRAY_SIZE(edge16); j++) {
                uint32_t a = edge16[i], b = edge16[j], f, f2;
                uint32_t r = sgn ? imul16r(a, b, 0, &f) : mul16r(a, b, 0, &f);
                uint32_t r2 = sgn ? imul16m(a, b, F_ARITH, &f2) : mul16m(a, b, F_ARITH, &f2);
                uint32_t want = sgn ? (uint32_t)(sx(a, 16) * sx(b, 16)) : a * b;
                int big = sgn ? sx(want, 32) != sx(want & 0xffff, 16) : (want >> 16) != 0;
                printf("%s16 %04x*%04x -> dx:ax=%04x:%04x %s\n", nm, a, b, r >> 16, r & 0xffff,
                       fstr(f, MULMASK));
                CHECK(r == want && !(f & 0x80000000), "%s16 result", nm);
                CHECK(!!(f & F_CF) == big && !!(f & F_OF) == big, "%s16 CF/OF", nm);
                CHECK(r2 == r && (f2 & MULMASK) == (f & MULMASK), "%s16 memory form", nm);
            }
        for (unsigned i = 0; i < ARRAY_SIZE(edge32); i++)
            for (unsigned j = 0; j < ARRAY_SIZE(edge32); j++) {
                uint32_t a = edge32[i], b = edge32[j], f, f2;
                uint64_t r = sgn ? imul32r(a, b, 0, &f) : mul32r(a, b, 0, &f);
                uint64_t r2 = sgn ? imul32m(a, b, F_ARITH, &f2) : mul32m(a, b, F_ARITH, &f2);
                uint64_t want = sgn ? (uint64_t)(sx(a, 32) * sx(b, 32)) : (uint64_t)a * b;
                int big = sgn ? sx(want, 64) != sx(want & 0xffffffff, 32) : (want >> 32) != 0;
                printf("%s32 %08x*%08x -> edx:eax=%08x:%08x %s\n", nm, a, b, (uint32_t)(r >> 32),
                       (uint32_t)r, fstr(f, MULMASK));
                CHECK(r == want, "%s32 result", nm);
                CHECK(!!(f & F_CF) == big && !!(f & F_OF) == big, "%s32 CF/OF", nm);
                CHECK(r2 == r && (f2 & MULMASK) == (f & MULMASK), "%s32 memory form", nm);
            }
    }
}

static void test_imul_multi(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(edge16); i++)
        for (unsigned j = 0; j < ARRAY_SIZE(edge16); j++) {
            uint32_t a = edge16[i], b = edge16[j], f, f2;
            uint32_t r = imul2_16(a, b, 0, &f), r2 = imul2_16m(a, b, F_ARITH, &f2);
            int32_t full = (int32_t)(sx(a, 16) * sx(b, 16));
            int big = full != sx(full & 0xffff, 16);
            printf("imul16 %04x,%04x -> %04x %s\n", a, b, r, fstr(f, MULMASK));
            CHECK(r == (uint32_t)(full & 0xffff) && !(f & 0x80000000), "imul r16,r16 result");
            CHECK(!!(f & F_CF) == big && !!(f & F_OF) == big, "imul r16 CF/OF");
            CHECK(r2 == r && (f2 & MULMASK) == (f & MULMASK), "imul r16,m16");
        }
    for (unsigned i = 0; i < ARRAY_SIZE(edge32); i++)
        for (unsigned j = 0; j < ARRAY_SIZE(edge32); j++) {
            uint32_t a = edge32[i], b = edge32[j], f, f2;
            uint32_t r = imul2_32(a, b, 0, &f), r2 = imul2_32m(a, b, F_ARITH, &f2);
            int64_t full = sx(a, 32) * sx(b, 32);
            int big = full != sx((uint64_t)full & 0xffffffff, 32);
            printf("imul32 %08x,%08x -> %08x %s\n", a, b, r, fstr(f, MULMASK));
            CHECK(r == (uint32_t)full, "imul r32,r32 result");
            CHECK(!!(f & F_CF) == big && !!(f & F_OF) == big, "imul r32 CF/OF");
            CHECK(r2 == r && (f2 & MULMASK) == (f & MULMASK), "imul r32,m32");
        }

    static const struct {
        const char *name;
        uint32_t (*fn)(uint32_t, uint32_t, uint32_t *, uint32_t *);
        int32_t imm;
        int bits;
    } threes[] = {
        { "imul32 $0x7f", imul3_32_b7f, 0x7f, 32 },
        { "imul32 $-1", imul3_32_bm1, -1, 32 },
        { "imul32 $-128", imul3_32_b80, -128, 32 },
        { "imul32 $0x12345", imul3_32_big, 0x12345, 32 },
        { "imul32 $0x80000001", imul3_32_neg, (int32_t)0x80000001, 32 },
        { "imul16 $0x7f", imul3_16_b7f, 0x7f, 16 },
        { "imul16 $-1", imul3_16_bm1, -1, 16 },
        { "imul16 $0x1234", imul3_16_big, 0x1234, 16 },
        { "imul16 $-0x8000", imul3_16_neg, -0x8000, 16 },
    };
    for (unsigned t = 0; t < ARRAY_SIZE(threes); t++) {
        int bits = threes[t].bits;
        const uint32_t *ops = bits == 32 ? edge32 : edge16;
        unsigned n = bits == 32 ? ARRAY_SIZE(edge32) : ARRAY_SIZE(edge16);
        for (unsigned i = 0; i < n; i++) {
            uint32_t a = ops[i], f, rm;
            uint32_t r = threes[t].fn(a, 0, &f, &rm);
            int64_t full = sx(a, bits) * (int64_t)threes[t].imm;
            uint32_t mask = bits == 32 ? 0xffffffffu : 0xffff;
            int big = full != sx((uint64_t)full & mask, bits);
            printf("%s,%0*x -> %0*x %s\n", threes[t].name, bits / 4, a, bits / 4, r & mask,
                   fstr(f, MULMASK));
            CHECK((r & mask) == ((uint32_t)full & mask), "%s result", threes[t].name);
            CHECK(bits == 32 || (r >> 16) == 0x9999, "%s upper half", threes[t].name);
            CHECK(!!(f & F_CF) == big && !!(f & F_OF) == big, "%s CF/OF", threes[t].name);
            CHECK(rm == r, "%s memory source", threes[t].name);
        }
    }
}

static void test_div(void)
{
    static const uint32_t dvd16[] = { 0, 1, 0x7f, 0xff, 0x100, 0x7fff, 0x8000, 0xfe01, 0xff80, 0xffff };
    static const uint32_t dvs8[] = { 1, 2, 3, 7, 0x7f, 0x80, 0xfe, 0xff };
    static const uint32_t dvd32[] = { 0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x00ff00ff,
                                      0xfffe0001, 0xffff8000, 0xffffffff };
    static const uint32_t dvs16[] = { 1, 2, 3, 10, 0x7fff, 0x8000, 0xfffe, 0xffff };
    static const uint64_t dvd64[] = { 0, 1, 0xffffffffull, 0x100000000ull, 0x7fffffffffffffffull,
                                      0x123456789abcdefull, 0xfffffffe00000001ull,
                                      0xffffffff80000000ull, 0xfffffffffffffff9ull,
                                      0xffffffffffffffffull };
    static const uint32_t dvs32[] = { 1, 2, 3, 10, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff };

    for (int sgn = 0; sgn < 2; sgn++) {
        const char *nm = sgn ? "idiv" : "div";
        int skipped = 0;
        for (unsigned i = 0; i < ARRAY_SIZE(dvd16); i++)
            for (unsigned j = 0; j < ARRAY_SIZE(dvs8); j++) {
                uint32_t n = dvd16[i], d = dvs8[j];
                int32_t q, r;
                if (sgn) {
                    q = (int32_t)sx(n, 16) / (int32_t)sx(d, 8);
                    r = (int32_t)sx(n, 16) % (int32_t)sx(d, 8);
                    if (q < -128 || q > 127) { skipped++; continue; }
                } else {
                    q = n / d; r = n % d;
                    if (q > 0xff) { skipped++; continue; }
                }
                uint32_t x = sgn ? idiv8r(n, d) : div8r(n, d);
                uint32_t x2 = sgn ? idiv8m(n, d) : div8m(n, d);
                printf("%s8 %04x/%02x -> q=%02x r=%02x\n", nm, n, d, x & 0xff, (x >> 8) & 0xff);
                CHECK((x & 0xff) == ((uint32_t)q & 0xff) && ((x >> 8) & 0xff) == ((uint32_t)r & 0xff)
                      && (x >> 16) == 0x5678, "%s8 %x/%x", nm, n, d);
                CHECK(x2 == x, "%s8 memory form", nm);
            }
        for (unsigned i = 0; i < ARRAY_SIZE(dvd32); i++)
            for (unsigned j = 0; j < ARRAY_SIZE(dvs16); j++) {
                uint32_t n = dvd32[i], d = dvs16[j];
                int64_t q, r;
                if (sgn) {
                    q = sx(n, 32) / sx(d, 16);
                    r = sx(n, 32) % sx(d, 16);
                    if (q < -32768 || q > 32767) { skipped++; continue; }
                } else {
                    q = n / d; r = n % d;
                    if (q > 0xffff) { skipped++; continue; }
                }
                uint32_t x = sgn ? idiv16r(n, d) : div16r(n, d);
                uint32_t x2 = sgn ? idiv16m(n, d) : div16m(n, d);
                printf("%s16 %08x/%04x -> q=%04x r=%04x\n", nm, n, d, x & 0xffff, x >> 16);
                CHECK((x & 0xffff) == ((uint32_t)q & 0xffff) && (x >> 16) == ((uint32_t)r & 0xffff),
                      "%s16 %x/%x", nm, n, d);
                CHECK(x2 == x, "%s16 memory form", nm);
            }
        for (unsigned i = 0; i < ARRAY_SIZE(dvd64); i++)
            for (unsigned j = 0; j < ARRAY_SIZE(dvs32); j++) {
                uint64_t n = dvd64[i];
                uint32_t d = dvs32[j];
                uint64_t q, r;
                if (sgn) {
                    int64_t sn = (int64_t)n, sd = sx(d, 32);
                    int64_t sq = sn / sd;
                    r = (uint64_t)(sn % sd);
                    q = (uint64_t)sq;
                    if (sq < -2147483648ll || sq > 2147483647ll) { skipped++; continue; }
                } else {
                    q = n / d; r = n % d;
                    if (q > 0xffffffffull) { skipped++; continue; }
                }
                uint64_t x = sgn ? idiv32r(n, d) : div32r(n, d);
                uint64_t x2 = sgn ? idiv32m(n, d) : div32m(n, d);
                printf("%s32 %016llx/%08x -> q=%08x r=%08x\n", nm, n, d, (uint32_t)x,
                       (uint32_t)(x >> 32));
                CHECK((uint32_t)x == (uint32_t)q && (uint32_t)(x >> 32) == (uint32_t)r,
                      "%s32 %llx/%x", nm, n, d);
                CHECK(x2 == x, "%s32 memory form", nm);
            }
        printf("%s: %d overflowing cases not executed\n", nm, skipped);
    }
}

int main(void)
{
    puts("muldiv: mul/imul print the defined flags only (CF, OF)");
    test_mul();
    test_imul_multi();
    test_div();
    return finish("muldiv");
}
