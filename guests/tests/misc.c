/* misc.c - cbw/cwde/cwd/cdq, lahf/sahf, clc/stc/cmc/cld/std, the NOP forms,
 * cpuid (structural facts only) and rdtsc (monotonic only).
 */
#include "../tests/common.h"

static void test_convert(void)
{
    static const uint32_t vals[] = { 0x00000000, 0x0000007f, 0x00000080, 0x12347fff, 0x12348000,
                                     0x7fffffff, 0x80000000, 0xffffffff };
    for (unsigned i = 0; i < ARRAY_SIZE(vals); i++) {
        uint32_t v = vals[i], cbw = v, cwde = v, cwd_a = v, cwd_d = 0x5a5a5a5a, cdq_a = v, cdq_d = 0;
        uint32_t f;
        __asm__ volatile(FLAGS_IN "cbtw" FLAGS_OUT : "+a"(cbw), [fo] "=&r"(f) : [fi] "r"(F_ARITH) : "cc");
        CHECK((f & F_ARITH) == F_ARITH, "cbw keeps flags");
        __asm__ volatile("cwtl" : "+a"(cwde));
        __asm__ volatile("cwtd" : "+a"(cwd_a), "+d"(cwd_d));
        __asm__ volatile("cltd" : "+a"(cdq_a), "=d"(cdq_d));
        printf("%08x: cbw=%08x cwde=%08x cwd=%08x:%08x cdq=%08x:%08x\n", v, cbw, cwde, cwd_d,
               cwd_a, cdq_d, cdq_a);
        CHECK_EQ(cbw, (v & 0xffff0000) | (uint16_t)(int8_t)v, "cbw");
        CHECK_EQ(cwde, (uint32_t)(int16_t)v, "cwde");
        CHECK_EQ(cwd_a, v, "cwd keeps eax");
        CHECK_EQ(cwd_d, 0x5a5a0000 | ((v & 0x8000) ? 0xffff : 0), "cwd");
        CHECK_EQ(cdq_d, (v & 0x80000000) ? 0xffffffff : 0, "cdq");
    }
}

static void test_lahf_sahf(void)
{
    /* lahf: AH = SF ZF 0 AF 0 PF 1 CF */
    static const uint32_t fins[] = { 0, F_CF, F_PF, F_AF, F_ZF, F_SF, F_ARITH, F_OF | F_ZF };
    for (unsigned i = 0; i < ARRAY_SIZE(fins); i++) {
        uint32_t a = 0x12345678;
        __asm__ volatile(FLAGS_IN "lahf" : "+a"(a) : [fi] "r"(fins[i] | F_FIXED) : "cc");
        uint32_t want = ((fins[i] & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | 2) << 8 | 0x12340078;
        printf("lahf with %s: ah=%02x\n", fstr(fins[i], F_ARITH), (a >> 8) & 0xff);
        CHECK_EQ(a, want, "lahf");
    }
    /* sahf: SF ZF AF PF CF from AH, OF untouched */
    static const uint32_t ahs[] = { 0x00, 0xff, 0xd5, 0x2a, 0x01, 0x40, 0x80 };
    for (unsigned i = 0; i < ARRAY_SIZE(ahs); i++) {
        for (int of = 0; of < 2; of++) {
            uint32_t a = ahs[i] << 8, f;
            __asm__ volatile(FLAGS_IN "sahf" FLAGS_OUT
                             : [fo] "=&r"(f) : "a"(a), [fi] "r"(of ? F_OF : 0) : "cc");
            printf("sahf ah=%02x of=%d: %s\n", ahs[i], of, fstr(f, F_ARITH));
            CHECK_EQ(f & F_ARITH, (ahs[i] & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | (of ? F_OF : 0), "sahf");
        }
    }
}

static void test_flag_ops(void)
{
    uint32_t f[8];
    __asm__ volatile("pushl %[all]\n\tpopfl\n\t"
                     "clc\n\tpushfl\n\tpopl 0(%[o])\n\t"
                     "stc\n\tpushfl\n\tpopl 4(%[o])\n\t"
                     "cmc\n\tpushfl\n\tpopl 8(%[o])\n\t"
                     "cmc\n\tpushfl\n\tpopl 12(%[o])\n\t"
                     "std\n\tpushfl\n\tpopl 16(%[o])\n\t"
                     "cld\n\tpushfl\n\tpopl 20(%[o])\n\t"
                     "pushl $0\n\tpopfl\n\t"
                     "stc\n\tpushfl\n\tpopl 24(%[o])\n\t"
                     "std\n\tpushfl\n\tpopl 28(%[o])\n\t"
                     "cld"
                     : : [o] "r"(f), [all] "i"(F_ARITH) : "cc", "memory");
    static const char *const what[8] = { "clc", "stc", "cmc", "cmc", "std", "cld", "stc (clear)",
                                         "std (clear)" };
    static const uint32_t want[8] = { F_ARITH & ~F_CF, F_ARITH, F_ARITH & ~F_CF, F_ARITH,
                                      F_ARITH | F_DF, F_ARITH, F_CF, F_CF | F_DF };
    for (int i = 0; i < 8; i++) {
        printf("%-12s -> %s DF=%d\n", what[i], fstr(f[i], F_ARITH), !!(f[i] & F_DF));
        CHECK_EQ(f[i] & (F_ARITH | F_DF), want[i], what[i]);
        CHECK(f[i] & F_FIXED, "EFLAGS bit 1 reads as 1");
    }
}

static void test_nops(void)
{
    uint32_t in[7] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666,
                       0 };
    uint32_t out[7], f;
    __asm__ volatile("pushl %%ebp\n\t"
                     "pushl %%edi\n\t"
                     "movl 0(%%edi), %%eax\n\tmovl 4(%%edi), %%ebx\n\tmovl 8(%%edi), %%ecx\n\t"
                     "movl 12(%%edi), %%edx\n\tmovl 16(%%edi), %%esi\n\tmovl 20(%%edi), %%ebp\n\t"
                     "pushl $0x8d5\n\tpopfl\n\t"
                     ".byte 0x90\n\t"                                   /* nop */
                     ".byte 0x66, 0x90\n\t"                             /* xchg ax,ax */
                     ".byte 0xf3, 0x90\n\t"                             /* pause */
                     ".byte 0x0f, 0x1f, 0x00\n\t"                       /* nopl (%eax) */
                     ".byte 0x0f, 0x1f, 0x40, 0x00\n\t"                 /* nopl 0(%eax) */
                     ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"           /* nopl 0(%eax,%eax,1) */
                     ".byte 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"     /* nopw 0(%eax,%eax,1) */
                     ".byte 0x0f, 0x1f, 0x80, 0, 0, 0, 0\n\t"           /* nopl 0L(%eax) */
                     ".byte 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0\n\t"        /* nopl 0L(%eax,%eax,1) */
                     ".byte 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0\n\t"  /* nopw 0L(%eax,%eax,1) */
                     ".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0\n\t" /* cs nopw */
                     ".byte 0x0f, 0x1f, 0xc0\n\t"                       /* nop %eax */
                     ".byte 0x0f, 0x1f, 0x04, 0x25, 0, 0, 0, 0\n\t"     /* nopl 0(,%eiz,1) */
                     ".byte 0x3e, 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"     /* ds nopl */
                     ".byte 0xf3, 0x0f, 0x1e, 0xfb\n\t"                 /* endbr32 (libgcc uses it) */
                     "xchgl %%eax, %%eax\n\t"
                     "pushfl\n\t"
                     "movl 4(%%esp), %%edi\n\t"
                     "movl %%eax, 0(%%edi)\n\tmovl %%ebx, 4(%%edi)\n\tmovl %%ecx, 8(%%edi)\n\t"
                     "movl %%edx, 12(%%edi)\n\tmovl %%esi, 16(%%edi)\n\tmovl %%ebp, 20(%%edi)\n\t"
                     "popl 24(%%edi)\n\t"
                     "popl %%edi\n\t"
                     "popl %%ebp"
                     : : "D"(in) : "eax", "ebx", "ecx", "edx", "esi", "cc", "memory");
    memcpy(out, in, sizeof out);
    f = out[6];
    int same = out[0] == 0x11111111 && out[1] == 0x22222222 && out[2] == 0x33333333
               && out[3] == 0x44444444 && out[4] == 0x55555555 && out[5] == 0x66666666;
    printf("16 nop forms: registers %s, flags %s\n", same ? "unchanged" : "CHANGED",
           fstr(f, F_ARITH));
    CHECK(same, "nops changed registers");
    CHECK((f & F_ARITH) == F_ARITH, "nops changed flags");
}

static void test_cpuid(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    uint32_t maxleaf = a;
    char vendor[13];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    int printable = 1;
    for (int i = 0; i < 12; i++)
        if (vendor[i] < 0x20 || vendor[i] > 0x7e) printable = 0;
    printf("cpuid max leaf >= 1: %s\n", maxleaf >= 1 ? "yes" : "no");
    printf("cpuid vendor is 12 printable characters: %s\n", printable ? "yes" : "no");
    CHECK(maxleaf >= 1 && printable, "cpuid leaf 0");

    cpuid(1, 0, &a, &b, &c, &d);
    printf("cpuid leaf 1: tsc=%d cx8=%d cmov=%d\n", !!(d & (1 << 4)), !!(d & (1 << 8)),
           !!(d & (1 << 15)));
    CHECK((d & (1 << 4)) && (d & (1 << 8)) && (d & (1 << 15)), "cpuid reports TSC, CX8, CMOV");

    uint32_t f;
    __asm__ volatile(FLAGS_IN "cpuid" FLAGS_OUT
                     : "=a"(a), "=b"(b), "=c"(c), "=d"(d), [fo] "=&r"(f)
                     : "a"(0), "c"(0), [fi] "r"(F_ARITH) : "cc");
    printf("cpuid keeps the flags: %s\n", (f & F_ARITH) == F_ARITH ? "yes" : "no");
    CHECK((f & F_ARITH) == F_ARITH, "cpuid keeps the flags");
}

static void test_rdtsc(void)
{
    uint64_t t0 = rdtsc();
    volatile uint32_t sink = 0;
    for (int i = 0; i < 2000; i++) sink += i;
    uint64_t t1 = rdtsc();
    for (int i = 0; i < 2000; i++) sink += i;
    uint64_t t2 = rdtsc();
    int mono = t1 > t0 && t2 > t1;
    printf("rdtsc increases: %s\n", mono ? "yes" : "no");
    CHECK(mono, "rdtsc monotonic");
}

int main(void)
{
    test_convert();
    test_lahf_sahf();
    test_flag_ops();
    test_nops();
    test_cpuid();
    test_rdtsc();
    return finish("misc");
}
