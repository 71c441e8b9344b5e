/* bitops.c - bt bts btr btc, bsf bsr.
 *
 * BT* set CF to the selected bit and leave ZF alone (OF SF AF PF are
 * undefined): the printed flags are "CPAZSO" masked to C and Z.
 * With a register base the offset wraps modulo the operand size; with a
 * memory base and a register offset the offset is a signed bit index into
 * a bit string that may lie before or after the addressed word; with an
 * immediate offset it wraps modulo the operand size.
 * BSF/BSR define only ZF; the destination is undefined for a zero source
 * and is not printed then.
 */
#include "../tests/common.h"

#define BTMASK (F_CF | F_ZF)

enum { BT, BTS, BTR, BTC };
static const char *const names[] = { "bt", "bts", "btr", "btc" };

/* register base, register offset */
#define DEF_RR(op, sz, sfx, mod)                                               \
    static uint32_t op##_rr##sz(uint32_t base, uint32_t off, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t fo;                                                           \
        __asm__ volatile(FLAGS_IN #op sfx " %" mod "[o], %" mod "[b]" FLAGS_OUT \
                         : [b] "+r"(base), [fo] "=&r"(fo) : [o] "r"(off), [fi] "r"(fin) : "cc"); \
        *fout = fo;                                                            \
        return base;                                                           \
    }
/* memory base, register offset (bit string) */
#define DEF_MR(op, sz, sfx, mod)                                               \
    static void op##_mr##sz(void *p, uint32_t off, uint32_t fin, uint32_t *fout) \
    {                                                                          \
        uint32_t fo;                                                           \
        __asm__ volatile(FLAGS_IN #op sfx " %" mod "[o], (%[p])" FLAGS_OUT     \
                         : [fo] "=&r"(fo) : [o] "r"(off), [p] "r"(p), [fi] "r"(fin) \
                         : "cc", "memory");                                    \
        *fout = fo;                                                            \
    }
#define BTOPS(X, sz, sfx, mod) X(bt, sz, sfx, mod) X(bts, sz, sfx, mod) X(btr, sz, sfx, mod) X(btc, sz, sfx, mod)
BTOPS(DEF_RR, 16, "w", "w") BTOPS(DEF_RR, 32, "l", "k")
BTOPS(DEF_MR, 16, "w", "w") BTOPS(DEF_MR, 32, "l", "k")

static uint32_t (*const rr[4][2])(uint32_t, uint32_t, uint32_t, uint32_t *) = {
    { bt_rr16, bt_rr32 }, { bts_rr16, bts_rr32 }, { btr_rr16, btr_rr32 }, { btc_rr16, btc_rr32 },
};
static void (*const mr[4][2])(void *, uint32_t, uint32_t, uint32_t *) = {
    { bt_mr16, bt_mr32 }, { bts_mr16, bts_mr32 }, { btr_mr16, btr_mr32 }, { btc_mr16, btc_mr32 },
};

/* immediate offsets: register and memory base */
#define IMM_CASE(op, sfx, mod, n)                                              \
    case n:                                                                    \
        __asm__ volatile(FLAGS_IN #op sfx " $" #n ", %" mod "[b]" FLAGS_OUT    \
                         : [b] "+r"(base), [fo] "=&r"(fo) : [fi] "r"(fin) : "cc"); \
        __asm__ volatile(FLAGS_IN #op sfx " $" #n ", (%[p])" FLAGS_OUT         \
                         : [fo] "=&r"(fo2) : [p] "r"(&m), [fi] "r"(fin) : "cc", "memory"); \
        break;
#define ICOUNTS(X, a, b, c) X(a, b, c, 0) X(a, b, c, 5) X(a, b, c, 15) X(a, b, c, 16) \
    X(a, b, c, 31) X(a, b, c, 37) X(a, b, c, 255)
static const uint32_t imm_offs[] = { 0, 5, 15, 16, 31, 37, 255 };

#define DEF_IMM(op)                                                            \
    static uint32_t op##_imm(int bits, uint32_t base, uint32_t n, uint32_t fin, uint32_t *fout, \
                             uint32_t *mem, uint32_t *mflags)                  \
    {                                                                          \
        volatile uint32_t m = base;                                            \
        uint32_t fo = 0xdead, fo2 = 0xdead;                                    \
        if (bits == 16) { switch (n) { ICOUNTS(IMM_CASE, op, "w", "w") } }     \
        else { switch (n) { ICOUNTS(IMM_CASE, op, "l", "k") } }                \
        *fout = fo; *mem = m; *mflags = fo2;                                   \
        return base;                                                           \
    }
DEF_IMM(bt) DEF_IMM(bts) DEF_IMM(btr) DEF_IMM(btc)
static uint32_t (*const immf[4])(int, uint32_t, uint32_t, uint32_t, uint32_t *, uint32_t *,
                                 uint32_t *) = { bt_imm, bts_imm, btr_imm, btc_imm };

static uint32_t apply(int op, uint32_t word, unsigned bit)
{
    uint32_t b = 1u << bit;
    return op == BTS ? word | b : op == BTR ? word & ~b : op == BTC ? word ^ b : word;
}

static void test_reg(void)
{
    static const uint32_t offs[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 0xffffffff, 0x80000000,
                                     0xfffffff0 };
    static const uint32_t bases[] = { 0x80000001, 0xa5a5a5a5 };
    for (int op = 0; op < 4; op++)
        for (int s = 0; s < 2; s++) {
            int bits = s ? 32 : 16, w = bits / 4;
            uint32_t m = s ? 0xffffffffu : 0xffff;
            for (unsigned b = 0; b < ARRAY_SIZE(bases); b++)
                for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
                    uint32_t base = bases[b] & m, off = offs[i], f;
                    uint32_t fin = i & 1 ? F_ZF : F_CF;
                    uint32_t hi = s ? 0 : 0x3c3c0000;
                    uint32_t r = rr[op][s](base | hi, off, fin, &f);
                    unsigned bit = off & (bits - 1);
                    printf("%s%d %0*x,%x -> %0*x %s\n", names[op], bits, w, base,
                           s ? off : off & 0xffff, w, r & m, fstr(f, BTMASK));
                    CHECK((r & m) == apply(op, base, bit) && (r & ~m) == hi, "%s%d result", names[op], bits);
                    CHECK(!!(f & F_CF) == ((base >> bit) & 1) && (f & F_ZF) == (fin & F_ZF),
                          "%s%d flags", names[op], bits);
                }
        }
}

static void test_imm(void)
{
    for (int op = 0; op < 4; op++)
        for (int s = 0; s < 2; s++) {
            int bits = s ? 32 : 16, w = bits / 4;
            uint32_t m = s ? 0xffffffffu : 0xffff;
            for (unsigned i = 0; i < ARRAY_SIZE(imm_offs); i++) {
                uint32_t base = 0x5aa5c33c & m, f, mem, mf;
                uint32_t r = immf[op](bits, base, imm_offs[i], F_ZF, &f, &mem, &mf);
                unsigned bit = imm_offs[i] & (bits - 1);
                printf("%s%d $%u,%0*x -> %0*x %s\n", names[op], bits, imm_offs[i], w, base, w,
                       r & m, fstr(f, BTMASK));
                CHECK((r & m) == apply(op, base, bit), "%s%d imm result", names[op], bits);
                CHECK(!!(f & F_CF) == ((base >> bit) & 1) && (f & F_ZF), "%s%d imm flags", names[op], bits);
                CHECK(mem == (apply(op, base, bit) | (base & ~m)) && (mf & BTMASK) == (f & BTMASK),
                      "%s%d $imm,mem", names[op], bits);
            }
        }
}

/* Bit strings in memory: 64 bytes, the operand addresses byte 32. */
static void test_mem(void)
{
    static const int32_t offs32[] = { -256, -70, -33, -32, -1, 0, 1, 31, 32, 63, 100, 255 };
    static const int32_t offs16[] = { -256, -70, -17, -16, -1, 0, 15, 16, 100, 255 };
    static uint8_t buf[64], ref[64];
    for (int op = 0; op < 4; op++)
        for (int s = 0; s < 2; s++) {
            int bits = s ? 32 : 16;
            const int32_t *offs = s ? offs32 : offs16;
            unsigned n = s ? ARRAY_SIZE(offs32) : ARRAY_SIZE(offs16);
            for (unsigned i = 0; i < 64; i++)
                buf[i] = ref[i] = (uint8_t)(i * 37 + 11);
            for (unsigned i = 0; i < n; i++) {
                int32_t off = offs[i];
                uint32_t f, fin = i & 1 ? F_ZF : 0;
                /* the reference: bit (32*8 + off) of the whole buffer */
                int bitno = 32 * 8 + off;
                int byte = bitno >> 3, bit = bitno & 7;
                int old = (ref[byte] >> bit) & 1;
                if (op == BTS) ref[byte] |= 1 << bit;
                if (op == BTR) ref[byte] &= ~(1 << bit);
                if (op == BTC) ref[byte] ^= 1 << bit;
                mr[op][s](buf + 32, (uint32_t)off, fin, &f);
                int word = (off >> (s ? 5 : 4)) * (bits / 8);   /* byte offset of the word */
                uint32_t now = s ? *(uint32_t *)(buf + 32 + word) : *(uint16_t *)(buf + 32 + word);
                printf("%s%d mem[%+d] -> word at %+d = %0*x %s\n", names[op], bits, off, word,
                       bits / 4, now, fstr(f, BTMASK));
                CHECK(!!(f & F_CF) == old && (f & F_ZF) == fin, "%s%d mem flags", names[op], bits);
                CHECK(memcmp(buf, ref, 64) == 0, "%s%d mem[%d]: bit string differs", names[op], bits, off);
            }
        }
}

/* bsf / bsr */
#define DEF_BS(op, sz, sfx, mod)                                               \
    static uint32_t op##sz(uint32_t v, uint32_t fin, uint32_t *fout, uint32_t *mres) \
    {                                                                          \
        uint32_t d = 0xcccccccc, fo, d2 = 0xcccccccc;                          \
        volatile uint32_t m = v;                                               \
        __asm__ volatile(FLAGS_IN #op sfx " %" mod "[s], %" mod "[d]" FLAGS_OUT \
                         : [d] "+r"(d), [fo] "=&r"(fo) : [s] "r"(v), [fi] "r"(fin) : "cc"); \
        __asm__ volatile(#op sfx " (%[p]), %" mod "[d]"                        \
                         : [d] "+r"(d2) : [p] "r"(&m) : "cc", "memory");       \
        *fout = fo; *mres = d2;                                                \
        return d;                                                              \
    }
DEF_BS(bsf, 16, "w", "w") DEF_BS(bsf, 32, "l", "k")
DEF_BS(bsr, 16, "w", "w") DEF_BS(bsr, 32, "l", "k")

static void test_bs(void)
{
    static const uint32_t vals[] = { 0, 1, 0x80, 0x8000, 0x10000, 0x80000000, 0xffffffff,
                                     0x00f0f000, 0x12345678, 0x00010000 };
    for (int rev = 0; rev < 2; rev++)
        for (int s = 0; s < 2; s++) {
            int bits = s ? 32 : 16;
            uint32_t m = s ? 0xffffffffu : 0xffff;
            for (unsigned i = 0; i < ARRAY_SIZE(vals); i++) {
                uint32_t v = vals[i] & m, f, r2;
                if (!s && i > 0 && (vals[i] & m) == 0)
                    continue;       /* no 16-bit bits: same as the zero case */
                uint32_t r = rev ? (s ? bsr32 : bsr16)(v, 0, &f, &r2)
                                 : (s ? bsf32 : bsf16)(v, 0, &f, &r2);
                const char *nm = rev ? "bsr" : "bsf";
                if (v == 0) {
                    printf("%s%d %0*x -> (undefined) %s\n", nm, bits, bits / 4, v, fstr(f, F_ZF));
                    CHECK(f & F_ZF, "%s zero source sets ZF", nm);
                    continue;
                }
                int want = -1;
                for (int b = 0; b < bits; b++)
                    if ((v >> b) & 1) { want = b; if (!rev) break; }
                printf("%s%d %0*x -> %u %s\n", nm, bits, bits / 4, v, r & m, fstr(f, F_ZF));
                CHECK((r & m) == (uint32_t)want && !(f & F_ZF), "%s%d %x", nm, bits, v);
                CHECK(s || (r >> 16) == 0xcccc, "%s16 upper half", nm);
                CHECK(r2 == r, "%s%d memory source", nm, bits);
            }
        }
}

int main(void)
{
    puts("bitops: bt* print flags masked to CF ZF; bsf/bsr to ZF");
    test_reg();
    test_imm();
    test_mem();
    test_bs();
    return finish("bitops");
}
