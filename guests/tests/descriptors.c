/* descriptors.c - the sensitive instructions that reveal or depend on
 * descriptor state: SMSW, SLDT/LLDT, STR/LTR, LAR, LSL, VERR, VERW, ARPL,
 * PUSH CS; and segments whose base is not zero (GDT and LDT), used through
 * FS, GS, ES (string stores) and DS (implicit accesses).
 *
 * All descriptors are created with the accessed bit already set, so the
 * values LAR returns do not depend on whether a CPU sets that bit.
 */
#include "../tests/common.h"

static uint64_t gdt[10] __attribute__((aligned(8)));
static uint64_t ldt[2] __attribute__((aligned(8)));
static uint32_t tss[26];
static uint32_t buf1[16], buf2[16], buf3[16];

static uint64_t desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16
           | (uint64_t)(access & 0xff) << 40 | (uint64_t)((limit >> 16) & 0xf) << 48
           | (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

enum {
    SEL_CODE = 0x08, SEL_DATA = 0x10, SEL_BASE1 = 0x18, SEL_RODATA = 0x20, SEL_XCODE = 0x28,
    SEL_LDT = 0x30, SEL_TSS = 0x38, SEL_DPL3 = 0x40, SEL_NP = 0x48,
    SEL_LDT0 = 0x04,              /* LDT entry 0, TI=1, RPL 0 */
};

static void setup(void)
{
    gdt[1] = desc(0, 0xfffff, 0x9b, 0xc);                 /* code, readable, accessed */
    gdt[2] = desc(0, 0xfffff, 0x93, 0xc);                 /* data, writable, accessed */
    gdt[3] = desc((uint32_t)buf1, 63, 0x93, 0x4);         /* data at buf1, byte limit 63 */
    gdt[4] = desc(0, 0x1234, 0x91, 0x4);                  /* read-only data, limit 0x1234 */
    gdt[5] = desc(0, 0xfffff, 0x99, 0xc);                 /* execute-only code */
    gdt[6] = desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0x0); /* LDT */
    gdt[7] = desc((uint32_t)tss, sizeof tss - 1, 0x89, 0x0); /* available 32-bit TSS */
    gdt[8] = desc(0, 0xfffff, 0xf3, 0xc);                 /* data, DPL 3 */
    gdt[9] = desc(0, 0xfffff, 0x13, 0xc);                 /* data, not present */
    ldt[0] = desc((uint32_t)buf2, 63, 0x93, 0x4);         /* LDT data at buf2 */
    ldt[1] = desc((uint32_t)buf3, 63, 0x93, 0x4);
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } d = { sizeof gdt - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp $0x08, $1f\n"
                     "1:\n\t"
                     "movw $0x10, %%ax\n\tmovw %%ax, %%ds\n\tmovw %%ax, %%es\n\t"
                     "movw %%ax, %%fs\n\tmovw %%ax, %%gs\n\tmovw %%ax, %%ss"
                     : : "m"(d) : "eax", "memory");
    for (int i = 0; i < 16; i++) {
        buf1[i] = 0x11110000 + i;
        buf2[i] = 0x22220000 + i;
        buf3[i] = 0x33330000 + i;
    }
}

static void test_smsw_sldt_str(void)
{
    uint32_t msw = 0xffff0000;
    uint16_t mmsw = 0;
    __asm__ volatile("smsw %w0" : "+r"(msw));
    __asm__ volatile("smsw %0" : "=m"(mmsw));
    printf("smsw: PE=%u (register and memory forms agree: %s)\n", msw & 1,
           (msw & 0xffff) == mmsw ? "yes" : "no");
    CHECK((msw & 1) && (msw & 0xffff) == mmsw, "smsw");

    uint16_t ldtr = 0xffff, tr = 0xffff;
    __asm__ volatile("lldt %w0" : : "r"(SEL_LDT));
    __asm__ volatile("sldt %w0" : "=r"(ldtr));
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
    __asm__ volatile("str %w0" : "=r"(tr));
    printf("lldt/sldt: %#04x, ltr/str: %#04x\n", ldtr, tr);
    CHECK(ldtr == SEL_LDT && tr == SEL_TSS, "sldt/str");

    uint32_t cs = 0;
    __asm__ volatile("pushl %%cs\n\tpopl %0" : "=r"(cs));
    printf("push cs: %#04x\n", cs & 0xffff);
    CHECK((cs & 0xffff) == SEL_CODE, "push cs");
}

static void test_lar_lsl_verr(void)
{
    static const struct { uint16_t sel; const char *what; } sels[] = {
        { 0x00, "null" }, { SEL_CODE, "code" }, { SEL_DATA, "data" }, { SEL_BASE1, "data@buf1" },
        { SEL_RODATA, "read-only" }, { SEL_XCODE, "exec-only" }, { SEL_LDT, "LDT" },
        { SEL_TSS, "TSS (busy)" }, { SEL_DPL3, "DPL3 data" }, { SEL_NP, "not present" },
        { SEL_LDT0, "LDT entry 0" }, { 0x50, "beyond GDT" }, { 0x14, "beyond LDT" },
    };
    puts("selector     lar(ZF,rights)  lsl(ZF,limit)  verr verw");
    for (unsigned i = 0; i < ARRAY_SIZE(sels); i++) {
        uint32_t sel = sels[i].sel, ar = 0xdeadbeef, lim = 0xdeadbeef, f1, f2, f3, f4;
        __asm__ volatile("larl %[s], %[r]\n\tpushfl\n\tpopl %[f]"
                         : [r] "+r"(ar), [f] "=r"(f1) : [s] "r"(sel) : "cc");
        __asm__ volatile("lsll %[s], %[r]\n\tpushfl\n\tpopl %[f]"
                         : [r] "+r"(lim), [f] "=r"(f2) : [s] "r"(sel) : "cc");
        __asm__ volatile("verr %w[s]\n\tpushfl\n\tpopl %[f]" : [f] "=r"(f3) : [s] "r"(sel) : "cc");
        __asm__ volatile("verw %w[s]\n\tpushfl\n\tpopl %[f]" : [f] "=r"(f4) : [s] "r"(sel) : "cc");
        /* LAR: bits 16-19 of the result are undefined (the limit's top bits) */
        printf("0x%04x %-12s %d %08x      %d %08x     %d    %d\n", sel, sels[i].what,
               !!(f1 & F_ZF), f1 & F_ZF ? ar & 0x00f0ff00 : 0, !!(f2 & F_ZF), f2 & F_ZF ? lim : 0,
               !!(f3 & F_ZF), !!(f4 & F_ZF));
        if (!(f1 & F_ZF)) CHECK(ar == 0xdeadbeef, "lar with ZF=0 leaves the destination");
    }
    /* a few hard facts */
    uint32_t ar, lim, f;
    __asm__ volatile("larl %[s], %[r]\n\tpushfl\n\tpopl %[f]" : [r] "=r"(ar), [f] "=r"(f) : [s] "r"(SEL_DATA) : "cc");
    CHECK((f & F_ZF) && (ar & 0x00f0ff00) == 0x00c09300, "lar data");
    __asm__ volatile("lsll %[s], %[r]\n\tpushfl\n\tpopl %[f]" : [r] "=r"(lim), [f] "=r"(f) : [s] "r"(SEL_RODATA) : "cc");
    CHECK((f & F_ZF) && lim == 0x1234, "lsl byte granular");
    __asm__ volatile("lsll %[s], %[r]\n\tpushfl\n\tpopl %[f]" : [r] "=r"(lim), [f] "=r"(f) : [s] "r"(SEL_CODE) : "cc");
    CHECK((f & F_ZF) && lim == 0xffffffff, "lsl page granular");
}

static void test_arpl(void)
{
    static const uint16_t pairs[][2] = { { 0x10, 0x03 }, { 0x13, 0x01 }, { 0x11, 0x12 }, { 0x12, 0x12 } };
    for (unsigned i = 0; i < ARRAY_SIZE(pairs); i++) {
        uint32_t d = 0xabcd0000 | pairs[i][0], f;
        __asm__ volatile("arpl %w[s], %w[d]\n\tpushfl\n\tpopl %[f]"
                         : [d] "+r"(d), [f] "=r"(f) : [s] "r"((uint32_t)pairs[i][1]) : "cc");
        printf("arpl dst=%04x src=%04x -> %04x ZF=%d\n", pairs[i][0], pairs[i][1], d & 0xffff, !!(f & F_ZF));
        int adjust = (pairs[i][0] & 3) < (pairs[i][1] & 3);
        CHECK((d & 0xffff) == (adjust ? (pairs[i][0] & ~3) | (pairs[i][1] & 3) : pairs[i][0])
              && !!(f & F_ZF) == adjust && (d >> 16) == 0xabcd, "arpl");
    }
}

static void test_bases(void)
{
    uint32_t a, b, c;
    /* FS from the GDT (base buf1), GS from the LDT (base buf2) */
    __asm__ volatile("movw %w[s1], %%fs\n\tmovw %w[s2], %%gs"
                     : : [s1] "r"(SEL_BASE1), [s2] "r"(SEL_LDT0) : "memory");
    __asm__ volatile("movl %%fs:8, %[a]\n\t"
                     "movl %%gs:12, %[b]\n\t"
                     "movl $0x5a5a5a5a, %%fs:16\n\t"
                     "movl %%gs:(%[i]), %[c]"
                     : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c) : [i] "r"(4 * 5) : "memory");
    __asm__ volatile("movw %w[d], %%fs\n\tmovw %w[d], %%gs" : : [d] "r"(SEL_DATA) : "memory");
    printf("fs (GDT, base buf1): fs:8 -> %08x; gs (LDT, base buf2): gs:12 -> %08x, gs:(20) -> %08x\n",
           a, b, c);
    CHECK(a == buf1[2] && b == buf2[3] && c == buf2[5] && buf1[4] == 0x5a5a5a5a, "fs/gs bases");

    /* string stores through ES with a base; loads through DS with a base */
    __asm__ volatile("pushl %%es\n\t"
                     "movw %w[s], %%es\n\t"
                     "movl $24, %%edi\n\t"
                     "movl $0x77777777, %%eax\n\t"
                     "movl $2, %%ecx\n\t"
                     "cld\n\t"
                     "rep stosl\n\t"
                     "popl %%es"
                     : : [s] "r"(SEL_LDT0 | 8) : "eax", "ecx", "edi", "memory");
    printf("rep stosl through es (LDT entry 1, base buf3) at offset 24: %08x %08x %08x\n",
           buf3[5], buf3[6], buf3[7]);
    CHECK(buf3[5] == 0x33330005 && buf3[6] == 0x77777777 && buf3[7] == 0x77777777
          && buf3[8] == 0x33330008, "es base");

    uint32_t x, y;
    __asm__ volatile("movw %w[s], %%ds\n\t"       /* from here on DS is based at buf1 */
                     "movl 4, %[x]\n\t"            /* implicit ds: moffs */
                     "movl $28, %%esi\n\t"
                     "lodsl\n\t"
                     "movl %%eax, %[y]\n\t"
                     "movw %w[d], %%ds"
                     : [x] "=&r"(x), [y] "=&r"(y)
                     : [s] "r"(SEL_BASE1), [d] "r"(SEL_DATA) : "eax", "esi", "memory");
    printf("ds with base buf1: [4] -> %08x, lodsl from 28 -> %08x\n", x, y);
    CHECK(x == buf1[1] && y == buf1[7], "ds base");
}

int main(void)
{
    setup();
    test_smsw_sldt_str();
    test_lar_lsl_verr();
    test_arpl();
    test_bases();
    return finish("descriptors");
}
