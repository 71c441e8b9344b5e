/* legacy.c - rarely used integer instructions that are still valid in
 * 32-bit mode: the BCD adjustments (daa das aaa aas aam aad), xlat, bound
 * (in range, so no #BR), pushfw/popfw and pushaw/popaw.
 *
 * The BCD instructions run over every AL value with AF and CF in both
 * states; each prints a few sample lines and a hash over all cases, and
 * every case is checked against a C model. Undefined flags are masked:
 * OF after daa/das, OF SF ZF PF after aaa/aas, OF AF CF after aam/aad.
 */
#include "../tests/common.h"

#define DEF_BCD(name, insn)                                                    \
    static uint32_t name(uint32_t ax, uint32_t fin, uint32_t *fout)            \
    {                                                                          \
        uint32_t fo;                                                           \
        __asm__ volatile(FLAGS_IN insn FLAGS_OUT                               \
                         : "+a"(ax), [fo] "=&r"(fo) : [fi] "r"(fin) : "cc");   \
        *fout = fo;                                                            \
        return ax;                                                             \
    }
DEF_BCD(do_daa, "daa")
DEF_BCD(do_das, "das")
DEF_BCD(do_aaa, "aaa")
DEF_BCD(do_aas, "aas")
DEF_BCD(do_aam, "aam")
DEF_BCD(do_aad, "aad")
DEF_BCD(do_aam16, "aam $16")
DEF_BCD(do_aad16, "aad $16")

static uint32_t szp(uint32_t al)
{
    al &= 0xff;
    return (al == 0 ? F_ZF : 0) | (al & 0x80 ? F_SF : 0) | (parity8(al) ? F_PF : 0);
}

enum { DAA, DAS, AAA, AAS, AAM, AAD, AAM16, AAD16 };

static uint32_t model(int op, uint32_t ax, uint32_t fin, uint32_t *f, uint32_t *mask)
{
    uint32_t al = ax & 0xff, ah = (ax >> 8) & 0xff, cf = !!(fin & F_CF), af = !!(fin & F_AF);
    uint32_t old_al = al, old_cf = cf;
    switch (op) {
    case DAA:
    case DAS:
        cf = 0;
        if ((al & 0xf) > 9 || af) {
            if (op == DAA) { cf = old_cf || al + 6 > 0xff; al = (al + 6) & 0xff; }
            else { cf = old_cf || al < 6; al = (al - 6) & 0xff; }
            af = 1;
        } else {
            af = 0;
        }
        if (old_al > 0x99 || old_cf) {
            al = op == DAA ? (al + 0x60) & 0xff : (al - 0x60) & 0xff;
            cf = 1;
        } else if (op == DAA) {
            cf = 0;
        }
        *f = szp(al) | (cf ? F_CF : 0) | (af ? F_AF : 0);
        *mask = F_ARITH & ~F_OF;
        return (ax & 0xffff0000) | ah << 8 | al;
    case AAA:
    case AAS:
        if ((al & 0xf) > 9 || af) {
            if (op == AAA) { ax = (ax & 0xffff0000) | ((ax + 0x106) & 0xffff); }
            else { ax = (ax & 0xffff0000) | ((ax - 6) & 0xffff); ax = (ax & 0xffff00ff) | ((((ax >> 8) - 1) & 0xff) << 8); }
            af = cf = 1;
        } else {
            af = cf = 0;
        }
        ax &= 0xffffff0f;
        *f = (cf ? F_CF : 0) | (af ? F_AF : 0);
        *mask = F_CF | F_AF;
        return ax;
    case AAM: case AAM16: {
        uint32_t base = op == AAM ? 10 : 16;
        ah = al / base;
        al = al % base;
        *f = szp(al);
        *mask = F_ZF | F_SF | F_PF;
        return (ax & 0xffff0000) | ah << 8 | al;
    }
    case AAD: case AAD16: {
        uint32_t base = op == AAD ? 10 : 16;
        al = (al + ah * base) & 0xff;
        *f = szp(al);
        *mask = F_ZF | F_SF | F_PF;
        return (ax & 0xffff0000) | al;
    }
    }
    return 0;
}

static void test_bcd(void)
{
    static const struct {
        const char *name;
        int op;
        uint32_t (*fn)(uint32_t, uint32_t, uint32_t *);
    } ops[] = {
        { "daa", DAA, do_daa }, { "das", DAS, do_das }, { "aaa", AAA, do_aaa },
        { "aas", AAS, do_aas }, { "aam", AAM, do_aam }, { "aad", AAD, do_aad },
        { "aam16", AAM16, do_aam16 }, { "aad16", AAD16, do_aad16 },
    };
    static const uint32_t samples[] = { 0x0000, 0x0009, 0x000a, 0x0045, 0x0099, 0x009a,
                                        0x00ff, 0x0312, 0x07f9 };
    for (unsigned o = 0; o < ARRAY_SIZE(ops); o++) {
        uint32_t hash = 2166136261u, bad = 0;
        for (uint32_t ah = 0; ah < 256; ah += (ops[o].op >= AAM ? 1 : 85))
            for (uint32_t al = 0; al < 256; al++)
                for (uint32_t fl = 0; fl < 4; fl++) {
                    uint32_t ax = 0x12340000 | ah << 8 | al;
                    uint32_t fin = (fl & 1 ? F_CF : 0) | (fl & 2 ? F_AF : 0), f, mf, mask;
                    uint32_t r = ops[o].fn(ax, fin, &f);
                    uint32_t mr = model(ops[o].op, ax, fin, &mf, &mask);
                    hash = (hash ^ r) * 16777619u;
                    hash = (hash ^ (f & mask)) * 16777619u;
                    if (r != mr || (f & mask) != mf) {
                        if (bad++ < 4)
                            printf("MISMATCH %s ax=%04x fin=%s: %08x %s, model %08x %s\n",
                                   ops[o].name, ax & 0xffff, fstr(fin, F_CF | F_AF), r,
                                   fstr(f, mask), mr, fstr(mf, mask));
                    }
                }
        uint32_t mask;
        model(ops[o].op, 0, 0, &mask, &mask);
        printf("%s: all cases hash %08x\n", ops[o].name, hash);
        for (unsigned i = 0; i < ARRAY_SIZE(samples); i++) {
            uint32_t f, mf, m, r = ops[o].fn(samples[i], F_AF * (i & 1), &f);
            model(ops[o].op, samples[i], F_AF * (i & 1), &mf, &m);
            printf("  %s ax=%04x af=%u -> ax=%04x %s\n", ops[o].name, samples[i], i & 1, r & 0xffff,
                   fstr(f, m));
        }
        CHECK(bad == 0, "%s: %u cases differ from the model", ops[o].name, bad);
    }
}

static void test_xlat_bound(void)
{
    static const uint8_t table[256] = { [0] = 0x10, [1] = 0x21, [0x7f] = 0x99, [0x80] = 0xaa,
                                        [0xff] = 0x5e };
    static const uint32_t idx[] = { 0, 1, 0x7f, 0x80, 0xff };
    for (unsigned i = 0; i < ARRAY_SIZE(idx); i++) {
        uint32_t a = 0x12345600 | idx[i];
        __asm__ volatile("xlat" : "+a"(a) : "b"(table) : "memory");
        printf("xlat al=%02x -> %02x\n", idx[i], a & 0xff);
        CHECK(a == (0x12345600 | table[idx[i]]), "xlat");
    }
    static const int32_t bounds[2] = { -5, 100 };
    static const int16_t bounds16[2] = { 10, 20 };
    int32_t vals[] = { -5, 0, 100 };
    for (unsigned i = 0; i < ARRAY_SIZE(vals); i++)
        __asm__ volatile("boundl %0, %1" : : "r"(vals[i]), "m"(bounds));
    __asm__ volatile("boundw %w0, %1" : : "r"(15), "m"(bounds16));
    puts("bound: in-range indexes pass without #BR");
}

uint32_t legacy_words[4];

static void test_16bit_stack(void)
{
    uint32_t before, after, f16, *words = legacy_words;
    __asm__ volatile("movl %%esp, %[b]\n\t"
                     "pushl $0x8d7\n\tpopfl\n\t"
                     "pushfw\n\t"                        /* 66 9c: 2 bytes */
                     "popw %w[f]\n\t"
                     "pushl $0x002\n\tpopfl\n\t"
                     "pushw $0x0801\n\t"
                     "popfw\n\t"                         /* 66 9d: OF and CF */
                     "pushfl\n\t"
                     "popl %[a]\n\t"
                     : [b] "=&r"(before), [f] "=&r"(f16), [a] "=&r"(after) : : "cc", "memory");
    printf("pushfw -> %04x, popfw 0801 -> %s\n", f16 & 0xffff, fstr(after, F_ARITH));
    CHECK((f16 & 0x8d5) == 0x8d5 && (after & F_ARITH) == (F_OF | F_CF), "pushfw/popfw");

    __asm__ volatile("pushl %%ebp\n\t"
                     "movl %%esp, %%ebp\n\t"
                     "movl $0xaaaa1111, %%eax\n\tmovl $0xcccc2222, %%ecx\n\t"
                     "movl $0xdddd3333, %%edx\n\tmovl $0xbbbb4444, %%ebx\n\t"
                     "movl $0xeeee5555, %%esi\n\tmovl $0xffff6666, %%edi\n\t"
                     "pushaw\n\t"                        /* 66 60: 8 words */
                     "movl %%esp, %%eax\n\t"
                     "subl %%ebp, %%eax\n\t"
                     "movl %%eax, legacy_words\n\t"           /* depth */
                     "movw 0(%%esp), %%ax\n\tmovw %%ax, legacy_words+4\n\t"   /* di */
                     "movw 14(%%esp), %%ax\n\tmovw %%ax, legacy_words+6\n\t"  /* ax */
                     "movw $0x7777, 14(%%esp)\n\t"
                     "popaw\n\t"                         /* only AX: EAX keeps its upper half */
                     "movl %%eax, legacy_words+8\n\t"
                     "movl %%esp, %%eax\n\t"
                     "subl %%ebp, %%eax\n\t"
                     "movl %%eax, legacy_words+12\n\t"
                     "popl %%ebp"
                     : : : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
    printf("pushaw: depth %d, di=%04x ax=%04x; popaw: eax=%08x, balanced %d\n", (int32_t)words[0],
           words[1] & 0xffff, words[1] >> 16, words[2], (int32_t)words[3]);
    CHECK((int32_t)words[0] == -16 && words[1] == 0x11116666 && words[2] == 0xffff7777
          && words[3] == 0, "pushaw/popaw");
    (void)before;
}

int main(void)
{
    test_bcd();
    test_xlat_bound();
    test_16bit_stack();
    return finish("legacy");
}
