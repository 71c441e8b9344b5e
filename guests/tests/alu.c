/* alu.c - add adc sub sbb and or xor cmp test inc dec neg not.
 *
 * For every operation and operand size (8, 16, 32 bits) the register form
 * runs over all pairs of edge operands and prints the result and the
 * defined flags. The same cases are checked against a C model of the
 * flags, and every other encoding (memory destination, memory source,
 * high-byte registers, accumulator/immediate, r/m/immediate with imm8 and
 * full immediates, the 0x82 alias) is checked against the register form.
 *
 * Output line:  OPSIZE  A,B [cN] -> RESULT FLAGS   (FLAGS as "CPAZSO")
 */
#include "../tests/common.h"

typedef uint32_t (*binfn)(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout);
typedef uint32_t (*unfn)(uint32_t a, uint32_t fin, uint32_t *fout);

/* ------------------------------------------------------------------ forms */

/* reg, reg */
#define DEF_RR(op, sz, sfx, mod, cons)                                          \
    static uint32_t op##_rr##sz(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                           \
        uint32_t fo;                                                            \
        __asm__ volatile(FLAGS_IN #op sfx " %" mod "[b], %" mod "[a]" FLAGS_OUT \
                         : [a] "+" cons(a), [fo] "=&r"(fo)                      \
                         : [b] cons(b), [fi] "r"(fin)                           \
                         : "cc");                                               \
        *fout = fo;                                                             \
        return a;                                                               \
    }

/* mem <- mem op reg */
#define DEF_MR(op, sz, sfx, mod, cons)                                          \
    static uint32_t op##_mr##sz(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                           \
        volatile uint32_t m = a;                                                \
        uint32_t fo;                                                            \
        __asm__ volatile(FLAGS_IN #op sfx " %" mod "[b], (%[p])" FLAGS_OUT      \
                         : [fo] "=&r"(fo)                                       \
                         : [b] cons(b), [p] "r"(&m), [fi] "r"(fin)              \
                         : "cc", "memory");                                     \
        *fout = fo;                                                             \
        return m;                                                               \
    }

/* reg <- reg op mem */
#define DEF_RM(op, sz, sfx, mod, cons)                                          \
    static uint32_t op##_rm##sz(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                           \
        volatile uint32_t m = b;                                                \
        uint32_t fo;                                                            \
        __asm__ volatile(FLAGS_IN #op sfx " (%[p]), %" mod "[a]" FLAGS_OUT      \
                         : [a] "+" cons(a), [fo] "=&r"(fo)                      \
                         : [p] "r"(&m), [fi] "r"(fin)                           \
                         : "cc", "memory");                                     \
        *fout = fo;                                                             \
        return a;                                                               \
    }

/* reg, reg with the "load" direction bit (opcode 02/03/0A/...) */
#define DEF_RRD(op, sz, sfx, mod, cons)                                         \
    static uint32_t op##_rrd##sz(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                           \
        uint32_t fo;                                                            \
        __asm__ volatile(FLAGS_IN "%{load%} " #op sfx " %" mod "[b], %" mod "[a]" FLAGS_OUT \
                         : [a] "+" cons(a), [fo] "=&r"(fo)                      \
                         : [b] cons(b), [fi] "r"(fin)                           \
                         : "cc");                                               \
        *fout = fo;                                                             \
        return a;                                                               \
    }

/* 8-bit forms with high-byte registers: AH..BH as destination and source */
#define DEF_HH(op)                                                              \
    static uint32_t op##_hh8(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                           \
        uint32_t x = (a & 0xff) << 8 | 0x5a, y = (b & 0xff) << 8 | 0xa5, fo;    \
        __asm__ volatile(FLAGS_IN #op "b %h[y], %h[x]" FLAGS_OUT                \
                         : [x] "+Q"(x), [fo] "=&r"(fo)                          \
                         : [y] "Q"(y), [fi] "r"(fin)                            \
                         : "cc");                                               \
        *fout = fo;                                                             \
        if ((x & 0xff) != 0x5a) return 0xdead;   /* low byte must survive */    \
        return (x >> 8) & 0xff;                                                 \
    }                                                                           \
    static uint32_t op##_hl8(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                           \
        uint32_t x = (a & 0xff) << 8, y = b & 0xff, fo;                         \
        __asm__ volatile(FLAGS_IN #op "b %b[y], %h[x]" FLAGS_OUT                \
                         : [x] "+Q"(x), [fo] "=&r"(fo)                          \
                         : [y] "Q"(y), [fi] "r"(fin)                            \
                         : "cc");                                               \
        *fout = fo;                                                             \
        return (x >> 8) & 0xff;                                                 \
    }                                                                           \
    static uint32_t op##_lh8(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout) \
    {                                                                           \
        uint32_t x = a & 0xff, y = (b & 0xff) << 8, fo;                         \
        __asm__ volatile(FLAGS_IN #op "b %h[y], %b[x]" FLAGS_OUT                \
                         : [x] "+Q"(x), [fo] "=&r"(fo)                          \
                         : [y] "Q"(y), [fi] "r"(fin)                            \
                         : "cc");                                               \
        *fout = fo;                                                             \
        return x & 0xff;                                                        \
    }

#define SIZES(DEF, op)                 \
    DEF(op, 8, "b", "b", "q")          \
    DEF(op, 16, "w", "w", "r")         \
    DEF(op, 32, "l", "k", "r")

#define BINOPS(X) X(add) X(adc) X(sub) X(sbb) X(and) X(or) X(xor) X(cmp) X(test)

#define DEF_ALL_BIN(op) SIZES(DEF_RR, op) SIZES(DEF_MR, op) SIZES(DEF_RM, op)
BINOPS(DEF_ALL_BIN)
#define DEF_ALL_RRD(op) SIZES(DEF_RRD, op)
DEF_ALL_RRD(add) DEF_ALL_RRD(adc) DEF_ALL_RRD(sub) DEF_ALL_RRD(sbb)
DEF_ALL_RRD(and) DEF_ALL_RRD(or) DEF_ALL_RRD(xor) DEF_ALL_RRD(cmp)
BINOPS(DEF_HH)

/* Immediate forms. Each runs one fixed immediate in three encodings:
 * accumulator (04/05-style, or 83 for small immediates), r/m register
 * (80/81/83, operand in ECX) and r/m memory. */
#define IMM_STEP(op, sfx, mod, imm, i)                                          \
    do {                                                                        \
        uint32_t x = a, fo;                                                     \
        __asm__ volatile(FLAGS_IN #op sfx " %[im], %" mod "[x]" FLAGS_OUT       \
                         : [x] "+a"(x), [fo] "=&r"(fo)                          \
                         : [im] "i"(imm), [fi] "r"(fin) : "cc");                \
        r[3 * (i)] = x; f[3 * (i)] = fo;                                        \
        x = a;                                                                  \
        __asm__ volatile(FLAGS_IN #op sfx " %[im], %" mod "[x]" FLAGS_OUT       \
                         : [x] "+c"(x), [fo] "=&r"(fo)                          \
                         : [im] "i"(imm), [fi] "r"(fin) : "cc");                \
        r[3 * (i) + 1] = x; f[3 * (i) + 1] = fo;                                \
        volatile uint32_t m = a;                                                \
        __asm__ volatile(FLAGS_IN #op sfx " %[im], (%[p])" FLAGS_OUT            \
                         : [fo] "=&r"(fo)                                       \
                         : [im] "i"(imm), [p] "r"(&m), [fi] "r"(fin)            \
                         : "cc", "memory");                                     \
        r[3 * (i) + 2] = m; f[3 * (i) + 2] = fo;                                \
    } while (0)

#define N_IMM 6
static const uint32_t imm8s[N_IMM]  = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x5a };
static const uint32_t imm16s[N_IMM] = { 0x0001, 0xff80, 0xffff, 0x0080, 0x7fff, 0x8000 };
static const uint32_t imm32s[N_IMM] = { 0x00000001, 0xffffff80, 0xffffffff,
                                        0x00000080, 0x7fffffff, 0x80000000 };

#define DEF_IMM(op)                                                             \
    static void op##_imm8(uint32_t a, uint32_t fin, uint32_t *r, uint32_t *f)  \
    {                                                                           \
        IMM_STEP(op, "b", "b", 0x00, 0); IMM_STEP(op, "b", "b", 0x01, 1);       \
        IMM_STEP(op, "b", "b", 0x7f, 2); IMM_STEP(op, "b", "b", 0x80, 3);       \
        IMM_STEP(op, "b", "b", 0xff, 4); IMM_STEP(op, "b", "b", 0x5a, 5);       \
    }                                                                           \
    static void op##_imm16(uint32_t a, uint32_t fin, uint32_t *r, uint32_t *f) \
    {                                                                           \
        IMM_STEP(op, "w", "w", 1, 0); IMM_STEP(op, "w", "w", -128, 1);          \
        IMM_STEP(op, "w", "w", -1, 2); IMM_STEP(op, "w", "w", 0x80, 3);         \
        IMM_STEP(op, "w", "w", 0x7fff, 4); IMM_STEP(op, "w", "w", -32768, 5);   \
    }                                                                           \
    static void op##_imm32(uint32_t a, uint32_t fin, uint32_t *r, uint32_t *f) \
    {                                                                           \
        IMM_STEP(op, "l", "k", 1, 0); IMM_STEP(op, "l", "k", -128, 1);          \
        IMM_STEP(op, "l", "k", -1, 2); IMM_STEP(op, "l", "k", 0x80, 3);         \
        IMM_STEP(op, "l", "k", 0x7fffffff, 4);                                  \
        IMM_STEP(op, "l", "k", (int)0x80000000, 5);                             \
    }
BINOPS(DEF_IMM)

/* The 0x82 opcode: an alias of 0x80 (r/m8, imm8) valid outside 64-bit mode. */
#define DEF_82(op, n)                                                           \
    static uint32_t op##_x82(uint32_t a, uint32_t fin, uint32_t *fout)          \
    {                                                                           \
        uint32_t x = a, fo;                                                     \
        __asm__ volatile(FLAGS_IN ".byte 0x82, 0xc1 + 8 * " #n ", 0x81" FLAGS_OUT \
                         : [x] "+c"(x), [fo] "=&r"(fo) : [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                             \
        return x;                                                               \
    }
DEF_82(add, 0) DEF_82(or, 1) DEF_82(adc, 2) DEF_82(sbb, 3)
DEF_82(and, 4) DEF_82(sub, 5) DEF_82(xor, 6) DEF_82(cmp, 7)

/* Unary operations: register and memory forms. */
#define DEF_UR(op, sz, sfx, mod, cons)                                          \
    static uint32_t op##_ur##sz(uint32_t a, uint32_t fin, uint32_t *fout)       \
    {                                                                           \
        uint32_t fo;                                                            \
        __asm__ volatile(FLAGS_IN #op sfx " %" mod "[a]" FLAGS_OUT              \
                         : [a] "+" cons(a), [fo] "=&r"(fo)                      \
                         : [fi] "r"(fin) : "cc");                               \
        *fout = fo;                                                             \
        return a;                                                               \
    }
#define DEF_UM(op, sz, sfx, mod, cons)                                          \
    static uint32_t op##_um##sz(uint32_t a, uint32_t fin, uint32_t *fout)       \
    {                                                                           \
        volatile uint32_t m = a;                                                \
        uint32_t fo;                                                            \
        __asm__ volatile(FLAGS_IN #op sfx " (%[p])" FLAGS_OUT                   \
                         : [fo] "=&r"(fo)                                       \
                         : [p] "r"(&m), [fi] "r"(fin) : "cc", "memory");        \
        *fout = fo;                                                             \
        return m;                                                               \
    }
#define UNOPS(X) X(inc) X(dec) X(neg) X(not)
#define DEF_ALL_UN(op) SIZES(DEF_UR, op) SIZES(DEF_UM, op)
UNOPS(DEF_ALL_UN)

/* inc/dec r32 and r16 also have one-byte encodings (40+r / 48+r); gas uses
 * them for registers, so the DEF_UR versions above exercise those. The
 * ModRM forms (FF /0, FF /1) are emitted explicitly here with ECX. */
static uint32_t inc_modrm32(uint32_t a, uint32_t fin, uint32_t *fout)
{
    uint32_t fo;
    __asm__ volatile(FLAGS_IN ".byte 0xff, 0xc1" FLAGS_OUT
                     : "+c"(a), [fo] "=&r"(fo) : [fi] "r"(fin) : "cc");
    *fout = fo;
    return a;
}

static uint32_t dec_modrm16(uint32_t a, uint32_t fin, uint32_t *fout)
{
    uint32_t fo;
    __asm__ volatile(FLAGS_IN ".byte 0x66, 0xff, 0xc9" FLAGS_OUT
                     : "+c"(a), [fo] "=&r"(fo) : [fi] "r"(fin) : "cc");
    *fout = fo;
    return a;
}

/* ------------------------------------------------------------- the model */

enum { ADD, ADC, SUB, SBB, AND, OR, XOR, CMP, TEST, INC, DEC, NEG, NOT };

static uint32_t szf(uint32_t r, uint32_t sign)
{
    return (r == 0 ? F_ZF : 0) | (r & sign ? F_SF : 0) | (parity8(r) ? F_PF : 0);
}

/* Returns the result; *flags gets the defined flags; *mask which ones are defined. */
static uint32_t model(int op, int bits, uint32_t a, uint32_t b, uint32_t fin,
                      uint32_t *flags, uint32_t *mask)
{
    uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1, sign = 1u << (bits - 1);
    uint32_t cin = fin & F_CF, r = 0, f = 0;
    uint64_t wide;
    a &= m;
    b &= m;
    *mask = F_ARITH;
    switch (op) {
    case ADD: case ADC: case INC:
        if (op == INC) { b = 1; cin = 0; }
        if (op == ADD) cin = 0;
        wide = (uint64_t)a + b + cin;
        r = (uint32_t)wide & m;
        f = (wide > m ? F_CF : 0) | ((a ^ r) & (b ^ r) & sign ? F_OF : 0)
            | ((a ^ b ^ r) & 0x10 ? F_AF : 0) | szf(r, sign);
        if (op == INC) f = (f & ~F_CF) | (fin & F_CF);
        break;
    case SUB: case SBB: case CMP: case DEC: case NEG:
        if (op == DEC) { b = 1; cin = 0; }
        if (op == NEG) { b = a; a = 0; cin = 0; }
        if (op == SUB || op == CMP) cin = 0;
        r = (a - b - cin) & m;
        f = ((uint64_t)a < (uint64_t)b + cin ? F_CF : 0) | ((a ^ b) & (a ^ r) & sign ? F_OF : 0)
            | ((a ^ b ^ r) & 0x10 ? F_AF : 0) | szf(r, sign);
        if (op == DEC) f = (f & ~F_CF) | (fin & F_CF);
        if (op == CMP) r = a;
        break;
    case AND: case TEST: r = a & b; f = szf(r, sign); *mask &= ~F_AF; if (op == TEST) r = a; break;
    case OR:  r = a | b; f = szf(r, sign); *mask &= ~F_AF; break;
    case XOR: r = a ^ b; f = szf(r, sign); *mask &= ~F_AF; break;
    case NOT: r = ~a & m; f = fin & F_ARITH; break;     /* flags unchanged */
    }
    *flags = f;
    return r;
}

/* ------------------------------------------------------------ the driver */

struct binop {
    const char *name;
    int op;
    binfn rr[3], mr[3], rm[3], rrd[3], hh[3];
    void (*imm[3])(uint32_t, uint32_t, uint32_t *, uint32_t *);
    unfn x82;
};

#define BINENTRY(nm, OP)                                                      \
    { #nm, OP, { nm##_rr8, nm##_rr16, nm##_rr32 }, { nm##_mr8, nm##_mr16, nm##_mr32 }, \
      { nm##_rm8, nm##_rm16, nm##_rm32 }, { nm##_rrd8, nm##_rrd16, nm##_rrd32 }, \
      { nm##_hh8, nm##_hl8, nm##_lh8 }, { nm##_imm8, nm##_imm16, nm##_imm32 }, nm##_x82 }
/* test has no direction bit and no 0x82 alias */
#define test_rrd8 0
#define test_rrd16 0
#define test_rrd32 0
#define test_x82 0

static const struct binop binops[] = {
    BINENTRY(add, ADD),
    BINENTRY(adc, ADC),
    BINENTRY(sub, SUB),
    BINENTRY(sbb, SBB),
    BINENTRY(and, AND),
    BINENTRY(or, OR),
    BINENTRY(xor, XOR),
    BINENTRY(cmp, CMP),
    BINENTRY(test, TEST),
};

struct unop {
    const char *name;
    int op;
    unfn ur[3], um[3];
};

static const struct unop unops[] = {
    { "inc", INC, { inc_ur8, inc_ur16, inc_ur32 }, { inc_um8, inc_um16, inc_um32 } },
    { "dec", DEC, { dec_ur8, dec_ur16, dec_ur32 }, { dec_um8, dec_um16, dec_um32 } },
    { "neg", NEG, { neg_ur8, neg_ur16, neg_ur32 }, { neg_um8, neg_um16, neg_um32 } },
    { "not", NOT, { not_ur8, not_ur16, not_ur32 }, { not_um8, not_um16, not_um32 } },
};

static const uint32_t edge32[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
                                   0x7fffffff, 0x80000000, 0xffffffff };
static const uint32_t edge16[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff };
static const uint32_t edge8[]  = { 0, 1, 0x7f, 0x80, 0xff };

static const uint32_t *edges[3] = { edge8, edge16, edge32 };
static const int n_edges[3] = { 5, 8, 10 };
static const int bits_of[3] = { 8, 16, 32 };

static int form_cases, form_mismatch;

static void agree(const char *what, const char *op, int bits, uint32_t a, uint32_t b,
                  uint32_t fin, uint32_t r_ref, uint32_t f_ref, uint32_t r, uint32_t f,
                  uint32_t mask)
{
    uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    form_cases++;
    if ((r & m) != (r_ref & m) || (f & mask) != (f_ref & mask)) {
        form_mismatch++;
        printf("MISMATCH %s %s%d %x,%x fin=%x: %x %s vs reg form %x %s\n", what, op, bits,
               a, b, fin, r & m, fstr(f, mask), r_ref & m, fstr(f_ref, mask));
    }
}

static void run_binops(void)
{
    for (unsigned o = 0; o < ARRAY_SIZE(binops); o++) {
        const struct binop *bo = &binops[o];
        int with_carry = bo->op == ADC || bo->op == SBB;
        for (int s = 0; s < 3; s++) {
            int bits = bits_of[s], w = bits / 4;
            uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
            for (int i = 0; i < n_edges[s]; i++) {
                for (int j = 0; j < n_edges[s]; j++) {
                    for (int c = 0; c <= with_carry; c++) {
                        uint32_t a = edges[s][i], b = edges[s][j];
                        uint32_t fin = c ? F_CF : 0, f, mf, mask;
                        /* junk above the operand size must survive */
                        uint32_t hi = bits == 32 ? 0 : 0x5a5a5a5a & ~m;
                        uint32_t r = bo->rr[s](a | hi, b | (~m & 0xa5a5a5a5), fin, &f);
                        uint32_t mr = model(bo->op, bits, a, b, fin, &mf, &mask);
                        printf("%s%d %0*x,%0*x%s -> %0*x %s\n", bo->name, bits, w, a, w, b,
                               with_carry ? (c ? " c1" : " c0") : "", w, r & m, fstr(f, mask));
                        CHECK((r & ~m) == hi, "%s%d upper bits changed: %x", bo->name, bits, r);
                        CHECK((r & m) == mr && (f & mask) == mf,
                              "%s%d %x,%x: model says %x %s", bo->name, bits, a, b, mr,
                              fstr(mf, mask));
                        /* every other encoding must agree with the register form;
                         * run them with the other arithmetic flags set too */
                        uint32_t fin2 = fin | (F_ARITH & ~F_CF), r2, f2;
                        r = bo->rr[s](a, b, fin2, &f);
                        r2 = bo->mr[s](a, b, fin2, &f2);
                        agree("mem,reg", bo->name, bits, a, b, fin2, r, f, r2, f2, mask);
                        r2 = bo->rm[s](a, b, fin2, &f2);
                        agree("reg,mem", bo->name, bits, a, b, fin2, r, f, r2, f2, mask);
                        if (bo->rrd[s]) {
                            r2 = bo->rrd[s](a, b, fin2, &f2);
                            agree("reg,reg(load)", bo->name, bits, a, b, fin2, r, f, r2, f2, mask);
                        }
                        if (bits == 8) {
                            for (int h = 0; h < 3; h++) {
                                r2 = bo->hh[h](a, b, fin2, &f2);
                                agree(h == 0 ? "hi,hi" : h == 1 ? "hi,lo" : "lo,hi", bo->name,
                                      bits, a, b, fin2, r, f, r2, f2, mask);
                            }
                        }
                    }
                }
                /* immediate forms for this first operand */
                const uint32_t *imms = s == 0 ? imm8s : s == 1 ? imm16s : imm32s;
                for (int c = 0; c <= with_carry; c++) {
                    uint32_t a = edges[s][i], fin = c ? F_CF : 0, rr[3 * N_IMM], ff[3 * N_IMM];
                    bo->imm[s](a, fin, rr, ff);
                    for (int k = 0; k < N_IMM; k++) {
                        uint32_t f, mf, mask;
                        uint32_t r = bo->rr[s](a, imms[k], fin, &f);
                        model(bo->op, bits, a, imms[k], fin, &mf, &mask);
                        for (int e = 0; e < 3; e++)
                            agree(e == 0 ? "acc,imm" : e == 1 ? "r/m,imm" : "mem,imm", bo->name,
                                  bits, a, imms[k], fin, r, f, rr[3 * k + e], ff[3 * k + e], mask);
                    }
                    if (bits == 8 && bo->x82) {
                        uint32_t f, f2, mf, mask;
                        uint32_t r = bo->rr[0](a, 0x81, fin, &f);
                        model(bo->op, 8, a, 0x81, fin, &mf, &mask);
                        uint32_t r2 = bo->x82(a, fin, &f2);
                        agree("0x82", bo->name, 8, a, 0x81, fin, r, f, r2, f2, mask);
                    }
                }
            }
        }
    }
}

static void run_unops(void)
{
    for (unsigned o = 0; o < ARRAY_SIZE(unops); o++) {
        const struct unop *uo = &unops[o];
        for (int s = 0; s < 3; s++) {
            int bits = bits_of[s], w = bits / 4;
            uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
            for (int i = 0; i < n_edges[s]; i++) {
                /* flags in: all clear, then all six set (inc/dec keep CF, not keeps all) */
                for (int c = 0; c < 2; c++) {
                    uint32_t a = edges[s][i], fin = c ? F_ARITH : 0, f, f2, mf, mask;
                    uint32_t r = uo->ur[s](a, fin, &f);
                    uint32_t mr = model(uo->op, bits, a, 0, fin, &mf, &mask);
                    printf("%s%d %0*x f%d -> %0*x %s\n", uo->name, bits, w, a, c, w, r & m,
                           fstr(f, mask));
                    CHECK((r & m) == mr && (f & mask) == mf, "%s%d %x: model says %x %s",
                          uo->name, bits, a, mr, fstr(mf, mask));
                    uint32_t r2 = uo->um[s](a, fin, &f2);
                    agree("mem", uo->name, bits, a, 0, fin, r, f, r2, f2, mask);
                    if (uo->op == INC && bits == 32) {
                        r2 = inc_modrm32(a, fin, &f2);
                        agree("FF /0", uo->name, bits, a, 0, fin, r, f, r2, f2, mask);
                    }
                    if (uo->op == DEC && bits == 16) {
                        r2 = dec_modrm16(a, fin, &f2);
                        agree("FF /1", uo->name, bits, a, 0, fin, r, f, r2, f2, mask);
                    }
                }
            }
        }
    }
}

int main(void)
{
    puts("alu: register forms (flags CPAZSO, '-' = undefined)");
    run_binops();
    run_unops();
    printf("alu: %d other-encoding cases agree with the register form, %d mismatches\n",
           form_cases - form_mismatch, form_mismatch);
    CHECK(form_mismatch == 0, "encodings disagree");
    return finish("alu");
}
