/* string.c - movs stos lods cmps scas (b, w, d) with rep / repe / repne,
 * forwards and backwards (DF=1), with ECX=0, and overlapping copies.
 * Pointers are printed as offsets into the test buffers.
 */
#include "../tests/common.h"

static uint8_t src[256], dst[256];

static uint32_t sum(const uint8_t *p, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void reset(void)
{
    for (int i = 0; i < 256; i++) {
        src[i] = (uint8_t)(i * 7 + 1);
        dst[i] = 0xee;
    }
}

static int strchr_(const char *s, char c)
{
    for (; *s; s++)
        if (*s == c) return 1;
    return 0;
}

struct regs {
    uint32_t esi, edi, ecx, eax, flags;
};

/* Run one string instruction (given as text) with the registers set up;
 * DF chosen by `down`. */
#define STR_OP(name, insn)                                                     \
    static void name(struct regs *r, int down)                                 \
    {                                                                          \
        uint32_t s = r->esi, d = r->edi, c = r->ecx, a = r->eax, f;            \
        __asm__ volatile("testl %[dn], %[dn]\n\t"                              \
                         "jz 1f\n\t"                                           \
                         "std\n"                                               \
                         "1:\n\t"                                              \
                         insn "\n\t"                                           \
                         "pushfl\n\t"                                          \
                         "popl %[f]\n\t"                                       \
                         "cld"                                                 \
                         : "+S"(s), "+D"(d), "+c"(c), "+a"(a), [f] "=&r"(f)    \
                         : [dn] "r"(down) : "cc", "memory");                   \
        r->esi = s; r->edi = d; r->ecx = c; r->eax = a; r->flags = f;          \
    }

STR_OP(movsb1, "movsb")
STR_OP(movsw1, "movsw")
STR_OP(movsd1, "movsl")
STR_OP(rep_movsb, "rep movsb")
STR_OP(rep_movsw, "rep movsw")
STR_OP(rep_movsd, "rep movsl")
STR_OP(rep_stosb, "rep stosb")
STR_OP(rep_stosw, "rep stosw")
STR_OP(rep_stosd, "rep stosl")
STR_OP(lodsb1, "lodsb")
STR_OP(lodsw1, "lodsw")
STR_OP(lodsd1, "lodsl")
STR_OP(rep_lodsb, "rep lodsb")
STR_OP(repe_cmpsb, "repe cmpsb")
STR_OP(repe_cmpsw, "repe cmpsw")
STR_OP(repe_cmpsd, "repe cmpsl")
STR_OP(repne_cmpsb, "repne cmpsb")
STR_OP(cmpsb1, "cmpsb")
STR_OP(repne_scasb, "repne scasb")
STR_OP(repe_scasb, "repe scasb")
STR_OP(repne_scasw, "repne scasw")
STR_OP(repne_scasd, "repne scasl")
STR_OP(scasb1, "scasb")
STR_OP(stosb1, "stosb")

/* regs: which pointers to print, "S" (ESI), "D" (EDI) or "SD" */
static void show(const char *what, struct regs *r, const char *regs)
{
    printf("%-26s", what);
    if (strchr_(regs, 'S'))
        printf(" esi=src%+d", (int)(r->esi - (uint32_t)src));
    if (strchr_(regs, 'D'))
        printf(" edi=dst%+d", (int)(r->edi - (uint32_t)dst));
    printf(" ecx=%u eax=%08x DF=%d dst=%08x\n", r->ecx, r->eax, !!(r->flags & F_DF), sum(dst, 256));
}

static void test_movs_stos(void)
{
    struct regs r;

    reset();
    r = (struct regs){ (uint32_t)src, (uint32_t)dst, 0, 0 };
    movsb1(&r, 0); movsw1(&r, 0); movsd1(&r, 0);
    show("movsb;movsw;movsd", &r, "SD");
    CHECK(r.esi == (uint32_t)src + 7 && r.edi == (uint32_t)dst + 7 && !memcmp(src, dst, 7), "single movs");

    reset();
    r = (struct regs){ (uint32_t)src + 100, (uint32_t)dst + 100, 0, 0 };
    movsb1(&r, 1); movsw1(&r, 1); movsd1(&r, 1);
    show("movs backwards", &r, "SD");
    CHECK(r.esi == (uint32_t)src + 93 && r.edi == (uint32_t)dst + 93, "movs DF=1 pointers");
    CHECK(dst[100] == src[100] && dst[99] == src[99] && dst[97] == src[97] && dst[96] == 0xee,
          "movs DF=1 data");

    static const uint32_t counts[] = { 0, 1, 5, 64 };
    for (unsigned i = 0; i < ARRAY_SIZE(counts); i++) {
        uint32_t n = counts[i];
        char what[40];
        reset();
        r = (struct regs){ (uint32_t)src, (uint32_t)dst, n, 0 };
        rep_movsb(&r, 0);
        snprintf(what, sizeof what, "rep movsb ecx=%u", n);
        show(what, &r, "SD");
        CHECK(r.ecx == 0 && r.esi == (uint32_t)src + n && !memcmp(src, dst, n) && dst[n] == 0xee,
              "rep movsb %u", n);
        reset();
        r = (struct regs){ (uint32_t)src, (uint32_t)dst, n, 0 };
        rep_movsw(&r, 0);
        snprintf(what, sizeof what, "rep movsw ecx=%u", n);
        show(what, &r, "SD");
        CHECK(r.ecx == 0 && r.edi == (uint32_t)dst + 2 * n && !memcmp(src, dst, 2 * n), "rep movsw %u", n);
        reset();
        r = (struct regs){ (uint32_t)src, (uint32_t)dst, n, 0 };
        rep_movsd(&r, 0);
        snprintf(what, sizeof what, "rep movsd ecx=%u", n);
        show(what, &r, "SD");
        CHECK(r.ecx == 0 && r.edi == (uint32_t)dst + 4 * n && !memcmp(src, dst, 4 * n), "rep movsd %u", n);
    }

    /* backwards block copy: ESI/EDI point at the last element */
    reset();
    r = (struct regs){ (uint32_t)src + 4 * 9, (uint32_t)dst + 4 * 9, 10, 0 };
    rep_movsd(&r, 1);
    show("rep movsd DF=1 ecx=10", &r, "SD");
    CHECK(r.esi == (uint32_t)src - 4 && !memcmp(src, dst, 40) && dst[40] == 0xee, "rep movsd DF=1");

    /* overlapping forward copy: replicates the first byte (not memmove) */
    reset();
    r = (struct regs){ (uint32_t)dst, (uint32_t)dst + 1, 20, 0 };
    dst[0] = 0x42;
    rep_movsb(&r, 0);
    show("rep movsb overlap dst+1", &r, "D");
    int rep_ok = 1;
    for (int i = 0; i <= 20; i++) rep_ok &= dst[i] == 0x42;
    CHECK(rep_ok && dst[21] == 0xee, "overlapping rep movsb works byte by byte");

    /* overlapping backward copy */
    reset();
    for (int i = 0; i < 16; i++) dst[i] = (uint8_t)i;
    r = (struct regs){ (uint32_t)dst + 15, (uint32_t)dst + 17, 16, 0 };
    rep_movsb(&r, 1);
    show("rep movsb DF=1 overlap", &r, "D");
    CHECK(dst[17] == 15 && dst[2] == 0 && dst[1] == 1 && dst[0] == 0, "overlapping rep movsb DF=1");

    for (int down = 0; down < 2; down++) {
        reset();
        uint32_t base = down ? (uint32_t)dst + 200 : (uint32_t)dst;
        r = (struct regs){ 0, base, 7, 0xa1b2c3d4 };
        rep_stosb(&r, down);
        rep_stosw((r.ecx = 5, &r), down);
        rep_stosd((r.ecx = 3, &r), down);
        stosb1(&r, down);
        show(down ? "rep stos b/w/d DF=1" : "rep stos b/w/d", &r, "D");
        CHECK(r.edi == (down ? base - 30 : base + 30), "stos pointer");
    }
    reset();
    r = (struct regs){ 0, (uint32_t)dst, 0, 0x12345678 };
    rep_stosd(&r, 0);
    show("rep stosd ecx=0", &r, "D");
    CHECK(r.edi == (uint32_t)dst && dst[0] == 0xee, "rep with ECX=0 does nothing");
}

static void test_lods(void)
{
    struct regs r;
    reset();
    r = (struct regs){ (uint32_t)src, 0, 0, 0xffffffff };
    lodsb1(&r, 0);
    show("lodsb", &r, "S");
    CHECK(r.eax == 0xffffff01, "lodsb");
    lodsw1(&r, 0);
    show("lodsw", &r, "S");
    lodsd1(&r, 0);
    show("lodsd", &r, "S");
    CHECK(r.esi == (uint32_t)src + 7, "lods pointer");
    r.esi = (uint32_t)src + 10;
    lodsd1(&r, 1);
    show("lodsd DF=1", &r, "S");
    CHECK(r.esi == (uint32_t)src + 6, "lods DF=1 pointer");
    r = (struct regs){ (uint32_t)src, 0, 10, 0 };
    rep_lodsb(&r, 0);
    show("rep lodsb ecx=10", &r, "S");
    CHECK(r.eax == src[9] && r.ecx == 0, "rep lodsb keeps the last byte");
}

static void test_cmps_scas(void)
{
    struct regs r;
    static uint8_t a[64], b[64];
    for (int i = 0; i < 64; i++) a[i] = b[i] = (uint8_t)(i + 1);
    b[37] = 0x80;

    r = (struct regs){ (uint32_t)a, (uint32_t)b, 64, 0 };
    repe_cmpsb(&r, 0);
    printf("repe cmpsb (diff at 37): stopped at %d ecx=%u %s\n", (int)(r.esi - (uint32_t)a), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.esi == (uint32_t)a + 38 && r.ecx == 26 && !(r.flags & F_ZF), "repe cmpsb");

    r = (struct regs){ (uint32_t)a, (uint32_t)b, 30, 0 };
    repe_cmpsb(&r, 0);
    printf("repe cmpsb (equal 30): stopped at %d ecx=%u %s\n", (int)(r.esi - (uint32_t)a), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.ecx == 0 && (r.flags & F_ZF), "repe cmpsb equal");

    r = (struct regs){ (uint32_t)a, (uint32_t)b, 16, 0 };
    repe_cmpsw(&r, 0);
    printf("repe cmpsw: stopped at %d ecx=%u %s\n", (int)(r.esi - (uint32_t)a), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.esi == (uint32_t)a + 32 && r.ecx == 0, "repe cmpsw");

    r = (struct regs){ (uint32_t)a, (uint32_t)b, 16, 0 };
    repe_cmpsd(&r, 0);
    printf("repe cmpsd: stopped at %d ecx=%u %s\n", (int)(r.esi - (uint32_t)a), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.esi == (uint32_t)a + 40 && r.ecx == 6 && (r.flags & F_CF), "repe cmpsd");

    r = (struct regs){ (uint32_t)a + 63, (uint32_t)b + 63, 64, 0 };
    repe_cmpsb(&r, 1);
    printf("repe cmpsb DF=1: stopped at %d ecx=%u %s\n", (int)(r.esi - (uint32_t)a), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.esi == (uint32_t)a + 36 && r.ecx == 37, "repe cmpsb DF=1");

    b[37] = a[37];
    b[5] = a[5];
    r = (struct regs){ (uint32_t)a, (uint32_t)b, 64, 0 };
    repne_cmpsb(&r, 0);
    printf("repne cmpsb (all equal): stopped at %d ecx=%u %s\n", (int)(r.esi - (uint32_t)a), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.esi == (uint32_t)a + 1 && r.ecx == 63, "repne cmpsb");

    static const uint8_t pairs[][2] = { { 1, 1 }, { 0, 1 }, { 0x80, 0x7f }, { 0x7f, 0x80 }, { 0xff, 0 } };
    for (unsigned i = 0; i < ARRAY_SIZE(pairs); i++) {
        uint8_t x = pairs[i][0], y = pairs[i][1];
        r = (struct regs){ (uint32_t)&x, (uint32_t)&y, 0, 0 };
        cmpsb1(&r, 0);
        printf("cmpsb %02x,%02x: %s\n", x, y, fstr(r.flags, F_ARITH));
        uint32_t want = (x < y ? F_CF : 0) | (x == y ? F_ZF : 0) | (((uint8_t)(x - y)) & 0x80 ? F_SF : 0)
                      | (((x ^ y) & (x ^ (uint8_t)(x - y)) & 0x80) ? F_OF : 0)
                      | (((x ^ y ^ (uint8_t)(x - y)) & 0x10) ? F_AF : 0)
                      | (parity8((uint8_t)(x - y)) ? F_PF : 0);
        CHECK((r.flags & F_ARITH) == want, "cmpsb flags");
    }

    static const char text[] = "hello, string instructions\0tail";
    r = (struct regs){ 0, (uint32_t)text, 0xffffffff, 0 };
    repne_scasb(&r, 0);
    printf("repne scasb strlen: %u (ecx=%08x) %s\n", (uint32_t)(~r.ecx - 1), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(~r.ecx - 1 == 26, "strlen via repne scasb");

    r = (struct regs){ 0, (uint32_t)text, 20, 'l' };
    repne_scasb(&r, 0);
    printf("repne scasb 'l': found at %d ecx=%u %s\n", (int)(r.edi - (uint32_t)text - 1), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.edi == (uint32_t)text + 3 && (r.flags & F_ZF), "repne scasb finds");

    r = (struct regs){ 0, (uint32_t)text + 20, 21, 'h' };
    repne_scasb(&r, 1);
    printf("repne scasb 'h' DF=1: found at %d ecx=%u %s\n", (int)(r.edi - (uint32_t)text + 1), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.edi == (uint32_t)text - 1 && r.ecx == 0 && (r.flags & F_ZF), "repne scasb DF=1");

    static const uint8_t zeros[] = { 0, 0, 0, 0, 0, 9, 0 };
    r = (struct regs){ 0, (uint32_t)zeros, 7, 0 };
    repe_scasb(&r, 0);
    printf("repe scasb zeros: stopped at %d ecx=%u %s\n", (int)(r.edi - (uint32_t)zeros - 1), r.ecx,
           fstr(r.flags, F_ARITH));
    CHECK(r.edi == (uint32_t)zeros + 6 && r.ecx == 1, "repe scasb");

    static const uint16_t words[] = { 1, 2, 3, 0xbeef, 5 };
    r = (struct regs){ 0, (uint32_t)words, 5, 0xffffbeef };
    repne_scasw(&r, 0);
    printf("repne scasw: stopped at word %d ecx=%u %s\n", (int)(r.edi - (uint32_t)words) / 2 - 1,
           r.ecx, fstr(r.flags, F_ARITH));
    CHECK(r.edi == (uint32_t)(words + 4) && r.ecx == 1, "repne scasw");

    static const uint32_t dwords[] = { 1, 2, 3, 4, 5 };
    r = (struct regs){ 0, (uint32_t)dwords, 5, 99 };
    repne_scasd(&r, 0);
    printf("repne scasd (absent): ecx=%u %s\n", r.ecx, fstr(r.flags, F_ARITH));
    CHECK(r.ecx == 0 && !(r.flags & F_ZF), "repne scasd not found");

    uint8_t v = 0x30;
    r = (struct regs){ 0, (uint32_t)&v, 0, 0x31 };
    scasb1(&r, 0);
    printf("scasb al=31 [30]: %s\n", fstr(r.flags, F_ARITH));

    /* ECX = 0: nothing happens, flags unchanged */
    uint32_t f;
    uint32_t c = 0, s = (uint32_t)a, d = (uint32_t)b;
    __asm__ volatile("pushl %[fi]\n\tpopfl\n\trepe cmpsb\n\tpushfl\n\tpopl %[f]"
                     : "+S"(s), "+D"(d), "+c"(c), [f] "=&r"(f) : [fi] "i"(F_ARITH) : "cc", "memory");
    printf("repe cmpsb ecx=0: esi+%d edi+%d %s\n", (int)(s - (uint32_t)a), (int)(d - (uint32_t)b),
           fstr(f, F_ARITH));
    CHECK(s == (uint32_t)a && d == (uint32_t)b && (f & F_ARITH) == F_ARITH, "rep cmps with ECX=0");
}

int main(void)
{
    test_movs_stos();
    test_lods();
    test_cmps_scas();
    return finish("string");
}
