/* opsize.c - the operand-size prefix (0x66) on arithmetic, moves, stack and
 * string instructions, prefix combinations and repeats, segment-override
 * prefixes with the flat boot selectors, and the address-size prefix (0x67)
 * with 16-bit addressing.
 */
#include "../tests/common.h"

uint32_t o_buf[16];

static void show(const char *what, uint32_t got, uint32_t want)
{
    printf("%-40s %08x\n", what, got);
    CHECK(got == want, "%s: want %08x", what, want);
}

/* --------------------------------------------------- 16-bit operand size */

static void test_opsize_arith(void)
{
    uint32_t a = 0xaaaa1234, b = 0xbbbb8000, c = 0xcccc00ff, d = 0xdddd7fff, f;
    __asm__ volatile(FLAGS_IN
                     "addw %%bx, %%ax\n\t"          /* 1234 + 8000 = 9234 */
                     "adcw $0x7000, %%ax\n\t"       /* 9234 + 7000 = 0234, CF */
                     "adcw %%cx, %%bx\n\t"          /* 8000 + 00ff + 1 = 8100 */
                     "incw %%dx\n\t"                /* 66 42: 7fff -> 8000, OF */
                     "decw %%cx\n\t"                /* 66 49: 00ff -> 00fe */
                     "negw %%cx\n\t"                /* ff02 */
                     "notw %%dx\n\t"                /* 7fff */
                     "shlw $4, %%dx\n\t"            /* fff0 */
                     "rolw $8, %%cx\n\t"            /* 02ff */
                     "imulw $3, %%cx, %%cx\n\t"     /* 08fd */
                     "xchgw %%ax, %%dx\n\t"         /* 66 92 */
                     "sarw $1, %%ax\n\t"            /* fff0 -> fff8 */
                     "orw $0x0101, %%bx\n\t"        /* 8101 */
                     "andw $0x7fff, %%bx\n\t"       /* 0101 */
                     "subw $0x0102, %%bx\n\t"       /* ffff, CF SF */
                     FLAGS_OUT
                     : "+a"(a), "+b"(b), "+c"(c), "+d"(d), [fo] "=&r"(f) : [fi] "r"(0) : "cc");
    show("16-bit chain: eax", a, 0xaaaafff8);
    show("16-bit chain: ebx", b, 0xbbbbffff);
    show("16-bit chain: ecx", c, 0xcccc08fd);
    show("16-bit chain: edx", d, 0xdddd0234);
    printf("16-bit chain: flags %s\n", fstr(f, F_ARITH));
    CHECK((f & (F_CF | F_ZF | F_SF | F_OF)) == (F_CF | F_SF), "16-bit chain flags");

    /* 16-bit moves: immediates, memory, movzx of 16-bit regs, 66-prefixed push/pop */
    o_buf[0] = 0x11111111;
    uint32_t r1 = 0xffffffff, r2, r3;
    __asm__ volatile("movw $0xbeef, %w[r1]\n\t"         /* 66 b8+r */
                     "movw $0x1234, o_buf\n\t"          /* 66 c7 05 */
                     "movw %w[r1], o_buf+2\n\t"         /* 66 89 */
                     "movzwl o_buf+2, %[r2]\n\t"
                     "pushw $0x5678\n\t"                /* 66 68 */
                     "pushw o_buf\n\t"                  /* 66 ff 35 */
                     "popl %[r3]"                       /* both words at once */
                     : [r1] "+r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3) : : "memory");
    show("movw imm -> r16", r1, 0xffffbeef);
    show("movw imm/r16 -> mem", o_buf[0], 0xbeef1234);
    show("movzwl mem16", r2, 0xbeef);
    show("pushw imm16; pushw m16; popl", r3, 0x56781234);

    /* redundant and reordered prefixes */
    uint32_t x = 0x11110001, y = 0x22220002;
    __asm__ volatile(".byte 0x66, 0x66, 0x05, 0xff, 0x7f\n\t"   /* add $0x7fff, %ax (66 66) */
                     ".byte 0x66, 0x2e, 0x01, 0xc3\n\t"         /* cs add %ax, %bx (66 then 2e) */
                     ".byte 0x3e, 0x66, 0x01, 0xc3\n\t"         /* ds add %ax, %bx (3e then 66) */
                     : "+a"(x), "+b"(y) : : "cc");
    show("66 66 05 iw (add ax)", x, 0x11118000);
    show("66 2e / 3e 66 (add bx, twice)", y, 0x22220002);  /* 0002 + 8000 + 8000 = 0002 */
}

/* ------------------------------------------------ segment-override prefixes */

static uint32_t sdata[8] = { 0x01010101, 0x02020202, 0x03030303, 0x04040404,
                             0x05050505, 0x06060606, 0x07070707, 0x08080808 };

static void test_segments(void)
{
    uint32_t r[8];
    __asm__ volatile("movl %%fs:0(%[p]), %%eax\n\tmovl %%eax, 0(%[o])\n\t"
                     "movl %%gs:4(%[p]), %%eax\n\tmovl %%eax, 4(%[o])\n\t"
                     "movl %%es:8(%[p]), %%eax\n\tmovl %%eax, 8(%[o])\n\t"
                     "movl %%cs:12(%[p]), %%eax\n\tmovl %%eax, 12(%[o])\n\t"
                     "movl %%ss:16(%[p]), %%eax\n\tmovl %%eax, 16(%[o])\n\t"
                     "movl %%ds:20(%[p]), %%eax\n\tmovl %%eax, 20(%[o])\n\t"
                     "movl %%fs:sdata+24, %%eax\n\tmovl %%eax, 24(%[o])\n\t"  /* moffs + fs */
                     "movl $0x99999999, %%eax\n\t"
                     "movl %%eax, %%gs:28(%[p])\n\t"                         /* store via gs */
                     "movl %%es:28(%[p]), %%eax\n\tmovl %%eax, 28(%[o])"
                     : : [p] "r"(sdata), [o] "r"(r) : "eax", "memory");
    static const char *const seg[8] = { "fs:", "gs:", "es:", "cs:", "ss:", "ds:", "fs:moffs",
                                        "gs: store, es: load" };
    for (int i = 0; i < 8; i++) {
        char what[48];
        snprintf(what, sizeof what, "load through %s", seg[i]);
        show(what, r[i], i == 7 ? 0x99999999 : sdata[i]);
    }

    /* arithmetic with an override, ESP-based with ds:, EBP-based (default ss) */
    uint32_t v = 5, w;
    __asm__ volatile("addl $10, %%fs:(%[p])\n\t"
                     "pushl $0x77\n\t"
                     "movl %%ds:(%%esp), %[w]\n\t"
                     "addl %%gs:(%%esp), %[w]\n\t"
                     "addl $4, %%esp"
                     : [w] "=&r"(w) : [p] "r"(&v) : "cc", "memory");
    show("add to fs:mem", v, 15);
    show("ds:(%esp) + gs:(%esp)", w, 0xee);

    /* string instructions with a source override; the destination is always es: */
    static uint8_t s1[8] = { 'f', 's', '-', 'm', 'o', 'v', 's', 0 }, d1[8];
    uint32_t si = (uint32_t)s1, di = (uint32_t)d1, cx = 8, al;
    __asm__ volatile("rep movsb %%fs:(%%esi), %%es:(%%edi)"
                     : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
    printf("rep movsb fs:(esi) -> es:(edi): %s\n", (char *)d1);
    CHECK(!memcmp(s1, d1, 8), "movs with fs: source");
    si = (uint32_t)s1 + 3;
    __asm__ volatile("lodsb %%gs:(%%esi), %%al" : "=a"(al), "+S"(si) : : "memory");
    show("lodsb gs:(esi)", al & 0xff, 'm');
    si = (uint32_t)s1;
    di = (uint32_t)d1;
    cx = 8;
    uint32_t f;
    __asm__ volatile("repe cmpsb %%es:(%%edi), %%cs:(%%esi)\n\tpushfl\n\tpopl %[f]"
                     : "+S"(si), "+D"(di), "+c"(cx), [f] "=r"(f) : : "cc", "memory");
    show("repe cmpsb cs:(esi): remaining ecx", cx, 0);
    CHECK(f & F_ZF, "repe cmpsb cs: equal");

    /* segment registers through 16-bit and 32-bit moves and the stack */
    uint32_t before, after, sel16 = 0, same;
    __asm__ volatile("movl %%esp, %[b]\n\t"
                     "pushl %%ds\n\t"          /* 32-bit push of a selector: 4 bytes */
                     "popl %%eax\n\t"
                     "pushw %%ds\n\t"          /* 66 1e: 2 bytes */
                     "popw %%ax\n\t"
                     "movw %%ds, %%dx\n\t"
                     "cmpw %%ax, %%dx\n\t"
                     "sete %%cl\n\t"
                     "movzbl %%cl, %%ecx\n\t"
                     "movw %%ds, %w[s]\n\t"
                     "movw %w[s], %%es\n\t"    /* reload es with ds */
                     "pushl %%es\n\t"
                     "popl %%fs\n\t"           /* and fs from the stack */
                     "pushl %%ss\n\t"
                     "popl %%ss\n\t"
                     "movl %%esp, %[a]"
                     : [b] "=&r"(before), [a] "=&r"(after), [s] "+r"(sel16), "=&c"(same)
                     : : "eax", "edx", "cc", "memory");
    printf("push/pop of selectors: esp %s, pushw ds == mov ds: %s\n",
           before == after ? "balanced" : "UNBALANCED", same ? "yes" : "no");
    CHECK(before == after && same, "segment register push/pop");
}

/* -------------------------------------------- address size (0x67, 16-bit) */

static void test_addr16(void)
{
    uint32_t r[12];
    __asm__ volatile("pushl %%ebp\n\t"
                     "movl $0x12341000, %%ebx\n\t"    /* only BX = 0x1000 matters */
                     "movl $0x56780200, %%esi\n\t"
                     "movl $0x9abc0030, %%edi\n\t"
                     "movl $0xdef04000, %%ebp\n\t"
                     "addr16 leal (%%bx,%%si), %%eax\n\t"   "movl %%eax, 0(%[o])\n\t"
                     "addr16 leal (%%bx,%%di), %%eax\n\t"   "movl %%eax, 4(%[o])\n\t"
                     "addr16 leal 5(%%bp,%%si), %%eax\n\t"  "movl %%eax, 8(%[o])\n\t"
                     "addr16 leal -5(%%bp,%%di), %%eax\n\t" "movl %%eax, 12(%[o])\n\t"
                     "addr16 leal (%%si), %%eax\n\t"        "movl %%eax, 16(%[o])\n\t"
                     "addr16 leal 0x1234(%%di), %%eax\n\t"  "movl %%eax, 20(%[o])\n\t"
                     "addr16 leal 0x10(%%bp), %%eax\n\t"    "movl %%eax, 24(%[o])\n\t"
                     "addr16 leal (%%bx), %%eax\n\t"        "movl %%eax, 28(%[o])\n\t"
                     "addr16 leal 0x7777, %%eax\n\t"        "movl %%eax, 32(%[o])\n\t"
                     "addr16 leal 0xf000(%%bx,%%si), %%eax\n\t" "movl %%eax, 36(%[o])\n\t" /* wraps */
                     "movl $0xffffffff, %%eax\n\t"
                     "addr16 leaw 2(%%bx), %%ax\n\t"        "movl %%eax, 40(%[o])\n\t"
                     "popl %%ebp"
                     : : [o] "c"(r) : "eax", "ebx", "esi", "edi", "memory");
    static const char *const forms[11] = {
        "[bx+si]", "[bx+di]", "[bp+si+5]", "[bp+di-5]", "[si]", "[di+0x1234]", "[bp+0x10]",
        "[bx]", "[disp16]", "[bx+si+0xf000] wraps", "leaw [bx+2]" };
    static const uint32_t want[11] = { 0x1200, 0x1030, 0x4205, 0x402b, 0x0200, 0x1264, 0x4010,
                                       0x1000, 0x7777, 0x0200, 0xffff1002 };
    for (int i = 0; i < 11; i++) {
        char what[48];
        snprintf(what, sizeof what, "addr16 lea %s", forms[i]);
        show(what, r[i], want[i]);
    }

    /* a real memory access through a 16-bit address (physical 0x6000) */
    volatile uint32_t *low = (volatile uint32_t *)0x6010;
    *low = 0;
    uint32_t got;
    __asm__ volatile("movl $0x6000, %%ebx\n\t"
                     "movl $0x10, %%esi\n\t"
                     "addr16 movl $0xfeedbeef, (%%bx,%%si)\n\t"
                     "addr16 movl (%%bx,%%si), %[g]"
                     : [g] "=r"(got) : : "ebx", "esi", "memory");
    show("addr16 store/load (%bx,%si)", got, 0xfeedbeef);
    show("  seen at linear 0x6010", *low, 0xfeedbeef);

    /* loop and jcxz with 0x67 count in CX only */
    uint32_t ecx = 0x00010003, n = 0;
    __asm__ volatile("1:\n\t"
                     "incl %[n]\n\t"
                     "addr16 loop 1b"
                     : [n] "+r"(n), "+c"(ecx) : : "cc");
    printf("addr16 loop: %u iterations, ecx=%08x\n", n, ecx);
    CHECK(n == 3 && ecx == 0x00010000, "addr16 loop uses CX");
    uint32_t taken;
    __asm__ volatile("movl $1, %[t]\n\t"
                     "jcxz 1f\n\t"
                     "movl $0, %[t]\n"
                     "1:"
                     : [t] "=&r"(taken) : "c"(0x00050000));
    printf("jcxz with ecx=00050000: %s\n", taken ? "taken" : "not taken");
    CHECK(taken, "jcxz tests CX only");
}

int main(void)
{
    test_opsize_arith();
    test_segments();
    test_addr16();
    return finish("opsize");
}
