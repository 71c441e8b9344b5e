/* mov.c - mov (register, memory, immediate, moffs, high-byte registers),
 * movzx/movsx, cmovcc, xchg, bswap and lea with every address form.
 *
 * None of these instructions touches the flags: every block runs with
 * the flags set to a marker value and checks they survive.
 */
#include "../tests/common.h"

#define FMARK (F_CF | F_ZF | F_OF | F_AF)   /* flags preset around every block */

static uint32_t gvar32 = 0x11223344;
static uint16_t gvar16 = 0x5566;
static uint8_t gvar8 = 0x77;
static uint32_t table[16];
__attribute__((used)) static uint32_t xchg_out[7];
static uint32_t fl;          /* flags out of the big asm blocks (absolute address) */

static void show(const char *what, uint32_t got, uint32_t want)
{
    printf("%-34s %08x\n", what, got);
    CHECK(got == want, "%s: want %08x", what, want);
}

static void flags_kept(const char *what, uint32_t f)
{
    CHECK((f & F_ARITH) == FMARK, "%s changed the flags: %s", what, fstr(f, F_ARITH));
}

/* -------------------------------------------------------------------- mov */

static void test_mov(void)
{
    uint32_t a, b, c, d, f;

    /* immediates into registers, every size, including AH..BH */
    __asm__ volatile(FLAGS_IN
                     "movl $0x12345678, %%eax\n\t"
                     "movl $0x9abcdef0, %%ebx\n\t"
                     "movl $0x0badf00d, %%ecx\n\t"
                     "movl $0xcafebabe, %%edx\n\t"
                     "movw $0x4321, %%ax\n\t"
                     "movb $0x55, %%bl\n\t"
                     "movb $0x66, %%bh\n\t"
                     "movb $0x77, %%ch\n\t"
                     "movb $0x88, %%dh\n\t"
                     "movb $0x99, %%ah" FLAGS_OUT
                     : "=&a"(a), "=&b"(b), "=&c"(c), "=&d"(d), [fo] "=m"(fl)
                     : [fi] "i"(FMARK) : "cc");
    show("mov imm -> eax/ax/ah", a, 0x12349921);
    show("mov imm -> ebx/bl/bh", b, 0x9abc6655);
    show("mov imm -> ecx/ch", c, 0x0bad770d);
    show("mov imm -> edx/dh", d, 0xcafe88be);
    f = fl; flags_kept("mov imm", f);

    /* register to register, all sizes and high bytes, both directions */
    __asm__ volatile(FLAGS_IN
                     "movl $0x11111111, %%eax\n\t"
                     "movl $0xaabbccdd, %%ebx\n\t"
                     "movl %%ebx, %%ecx\n\t"           /* 89 */
                     "%{load%} movl %%ebx, %%edx\n\t"    /* 8B */
                     "movw %%bx, %%ax\n\t"
                     "movb %%bh, %%al\n\t"
                     "movb %%bl, %%ah\n\t"
                     "%{load%} movb %%bh, %%ch\n\t"
                     "movb %%ah, %%dh" FLAGS_OUT
                     : "=&a"(a), "=&b"(b), "=&c"(c), "=&d"(d), [fo] "=m"(fl)
                     : [fi] "i"(FMARK) : "cc");
    show("mov reg -> reg (ax, al<-bh, ah<-bl)", a, 0x1111ddcc);
    show("mov reg -> reg (ecx, ch<-bh)", c, 0xaabbccdd);
    show("mov reg -> reg (edx, dh<-ah)", d, 0xaabbdddd);
    f = fl; flags_kept("mov reg", f);

    /* moffs forms (A0-A3) and their ModRM equivalents */
    gvar32 = 0x11223344; gvar16 = 0x5566; gvar8 = 0x77;
    __asm__ volatile(FLAGS_IN
                     "movl $0xffffffff, %%eax\n\t"
                     "movb gvar8, %%al\n\t"            /* A0 */
                     "movl %%eax, %%ebx\n\t"
                     "movw gvar16, %%ax\n\t"           /* A1 with 66 */
                     "movl %%eax, %%ecx\n\t"
                     "movl gvar32, %%eax\n\t"          /* A1 */
                     "movl %%eax, %%edx\n\t"
                     "movl $0xa1b2c3d4, %%eax\n\t"
                     "movl %%eax, gvar32\n\t"          /* A3 */
                     "movw %%ax, gvar16\n\t"           /* A3 with 66 */
                     "movb %%al, gvar8" FLAGS_OUT       /* A2 */
                     : "=&a"(a), "=&b"(b), "=&c"(c), "=&d"(d), [fo] "=m"(fl)
                     : [fi] "i"(FMARK) : "cc", "memory");
    show("mov moffs8 -> al", b, 0xffffff77);
    show("mov moffs16 -> ax", c, 0xffff5566);
    show("mov moffs32 -> eax", d, 0x11223344);
    show("mov eax -> moffs32", gvar32, 0xa1b2c3d4);
    show("mov ax -> moffs16", gvar16, 0xc3d4);
    show("mov al -> moffs8", gvar8, 0xd4);
    f = fl; flags_kept("mov moffs", f);

    /* ModRM absolute (mod=00 rm=101) with a non-accumulator register */
    d = 0x55550000;
    __asm__ volatile(FLAGS_IN
                     "movl gvar32, %%ecx\n\t"
                     "movw gvar16, %%dx\n\t"
                     "movb gvar8, %%dh\n\t"
                     "movl $0x01020304, %%ebx\n\t"
                     "movl %%ebx, gvar32" FLAGS_OUT
                     : "=&b"(b), "=&c"(c), "+d"(d), [fo] "=m"(fl)
                     : [fi] "i"(FMARK) : "cc", "memory");
    show("mov abs32 -> ecx", c, 0xa1b2c3d4);
    show("mov abs16/abs8 -> dx/dh", d, 0x5555d4d4);
    show("mov ebx -> abs32", gvar32, 0x01020304);
    f = fl; flags_kept("mov abs", f);

    /* immediates to memory (C6/C7), all sizes */
    for (int i = 0; i < 16; i++) table[i] = 0;
    __asm__ volatile(FLAGS_IN
                     "movl $0xdeadbeef, (%[t])\n\t"
                     "movw $0x1234, 4(%[t])\n\t"
                     "movb $0x56, 6(%[t])\n\t"
                     "movb $0x9a, 7(%[t])\n\t"
                     "movl $-1, 8(%[t],%[i],4)" FLAGS_OUT
                     : [fo] "=m"(fl)
                     : [t] "r"(table), [i] "r"(2), [fi] "i"(FMARK) : "cc", "memory");
    show("mov imm32 -> mem", table[0], 0xdeadbeef);
    show("mov imm16/imm8 -> mem", table[1], 0x9a561234);
    show("mov imm32 -> mem[base+idx*4+8]", table[4], 0xffffffff);
    f = fl; flags_kept("mov imm mem", f);

    /* register <-> memory, all sizes, high-byte registers */
    table[0] = 0x8899aabb;
    b = 0x12340000;
    c = 0x56780000;
    __asm__ volatile(FLAGS_IN
                     "movl (%[t]), %%eax\n\t"
                     "movl %%eax, 4(%[t])\n\t"
                     "movw 2(%[t]), %%bx\n\t"
                     "movw %%bx, 8(%[t])\n\t"
                     "movb 1(%[t]), %%ch\n\t"
                     "movb 3(%[t]), %%cl\n\t"
                     "movb %%ch, 12(%[t])\n\t"
                     "movb %%cl, 13(%[t])\n\t"
                     "movb %%ah, 14(%[t])\n\t"
                     "movb %%al, 15(%[t])" FLAGS_OUT
                     : "=&a"(a), "+b"(b), "+c"(c), [fo] "=m"(fl)
                     : [t] "r"(table), [fi] "i"(FMARK)
                     : "cc", "memory");
    show("mov mem32 -> eax", a, 0x8899aabb);
    show("mov eax -> mem32", table[1], 0x8899aabb);
    show("mov mem16 -> bx", b, 0x12348899);
    show("mov mem8 -> ch/cl", c, 0x5678aa88);
    show("mov bx -> mem16", table[2] & 0xffff, 0x8899);
    show("mov ch,cl,ah,al -> mem8", table[3], 0xbbaa88aa);
    f = fl; flags_kept("mov reg/mem", f);
}

/* ------------------------------------------------------------ movzx/movsx */

static void test_movx(void)
{
    static const uint32_t vals[] = { 0x00, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x12345678 };
    for (unsigned i = 0; i < ARRAY_SIZE(vals); i++) {
        uint32_t v = vals[i], r[10], f;
        volatile uint32_t m = v;
        __asm__ volatile(FLAGS_IN "movzbl %b[v], %[r]" FLAGS_OUT
                         : [r] "=&r"(r[0]), [fo] "=&r"(f) : [v] "q"(v), [fi] "i"(FMARK) : "cc");
        flags_kept("movzx", f);
        __asm__ volatile(FLAGS_IN "movsbl %b[v], %[r]" FLAGS_OUT
                         : [r] "=&r"(r[1]), [fo] "=&r"(f) : [v] "q"(v), [fi] "i"(FMARK) : "cc");
        flags_kept("movsx", f);
        __asm__ volatile("movzwl %w[v], %[r]" : [r] "=r"(r[2]) : [v] "r"(v));
        __asm__ volatile("movswl %w[v], %[r]" : [r] "=r"(r[3]) : [v] "r"(v));
        r[4] = r[5] = 0xeeeeeeee;
        __asm__ volatile("movzbw %b[v], %w[r]" : [r] "+r"(r[4]) : [v] "q"(v));
        __asm__ volatile("movsbw %b[v], %w[r]" : [r] "+r"(r[5]) : [v] "q"(v));
        __asm__ volatile("movzbl (%[p]), %[r6]\n\t"
                         "movsbl (%[p]), %[r7]\n\t"
                         "movzwl (%[p]), %[r8]\n\t"
                         "movswl (%[p]), %[r9]"
                         : [r6] "=&r"(r[6]), [r7] "=&r"(r[7]), [r8] "=&r"(r[8]), [r9] "=&r"(r[9])
                         : [p] "r"(&m) : "memory");
        uint32_t x = v << 8, hz, hs;
        __asm__ volatile("movzbl %h[x], %[z]\n\tmovsbl %h[x], %[s]"
                         : [z] "=&r"(hz), [s] "=&r"(hs) : [x] "Q"(x));
        printf("movx %08x: zb=%08x sb=%08x zw=%08x sw=%08x zbw=%08x sbw=%08x\n", v, r[0], r[1],
               r[2], r[3], r[4], r[5]);
        CHECK_EQ(r[0], v & 0xff, "movzbl");
        CHECK_EQ(r[1], (uint32_t)(int32_t)(int8_t)v, "movsbl");
        CHECK_EQ(r[2], v & 0xffff, "movzwl");
        CHECK_EQ(r[3], (uint32_t)(int32_t)(int16_t)v, "movswl");
        CHECK_EQ(r[4], 0xeeee0000 | (v & 0xff), "movzbw");
        CHECK_EQ(r[5], 0xeeee0000 | (uint16_t)(int16_t)(int8_t)v, "movsbw");
        CHECK(r[6] == r[0] && r[7] == r[1] && r[8] == r[2] && r[9] == r[3], "movzx/movsx memory forms");
        CHECK(hz == r[0] && hs == r[1], "movzx/movsx from AH..BH");
    }
}

/* ----------------------------------------------------------------- cmovcc */

#define CMOV32(cc)                                                             \
    __asm__ volatile(FLAGS_IN "cmov" #cc "l %[s], %[d]\n\t"                   \
                     "cmov" #cc "l (%[p]), %[dm]\n\t"                          \
                     "cmov" #cc "w %w[s], %w[dw]" FLAGS_OUT                    \
                     : [d] "+r"(d), [dm] "+r"(dm), [dw] "+r"(dw), [fo] "=&r"(fo) \
                     : [s] "r"(src), [p] "r"(&msrc), [fi] "g"(fin) : "cc", "memory"); \
    res[k] = d == src && dm == src && dw == (0x22220000 | (src & 0xffff)) ? 1 \
           : d == 0x11111111 && dm == 0x11111111 && dw == 0x22222222 ? 0 : 9; \
    CHECK((fo & F_ARITH) == (fin & F_ARITH), "cmov" #cc " changed flags");     \
    d = dm = 0x11111111; dw = 0x22222222; k++;

static void test_cmov(void)
{
    puts("cmov conditions: o no b ae e ne be a s ns p np l ge le g");
    for (int combo = 0; combo < 32; combo++) {
        uint32_t fin = (combo & 1 ? F_CF : 0) | (combo & 2 ? F_PF : 0) | (combo & 4 ? F_ZF : 0)
                     | (combo & 8 ? F_SF : 0) | (combo & 16 ? F_OF : 0);
        uint32_t d = 0x11111111, dm = 0x11111111, dw = 0x22222222, fo, src = 0xabcd1234;
        volatile uint32_t msrc = src;
        int res[16], k = 0;
        CMOV32(o) CMOV32(no) CMOV32(b) CMOV32(ae) CMOV32(e) CMOV32(ne) CMOV32(be) CMOV32(a)
        CMOV32(s) CMOV32(ns) CMOV32(p) CMOV32(np) CMOV32(l) CMOV32(ge) CMOV32(le) CMOV32(g)
        char line[17];
        for (int i = 0; i < 16; i++) {
            line[i] = (char)('0' + res[i]);
            CHECK(res[i] == cond_of(i, fin), "cmov cond %d flags %s", i, fstr(fin, F_ARITH));
        }
        line[16] = 0;
        printf("cmov flags %s: %s\n", fstr(fin, F_CF | F_PF | F_ZF | F_SF | F_OF), line);
    }
}

/* ------------------------------------------------------------ xchg, bswap */

static void test_xchg(void)
{
    uint32_t a = 0x11111111, b = 0x22222222, c = 0x33333333, d = 0x44444444, f;
    volatile uint32_t m = 0x55555555;
    __asm__ volatile(FLAGS_IN
                     "xchgl %%eax, %%ebx\n\t"          /* 93: short form */
                     "xchgl %%ecx, %%edx\n\t"          /* 87 */
                     "xchgl %%ecx, (%[p])\n\t"         /* memory (implicitly locked) */
                     "xchgw %%ax, %%dx\n\t"
                     "xchgb %%bl, %%bh\n\t"
                     "xchgb %%ah, %%cl" FLAGS_OUT
                     : "+a"(a), "+b"(b), "+c"(c), "+d"(d), [fo] "=m"(fl)
                     : [p] "r"(&m), [fi] "i"(FMARK) : "cc", "memory");
    show("xchg -> eax", a, 0x22225533);
    show("xchg -> ebx", b, 0x11111111);
    show("xchg -> ecx", c, 0x55555533);
    show("xchg -> edx", d, 0x33332222);
    show("xchg -> mem", m, 0x44444444);
    f = fl; flags_kept("xchg", f);

    /* xchg with each register in the short (90+r) form, via eax */
    __asm__ volatile("pushl %%ebp\n\t"
                     "movl $0xa0, %%eax\n\tmovl $0xc1, %%ecx\n\tmovl $0xd2, %%edx\n\t"
                     "movl $0xb3, %%ebx\n\tmovl $0xe5, %%ebp\n\tmovl $0xf6, %%esi\n\t"
                     "movl $0x07, %%edi\n\t"
                     "xchgl %%eax, %%ecx\n\t"   /* 91 */
                     "xchgl %%eax, %%edx\n\t"   /* 92 */
                     "xchgl %%eax, %%ebx\n\t"   /* 93 */
                     "xchgl %%eax, %%ebp\n\t"   /* 95 */
                     "xchgl %%eax, %%esi\n\t"   /* 96 */
                     "xchgl %%eax, %%edi\n\t"   /* 97 */
                     "movl %%eax, xchg_out\n\tmovl %%ecx, xchg_out+4\n\tmovl %%edx, xchg_out+8\n\t"
                     "movl %%ebx, xchg_out+12\n\tmovl %%ebp, xchg_out+16\n\tmovl %%esi, xchg_out+20\n\t"
                     "movl %%edi, xchg_out+24\n\t"
                     "popl %%ebp"
                     : : : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
    const uint32_t *o = xchg_out;
    printf("xchg chain: eax=%x ecx=%x edx=%x ebx=%x ebp=%x esi=%x edi=%x\n", o[0], o[1], o[2],
           o[3], o[4], o[5], o[6]);
    CHECK(o[0] == 0x07 && o[1] == 0xa0 && o[2] == 0xc1 && o[3] == 0xd2 && o[4] == 0xb3
          && o[5] == 0xe5 && o[6] == 0xf6, "xchg chain");
}

static void test_bswap(void)
{
    uint32_t r[7];
    __asm__ volatile("pushl %%ebp\n\t"
                     "movl $0x00112233, %%eax\n\tbswap %%eax\n\tmovl %%eax, 0(%[o])\n\t"
                     "movl $0x44556677, %%ebx\n\tbswap %%ebx\n\tmovl %%ebx, 4(%[o])\n\t"
                     "movl $0x8899aabb, %%ecx\n\tbswap %%ecx\n\tmovl %%ecx, 8(%[o])\n\t"
                     "movl $0xccddeeff, %%edx\n\tbswap %%edx\n\tmovl %%edx, 12(%[o])\n\t"
                     "movl $0x01234567, %%esi\n\tbswap %%esi\n\tmovl %%esi, 16(%[o])\n\t"
                     "movl $0x89abcdef, %%ebp\n\tbswap %%ebp\n\tmovl %%ebp, 20(%[o])\n\t"
                     "movl %[o], %%eax\n\t"
                     "movl $0x80000001, %%edi\n\tbswap %%edi\n\tmovl %%edi, 24(%%eax)\n\t"
                     "popl %%ebp"
                     : : [o] "D"(r) : "eax", "ebx", "ecx", "edx", "esi", "memory");
    static const uint32_t want[7] = { 0x33221100, 0x77665544, 0xbbaa9988, 0xffeeddcc,
                                      0x67452301, 0xefcdab89, 0x01000080 };
    static const char *const regs[7] = { "eax", "ebx", "ecx", "edx", "esi", "ebp", "edi" };
    for (int i = 0; i < 7; i++) {
        char what[24];
        snprintf(what, sizeof what, "bswap %s", regs[i]);
        show(what, r[i], want[i]);
    }
}

/* -------------------------------------------------------------------- lea */

/* lea with fixed registers, so that every base (including ESP and EBP) and
 * every index register appears at least once. */
static void test_lea(void)
{
    uint32_t r[21], esp_now, f;
    __asm__ volatile(FLAGS_IN
                     "pushl %%ebp\n\t"
                     "movl $0x1000, %%eax\n\tmovl $0x2000, %%ecx\n\tmovl $0x3000, %%edx\n\t"
                     "movl $0x10, %%ebx\n\tmovl $0x20, %%esi\n\tmovl $0x40000, %%ebp\n\t"
                     "pushl %%edi\n\t"                               /* output pointer */
                     "movl $0x50, %%edi\n\t"
                     "leal 0x12345678, %%edi\n\t"      "movl (%%esp), %%ebx\n\t"  "movl %%edi, 0(%%ebx)\n\t"
                     "movl $0x10, %%ebx\n\t"
                     "leal (%%eax), %%edi\n\t"         "pushl %%edi\n\t"
                     "leal 0x7f(%%ecx), %%edi\n\t"     "pushl %%edi\n\t"
                     "leal -0x80(%%edx), %%edi\n\t"    "pushl %%edi\n\t"
                     "leal 0x12345(%%ebx), %%edi\n\t"  "pushl %%edi\n\t"
                     "leal (%%ebp), %%edi\n\t"         "pushl %%edi\n\t"   /* mod=01 disp8=0 */
                     "leal 8(%%esp), %%edi\n\t"        "pushl %%edi\n\t"   /* SIB base=esp */
                     "leal (%%eax,%%ebx), %%edi\n\t"   "pushl %%edi\n\t"
                     "leal (%%ecx,%%esi,2), %%edi\n\t" "pushl %%edi\n\t"
                     "leal 4(%%edx,%%ebp,4), %%edi\n\t" "pushl %%edi\n\t"
                     "leal -0x1000(%%ebp,%%eax,8), %%edi\n\t" "pushl %%edi\n\t"
                     "leal 0x40(,%%esi,8), %%edi\n\t"  "pushl %%edi\n\t"
                     "leal (,%%ecx,1), %%edi\n\t"      "pushl %%edi\n\t"
                     ".byte 0x8d, 0x7c, 0x20, 0x10\n\t"   /* lea 0x10(%%eax, no index), %%edi */
                      "pushl %%edi\n\t"
                     "leal -1(%%ebx,%%ebx,2), %%edi\n\t" "pushl %%edi\n\t"
                     "leal 0xffffffff(%%eax), %%edi\n\t" "pushl %%edi\n\t"
                     "leal 0x100(%%esp,%%esi,4), %%edi\n\t" "pushl %%edi\n\t"
                     ".byte 0x8d, 0x3c, 0x64\n\t"   /* lea (%%esp, no index, scale 2), %%edi */
                      "pushl %%edi\n\t"
                     "movl %%esp, %%edi\n\t"           "pushl %%edi\n\t"
                     "leaw 2(%%eax,%%ebx,2), %%di\n\t" "pushl %%edi\n\t"   /* 16-bit operand */
                     "pushfl\n\t"
                     /* copy the 20 pushed values into r[1..20] (in push order) */
                     "movl 20*4(%%esp), %%ebx\n\t"
                     "movl $20, %%ecx\n"
                     "1:\n\t"
                     "popl %%eax\n\t"
                     "movl %%eax, (%%ebx,%%ecx,4)\n\t"
                     "decl %%ecx\n\t"
                     "jnz 1b\n\t"
                     "popl %%edi\n\t"
                     "movl %%esp, %%eax\n\t"
                     "popl %%ebp"
                     : "=&a"(esp_now)
                     : "D"(r), [fi] "i"(FMARK) : "ebx", "ecx", "edx", "esi", "cc", "memory");
    f = r[20];
    /* esp_now is ESP after "pushl %ebp"; the k-th value was computed with
     * ESP = esp_now - 4 * k (EDI and k-1 values pushed since). ESP-relative
     * results are printed as offsets from esp_now. */
    const struct { const char *what; uint32_t want; } w[20] = {
        { "lea disp32", 0x12345678 },
        { "lea [eax]", 0x1000 },
        { "lea [ecx+disp8]", 0x207f },
        { "lea [edx-disp8]", 0x2f80 },
        { "lea [ebx+disp32]", 0x12355 },
        { "lea [ebp] (mod=01)", 0x40000 },
        { "lea [esp+8] (SIB)", 0 },
        { "lea [eax+ebx]", 0x1010 },
        { "lea [ecx+esi*2]", 0x2040 },
        { "lea [edx+ebp*4+4]", 0x103004 },
        { "lea [ebp+eax*8-0x1000]", 0x47000 },
        { "lea [esi*8+0x40]", 0x140 },
        { "lea [ecx*1] (no base)", 0x2000 },
        { "lea [eax+0x10] (SIB, no index)", 0x1010 },
        { "lea [ebx+ebx*2-1]", 0x2f },
        { "lea [eax-1] (disp32)", 0xfff },
        { "lea [esp+esi*4+0x100]", 0 },
        { "lea [esp] (SIB, no index, s=2)", 0 },
        { "mov esp", 0 },
        { "leaw [eax+ebx*2+2] (16-bit)", 0 },
    };
    for (int k = 0; k < 20; k++) {
        uint32_t want = w[k].want, sp_at = esp_now - 4 * k;
        if (k == 6) want = sp_at + 8;
        if (k == 16) want = sp_at + 0x80 + 0x100;
        if (k == 17 || k == 18) want = sp_at;
        if (k == 6 || k == 16 || k == 17 || k == 18) {
            printf("%-34s esp%+d\n", w[k].what, (int)(r[k] - esp_now));
            CHECK(r[k] == want, "%s: got %08x want %08x", w[k].what, r[k], want);
        } else if (k == 19) {
            printf("%-34s %04x\n", w[k].what, r[k] & 0xffff);
            CHECK((r[k] & 0xffff) == 0x1022, "leaw low half");
            CHECK((r[k] >> 16) == (r[18] >> 16), "leaw keeps the upper half of EDI");
        } else {
            show(w[k].what, r[k], want);
        }
    }
    flags_kept("lea", f);
}

int main(void)
{
    test_mov();
    test_movx();
    test_cmov();
    test_xchg();
    test_bswap();
    test_lea();
    return finish("mov");
}
