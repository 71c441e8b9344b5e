/* shift.c - shl shr sar rol ror rcl rcr (by 1, by CL, by imm8), shld, shrd.
 *
 * The count is masked to 5 bits; a masked count of 0 changes nothing, not
 * even the flags. Undefined flags are masked in the output: AF after any
 * shift, OF unless the masked count is 1, and CF of shl/shr/sar when the
 * count is at least the operand size. Rotates leave SF ZF PF AF alone, so
 * those are printed (and run with every flag set as well as clear).
 *
 * Output line:  OPSIZE VALUE,COUNT [fN] -> RESULT FLAGS
 */
#include "../tests/common.h"

enum { ROL, ROR, RCL, RCR, SHL, SHR, SAL_ALIAS, SAR };   /* the ModRM /reg values */

/* ------------------------------------------------------------------ forms */

/* by CL, register */
#define DEF_CL(op, sz, sfx, mod, cons)                                         \
    static uint32_t op##_cl##sz(uint32_t v, uint32_t n, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t fo;                                                           \
        __asm__ volatile(FLAGS_IN #op sfx " %%cl, %" mod "[v]" FLAGS_OUT        \
                         : [v] "+" cons(v), [fo] "=&r"(fo) : "c"(n), [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                            \
        return v;                                                              \
    }

/* by CL, memory */
#define DEF_CLM(op, sz, sfx, mod, cons)                                        \
    static uint32_t op##_clm##sz(uint32_t v, uint32_t n, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        volatile uint32_t m = v;                                               \
        uint32_t fo;                                                           \
        __asm__ volatile(FLAGS_IN #op sfx " %%cl, (%[p])" FLAGS_OUT             \
                         : [fo] "=&r"(fo) : "c"(n), [p] "r"(&m), [fi] "r"(fin) : "cc", "memory"); \
        *fout = fo;                                                            \
        return m;                                                              \
    }

/* by 1 (D0/D1), register and memory */
#define DEF_ONE(op, sz, sfx, mod, cons)                                        \
    static uint32_t op##_one##sz(uint32_t v, uint32_t fin, uint32_t *fout, uint32_t *mres, \
                                 uint32_t *mflags)                             \
    {                                                                          \
        volatile uint32_t m = v;                                               \
        uint32_t fo, fo2;                                                      \
        __asm__ volatile(FLAGS_IN #op sfx " %" mod "[v]" FLAGS_OUT             \
                         : [v] "+" cons(v), [fo] "=&r"(fo) : [fi] "r"(fin) : "cc"); \
        __asm__ volatile(FLAGS_IN #op sfx " (%[p])" FLAGS_OUT                  \
                         : [fo] "=&r"(fo2) : [p] "r"(&m), [fi] "r"(fin) : "cc", "memory"); \
        *fout = fo;                                                            \
        *mres = m;                                                             \
        *mflags = fo2;                                                         \
        return v;                                                              \
    }

#define SIZES(DEF, op)                 \
    DEF(op, 8, "b", "b", "q")          \
    DEF(op, 16, "w", "w", "r")         \
    DEF(op, 32, "l", "k", "r")
#define OPS(X) X(rol) X(ror) X(rcl) X(rcr) X(shl) X(shr) X(sar)
#define DEF_ALL(op) SIZES(DEF_CL, op) SIZES(DEF_CLM, op) SIZES(DEF_ONE, op)
OPS(DEF_ALL)

/* by imm8 (C0/C1 ib), emitted as raw bytes so that a count of 1 really uses
 * the C1 encoding; the operand is ECX. Also the memory form via gas. */
#define COUNTS(X, a, b, c) X(a, b, c, 0) X(a, b, c, 1) X(a, b, c, 4) X(a, b, c, 7)   \
    X(a, b, c, 8) X(a, b, c, 9) X(a, b, c, 16) X(a, b, c, 17) X(a, b, c, 31)       \
    X(a, b, c, 32) X(a, b, c, 33)
static const uint32_t counts[] = { 0, 1, 4, 7, 8, 9, 16, 17, 31, 32, 33 };

#define IMM_CASE(pfx, opc, ext, n)                                             \
    case n:                                                                    \
        __asm__ volatile(FLAGS_IN ".byte " pfx #opc ", 0xc1 + 8 * %c[e], " #n FLAGS_OUT \
                         : "+c"(v), [fo] "=&r"(fo) : [e] "i"(ext), [fi] "r"(fin) : "cc"); \
        break;
#define IMMM_CASE(op, sfx, unused, n)                                          \
    case n:                                                                    \
        __asm__ volatile(FLAGS_IN #op sfx " $" #n ", (%[p])" FLAGS_OUT          \
                         : [fo] "=&r"(fo) : [p] "r"(&m), [fi] "r"(fin) : "cc", "memory"); \
        break;

static uint32_t by_imm(int ext, int bits, uint32_t v, uint32_t n, uint32_t fin, uint32_t *fout)
{
    uint32_t fo = 0xffffffff;
    switch (bits) {
    case 8:
#define EXT_CASES8(e) case e: switch (n) { COUNTS(IMM_CASE, "", 0xc0, e) } break;
        switch (ext) { EXT_CASES8(0) EXT_CASES8(1) EXT_CASES8(2) EXT_CASES8(3)
                       EXT_CASES8(4) EXT_CASES8(5) EXT_CASES8(7) }
        break;
    case 16:
#define EXT_CASES16(e) case e: switch (n) { COUNTS(IMM_CASE, "0x66, ", 0xc1, e) } break;
        switch (ext) { EXT_CASES16(0) EXT_CASES16(1) EXT_CASES16(2) EXT_CASES16(3)
                       EXT_CASES16(4) EXT_CASES16(5) EXT_CASES16(7) }
        break;
    case 32:
#define EXT_CASES32(e) case e: switch (n) { COUNTS(IMM_CASE, "", 0xc1, e) } break;
        switch (ext) { EXT_CASES32(0) EXT_CASES32(1) EXT_CASES32(2) EXT_CASES32(3)
                       EXT_CASES32(4) EXT_CASES32(5) EXT_CASES32(7) }
        break;
    }
    *fout = fo;
    return v;
}

#define DEF_IMMM(op)                                                           \
    static uint32_t op##_immm(int bits, uint32_t v, uint32_t n, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        volatile uint32_t m = v;                                               \
        uint32_t fo = 0xffffffff;                                              \
        if (bits == 8) { switch (n) { COUNTS(IMMM_CASE, op, "b", 0) } }        \
        else if (bits == 16) { switch (n) { COUNTS(IMMM_CASE, op, "w", 0) } }  \
        else { switch (n) { COUNTS(IMMM_CASE, op, "l", 0) } }                  \
        *fout = fo;                                                            \
        return m;                                                              \
    }
OPS(DEF_IMMM)

/* ------------------------------------------------------------- the model */

static uint32_t szp(uint32_t r, uint32_t sign)
{
    return (r == 0 ? F_ZF : 0) | (r & sign ? F_SF : 0) | (parity8(r) ? F_PF : 0);
}

static uint32_t model(int op, int bits, uint32_t v, uint32_t count, uint32_t fin,
                      uint32_t *fout, uint32_t *mask)
{
    uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1, sign = 1u << (bits - 1);
    uint32_t c = count & 31, r = v & m, cf = fin & F_CF ? 1 : 0, of = 0;
    v &= m;
    *mask = F_ARITH;
    if (c == 0) {
        *fout = fin & F_ARITH;
        return v;
    }
    switch (op) {
    case ROL: case ROR: {
        uint32_t k = c % bits;
        if (op == ROL)
            r = k ? ((v << k) | (v >> (bits - k))) & m : v;
        else
            r = k ? ((v >> k) | (v << (bits - k))) & m : v;
        cf = op == ROL ? r & 1 : !!(r & sign);
        of = op == ROL ? (!!(r & sign)) ^ cf : (!!(r & sign)) ^ (!!(r & (sign >> 1)));
        *fout = (fin & (F_PF | F_AF | F_ZF | F_SF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        if (c != 1) *mask &= ~F_OF;
        return r;
    }
    case RCL: case RCR: {
        uint32_t k = c % (bits + 1);
        if (op == RCR) of = (!!(v & sign)) ^ cf;
        while (k--) {
            uint32_t out;
            if (op == RCL) { out = !!(r & sign); r = ((r << 1) | cf) & m; }
            else { out = r & 1; r = (r >> 1) | (cf ? sign : 0); }
            cf = out;
        }
        if (op == RCL) of = (!!(r & sign)) ^ cf;
        *fout = (fin & (F_PF | F_AF | F_ZF | F_SF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
        if (c != 1) *mask &= ~F_OF;
        return r;
    }
    case SHL:
        r = c < bits ? (v << c) & m : 0;
        cf = c <= bits ? (v >> (bits - c)) & 1 : 0;
        of = (!!(r & sign)) ^ cf;
        break;
    case SHR:
        r = c < bits ? v >> c : 0;
        cf = c <= bits ? (v >> (c - 1)) & 1 : 0;
        of = !!(v & sign);
        break;
    case SAR: {
        int32_t sv = (int32_t)(v << (32 - bits)) >> (32 - bits);
        uint32_t k = c < bits ? c : bits - 1;
        r = (uint32_t)(sv >> k) & m;
        cf = (uint32_t)(sv >> (c < bits ? c - 1 : bits - 1)) & 1;
        of = 0;
        break;
    }
    }
    *fout = szp(r, sign) | (cf ? F_CF : 0) | (of ? F_OF : 0);
    *mask &= ~F_AF;
    if (c != 1) *mask &= ~F_OF;
    if (c >= (uint32_t)bits) *mask &= ~F_CF;
    return r;
}

/* ------------------------------------------------------------- the driver */

typedef uint32_t (*clfn)(uint32_t, uint32_t, uint32_t, uint32_t *);
typedef uint32_t (*onefn)(uint32_t, uint32_t, uint32_t *, uint32_t *, uint32_t *);
typedef uint32_t (*immmfn)(int, uint32_t, uint32_t, uint32_t, uint32_t *);

static const struct shop {
    const char *name;
    int ext;
    clfn cl[3], clm[3];
    onefn one[3];
    immmfn immm;
} ops[] = {
#define ENTRY(nm, E) { #nm, E, { nm##_cl8, nm##_cl16, nm##_cl32 },                 \
                       { nm##_clm8, nm##_clm16, nm##_clm32 },                       \
                       { nm##_one8, nm##_one16, nm##_one32 }, nm##_immm }
    ENTRY(shl, SHL), ENTRY(shr, SHR), ENTRY(sar, SAR),
    ENTRY(rol, ROL), ENTRY(ror, ROR), ENTRY(rcl, RCL), ENTRY(rcr, RCR),
};

static const uint32_t vals[3][4] = {
    { 0x01, 0x81, 0x7f, 0xa5 },
    { 0x0001, 0x8001, 0x7fff, 0xa55a },
    { 0x00000001, 0x80000001, 0x7fffffff, 0xa55a3cc3 },
};

static int other_forms, other_bad;

static void agree(const char *what, const struct shop *o, int bits, uint32_t v, uint32_t n,
                  uint32_t fin, uint32_t r, uint32_t f, uint32_t r2, uint32_t f2, uint32_t mask)
{
    uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    other_forms++;
    if ((r & m) != (r2 & m) || (f & mask) != (f2 & mask)) {
        other_bad++;
        printf("MISMATCH %s %s%d %x,%u: %x %s vs CL form %x %s\n", what, o->name, bits, v, n,
               r2 & m, fstr(f2, mask), r & m, fstr(f, mask));
    }
}

static void test_shifts(void)
{
    for (unsigned o = 0; o < ARRAY_SIZE(ops); o++) {
        const struct shop *op = &ops[o];
        int rotate = op->ext <= RCR;
        for (int s = 0; s < 3; s++) {
            int bits = 8 << s, w = bits / 4;
            uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
            for (int i = 0; i < 4; i++) {
                for (unsigned k = 0; k < ARRAY_SIZE(counts); k++) {
                    /* rotates: flags in all clear, then all set; shifts: clear,
                     * plus all set for count 0 (which must change nothing) */
                    int nfin = rotate || (counts[k] & 31) == 0 ? 2 : 1;
                    for (int fi = 0; fi < nfin; fi++) {
                        uint32_t v = vals[s][i], n = counts[k], fin = fi ? F_ARITH : 0;
                        uint32_t f, mf, mask, hi = ~m & 0x3c3c3c3c;
                        uint32_t r = op->cl[s](v | hi, n | 0x100, fin, &f);
                        uint32_t mr = model(op->ext, bits, v, n, fin, &mf, &mask);
                        printf("%s%d %0*x,%u%s -> %0*x %s\n", op->name, bits, w, v, n,
                               nfin == 2 ? (fi ? " f1" : " f0") : "", w, r & m, fstr(f, mask));
                        CHECK((r & ~m) == hi, "%s%d upper bits changed", op->name, bits);
                        CHECK((r & m) == mr && (f & mask) == (mf & mask),
                              "%s%d %x,%u: model says %x %s", op->name, bits, v, n, mr,
                              fstr(mf, mask));
                        uint32_t f2, r2 = op->clm[s](v, n, fin, &f2);
                        agree("mem,cl", op, bits, v, n, fin, r, f, r2, f2, mask);
                        r2 = by_imm(op->ext, bits, v, n, fin, &f2);
                        agree("reg,imm8", op, bits, v, n, fin, r, f, r2, f2, mask);
                        r2 = op->immm(bits, v, n, fin, &f2);
                        agree("mem,imm8", op, bits, v, n, fin, r, f, r2, f2, mask);
                        if (n == 1) {
                            uint32_t r3, f3;
                            r2 = op->one[s](v, fin, &f2, &r3, &f3);
                            agree("reg,1", op, bits, v, n, fin, r, f, r2, f2, mask);
                            agree("mem,1", op, bits, v, n, fin, r, f, r3, f3, mask);
                        }
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------ shld, shrd */

#define DEF_DBL(op, sz, sfx, mod)                                              \
    static uint32_t op##_cl##sz(uint32_t d, uint32_t s, uint32_t n, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t fo;                                                           \
        __asm__ volatile(FLAGS_IN #op sfx " %%cl, %" mod "[s], %" mod "[d]" FLAGS_OUT \
                         : [d] "+r"(d), [fo] "=&r"(fo) : [s] "r"(s), "c"(n), [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                            \
        return d;                                                              \
    }                                                                          \
    static uint32_t op##_clm##sz(uint32_t d, uint32_t s, uint32_t n, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        volatile uint32_t m = d;                                               \
        uint32_t fo;                                                           \
        __asm__ volatile(FLAGS_IN #op sfx " %%cl, %" mod "[s], (%[p])" FLAGS_OUT \
                         : [fo] "=&r"(fo) : [s] "r"(s), "c"(n), [p] "r"(&m), [fi] "r"(fin) \
                         : "cc", "memory");                                    \
        *fout = fo;                                                            \
        return m;                                                              \
    }
DEF_DBL(shld, 16, "w", "w") DEF_DBL(shld, 32, "l", "k")
DEF_DBL(shrd, 16, "w", "w") DEF_DBL(shrd, 32, "l", "k")

#define DBL_IMM_CASE(op, sfx, mod, n)                                          \
    case n:                                                                    \
        __asm__ volatile(FLAGS_IN #op sfx " $" #n ", %" mod "[s], %" mod "[d]" FLAGS_OUT \
                         : [d] "+r"(d), [fo] "=&r"(fo) : [s] "r"(s), [fi] "r"(fin) : "cc"); \
        break;
#define DCOUNTS(X, a, b, c) X(a, b, c, 0) X(a, b, c, 1) X(a, b, c, 4) X(a, b, c, 8) \
    X(a, b, c, 15) X(a, b, c, 16) X(a, b, c, 31) X(a, b, c, 32)
static const uint32_t dcounts[] = { 0, 1, 4, 8, 15, 16, 31, 32 };

static uint32_t dbl_imm(int left, int bits, uint32_t d, uint32_t s, uint32_t n, uint32_t fin,
                        uint32_t *fout)
{
    uint32_t fo = 0xffffffff;
    if (left && bits == 16) { switch (n) { DCOUNTS(DBL_IMM_CASE, shld, "w", "w") } }
    if (left && bits == 32) { switch (n) { DCOUNTS(DBL_IMM_CASE, shld, "l", "k") } }
    if (!left && bits == 16) { switch (n) { DCOUNTS(DBL_IMM_CASE, shrd, "w", "w") } }
    if (!left && bits == 32) { switch (n) { DCOUNTS(DBL_IMM_CASE, shrd, "l", "k") } }
    *fout = fo;
    return d;
}

static uint32_t dbl_model(int left, int bits, uint32_t d, uint32_t s, uint32_t n, uint32_t fin,
                          uint32_t *fout, uint32_t *mask)
{
    uint32_t m = bits == 32 ? 0xffffffffu : 0xffff, sign = 1u << (bits - 1), c = n & 31, r, cf;
    uint64_t wide;
    d &= m;
    s &= m;
    *mask = F_ARITH;
    if (c == 0) {
        *fout = fin & F_ARITH;
        return d;
    }
    if (left) {                         /* d:s shifted left, high half kept */
        wide = ((uint64_t)d << bits | s) << c;
        r = (uint32_t)(wide >> bits) & m;
        cf = (d >> (bits - c)) & 1;         /* last bit out of the top */
    } else {                            /* s:d shifted right, low half kept */
        wide = (uint64_t)s << bits | d;
        r = (uint32_t)(wide >> c) & m;
        cf = (uint32_t)(wide >> (c - 1)) & 1;
    }
    *fout = szp(r, sign) | (cf ? F_CF : 0) | (((r ^ d) & sign) ? F_OF : 0);
    *mask &= ~F_AF;
    if (c != 1) *mask &= ~F_OF;
    return r;
}

static void test_double(void)
{
    static const uint32_t pairs[][2] = {
        { 0x12345678, 0x9abcdef0 }, { 0x80000001, 0xffffffff }, { 0x00000000, 0x80000000 },
        { 0xffff0000, 0x0000ffff },
    };
    for (int left = 1; left >= 0; left--) {
        const char *nm = left ? "shld" : "shrd";
        for (int bits = 16; bits <= 32; bits += 16) {
            int w = bits / 4;
            uint32_t m = bits == 32 ? 0xffffffffu : 0xffff;
            for (unsigned i = 0; i < ARRAY_SIZE(pairs); i++) {
                for (unsigned k = 0; k < ARRAY_SIZE(dcounts); k++) {
                    uint32_t n = dcounts[k];
                    if (bits == 16 && (n & 31) > 16)
                        continue;       /* result undefined beyond the operand size */
                    uint32_t d = pairs[i][0] & m, s = pairs[i][1] & m, fin = n == 0 ? F_ARITH : 0;
                    uint32_t f, f2, mf, mask, r, r2;
                    r = bits == 16 ? (left ? shld_cl16 : shrd_cl16)(d | 0x77770000, s, n, fin, &f)
                                   : (left ? shld_cl32 : shrd_cl32)(d, s, n, fin, &f);
                    uint32_t mr = dbl_model(left, bits, d, s, n, fin, &mf, &mask);
                    printf("%s%d %0*x,%0*x,%u -> %0*x %s\n", nm, bits, w, d, w, s, n, w, r & m,
                           fstr(f, mask));
                    CHECK((r & m) == mr && (f & mask) == (mf & mask), "%s%d model says %x %s",
                          nm, bits, mr, fstr(mf, mask));
                    CHECK(bits == 32 || (r >> 16) == 0x7777, "%s16 upper half", nm);
                    r2 = bits == 16 ? (left ? shld_clm16 : shrd_clm16)(d, s, n, fin, &f2)
                                    : (left ? shld_clm32 : shrd_clm32)(d, s, n, fin, &f2);
                    other_forms++;
                    if ((r2 & m) != (r & m) || (f2 & mask) != (f & mask)) {
                        other_bad++;
                        printf("MISMATCH %s%d memory form\n", nm, bits);
                    }
                    r2 = dbl_imm(left, bits, d, s, n, fin, &f2);
                    other_forms++;
                    if ((r2 & m) != (r & m) || (f2 & mask) != (f & mask)) {
                        other_bad++;
                        printf("MISMATCH %s%d imm8 form\n", nm, bits);
                    }
                }
            }
        }
    }
}

int main(void)
{
    puts("shift: flags CPAZSO, '-' = undefined for that count");
    test_shifts();
    test_double();
    printf("shift: %d cases in other encodings agree with the CL form, %d mismatches\n",
           other_forms - other_bad, other_bad);
    CHECK(other_bad == 0, "encodings disagree");
    return finish("shift");
}
