/* ring0.c - the Ring 0 instructions the other guests leave out, each
 * checked against the state the guest itself set:
 *
 *   MOV to/from DR0-DR3, DR6, DR7 (fixed bits) and the DR4/DR5 aliases
 *   (CR4.DE=0); MOV to/from CR2 and CR3 (paging off); CR4.TSD/DE/PCE set
 *   and cleared (RDTSC at CPL 0 with TSD=1); CR0.WP/AM/NE by MOV, ET fixed,
 *   LMSW (register and memory) / CLTS / SMSW on TS, MP, EM and PE;
 *   RDMSR/WRMSR of SYSENTER_CS/ESP/EIP, TSC, APIC_BASE, MISC_ENABLE;
 *   INVD, WBINVD, INVLPG; SYSENTER from Ring 0 into the guest's GDT;
 *   POPF/PUSHF of IOPL, NT, AC, ID and of the flags POPF cannot set;
 *   CPUID leaves 0 and 1 (the features this guest relies on).
 *
 * Skipped: RDPMC (QEMU raises #UD for it even at CPL 0), EFER (absent on
 * an i386 CPU), SYSEXIT (goes to Ring 3), HLT (other guests), DR4/DR5
 * with CR4.DE=1 (#UD: needs an IDT). Nothing the boot loader left behind
 * and no TSC or APIC value is printed.
 */
#include "../tests/common.h"

#define F_IOPL  0x3000u
#define F_NT    0x4000u
#define F_RF    0x10000u
#define F_VM    0x20000u
#define F_AC    0x40000u
#define F_VIF   0x80000u
#define F_VIP   0x100000u
#define F_ID    0x200000u

#define CR0_PE  0x00000001u
#define CR0_MP  0x00000002u
#define CR0_EM  0x00000004u
#define CR0_TS  0x00000008u
#define CR0_ET  0x00000010u
#define CR0_NE  0x00000020u
#define CR0_WP  0x00010000u
#define CR0_AM  0x00040000u

#define CR4_TSD 0x004u
#define CR4_DE  0x008u
#define CR4_PCE 0x100u

#define MSR_TSC             0x10
#define MSR_APIC_BASE       0x1b
#define MSR_SYSENTER_CS     0x174
#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_MISC_ENABLE     0x1a0

#define DR6_FIXED   0xffff0ff0u     /* reserved bits that read as 1 */
#define DR7_FIXED   0x00000400u

void r0_load_gdt(void);
void r0_sysenter(void);
extern char r0_sysenter_landing[];
extern uint32_t r0_land_cs, r0_land_ss, r0_land_esp, r0_land_flags;

static uint32_t sysenter_stack[64] __attribute__((aligned(16)));

/* ---------------------------------------------------------------- helpers */

static inline uint64_t rdmsr(uint32_t idx)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t idx, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint32_t read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr2, %0" : "=r"(v));
    return v;
}

static inline void write_cr2(uint32_t v) { __asm__ volatile("movl %0, %%cr2" : : "r"(v)); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("movl %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("movl %0, %%cr4" : : "r"(v) : "memory"); }

/* DRn by number; each one goes through a different general register so
 * that the ModRM r/m field of MOV DRn varies too. */
static uint32_t read_dr(int n)
{
    uint32_t v = 0;
    switch (n) {
    case 0: __asm__ volatile("movl %%db0, %0" : "=a"(v)); break;
    case 1: __asm__ volatile("movl %%db1, %0" : "=b"(v)); break;
    case 2: __asm__ volatile("movl %%db2, %0" : "=c"(v)); break;
    case 3: __asm__ volatile("movl %%db3, %0" : "=d"(v)); break;
    case 4: __asm__ volatile("movl %%db4, %0" : "=S"(v)); break;
    case 5: __asm__ volatile("movl %%db5, %0" : "=D"(v)); break;
    case 6: __asm__ volatile("movl %%db6, %0" : "=a"(v)); break;
    case 7: __asm__ volatile("movl %%db7, %0" : "=c"(v)); break;
    }
    return v;
}

static void write_dr(int n, uint32_t v)
{
    switch (n) {
    case 0: __asm__ volatile("movl %0, %%db0" : : "D"(v)); break;
    case 1: __asm__ volatile("movl %0, %%db1" : : "S"(v)); break;
    case 2: __asm__ volatile("movl %0, %%db2" : : "d"(v)); break;
    case 3: __asm__ volatile("movl %0, %%db3" : : "c"(v)); break;
    case 4: __asm__ volatile("movl %0, %%db4" : : "b"(v)); break;
    case 5: __asm__ volatile("movl %0, %%db5" : : "a"(v)); break;
    case 6: __asm__ volatile("movl %0, %%db6" : : "b"(v)); break;
    case 7: __asm__ volatile("movl %0, %%db7" : : "d"(v)); break;
    }
}

static uint32_t smsw32(void)
{
    uint32_t v = 0xabcd0000;
    __asm__ volatile("smsw %0" : "+r"(v));
    return v;
}

static const char *onoff(uint32_t v, uint32_t bit) { return (v & bit) ? "1" : "0"; }

/* ---------------------------------------------------------- debug registers */

static void test_debug_registers(void)
{
    uint32_t dr7 = read_dr(7);
    printf("dr7 at boot: no breakpoint enabled: %s\n", (dr7 & 0xff) == 0 ? "yes" : "no");
    CHECK((dr7 & 0xff) == 0, "dr7 at boot");

    /* Addresses nothing ever touches, so enabled breakpoints never fire. */
    static const uint32_t addrs[4] = { 0xdead0000, 0xbeef0004, 0xcafe0008, 0xf00d000c };
    for (int i = 0; i < 4; i++)
        write_dr(i, addrs[i]);
    for (int i = 0; i < 4; i++) {
        uint32_t v = read_dr(i);
        printf("mov %08x -> dr%d -> %08x\n", addrs[i], i, v);
        CHECK_EQ(v, addrs[i], "dr0-3 round trip");
    }

    /* L0, G1, LE, the fixed bit 10; DR0: data writes, 4 bytes; DR1:
     * reads and writes, 4 bytes */
    const uint32_t en = 0x00fd0509;
    write_dr(7, en);
    uint32_t r7 = read_dr(7);
    printf("mov %08x -> dr7 -> %08x\n", en, r7);
    CHECK_EQ(r7, en, "dr7 round trip");
    write_dr(7, DR7_FIXED);
    r7 = read_dr(7);
    write_dr(7, 0);
    uint32_t z7 = read_dr(7);
    printf("mov 00000400 -> dr7 -> %08x; mov 0 -> dr7 -> %08x (bit 10 reads 1)\n", r7, z7);
    CHECK_EQ(r7, DR7_FIXED, "dr7 disabled");
    CHECK_EQ(z7, DR7_FIXED, "dr7 bit 10 fixed");

    const uint32_t st = DR6_FIXED | 0x4005;     /* BS, B2, B0 */
    write_dr(6, st);
    uint32_t r6 = read_dr(6);
    write_dr(6, 0);
    uint32_t z6 = read_dr(6);
    printf("mov %08x -> dr6 -> %08x; mov 0 -> dr6 -> %08x (reserved bits read 1)\n", st, r6, z6);
    CHECK_EQ(r6, st, "dr6 round trip");
    CHECK_EQ(z6, DR6_FIXED, "dr6 fixed bits");

    /* CR4.DE=0: DR4 and DR5 are DR6 and DR7 */
    write_cr4(read_cr4() & ~CR4_DE);
    write_dr(6, DR6_FIXED | 0x2);
    write_dr(7, DR7_FIXED | 0x100);
    uint32_t r4 = read_dr(4), r5 = read_dr(5);
    printf("cr4.de=0: dr6=%08x dr7=%08x; dr4 -> %08x dr5 -> %08x\n", read_dr(6), read_dr(7), r4, r5);
    CHECK_EQ(r4, DR6_FIXED | 0x2, "dr4 reads dr6");
    CHECK_EQ(r5, DR7_FIXED | 0x100, "dr5 reads dr7");
    write_dr(4, DR6_FIXED | 0x8);
    write_dr(5, DR7_FIXED | 0x300);
    r6 = read_dr(6);
    r7 = read_dr(7);
    printf("cr4.de=0: %08x -> dr4, %08x -> dr5; dr6 -> %08x dr7 -> %08x\n",
           DR6_FIXED | 0x8, DR7_FIXED | 0x300, r6, r7);
    CHECK_EQ(r6, DR6_FIXED | 0x8, "dr4 writes dr6");
    CHECK_EQ(r7, DR7_FIXED | 0x300, "dr5 writes dr7");

    for (int i = 0; i < 4; i++)
        write_dr(i, 0);
    write_dr(6, DR6_FIXED);
    write_dr(7, DR7_FIXED);
}

/* -------------------------------------------------------- control registers */

static void test_cr2_cr3(void)
{
    uint32_t cr2 = read_cr2(), cr3 = read_cr3();
    static const uint32_t v2[] = { 0x12345678, 0xfffff000, 0x00000001 };
    for (unsigned i = 0; i < ARRAY_SIZE(v2); i++) {
        write_cr2(v2[i]);
        uint32_t r = read_cr2();
        printf("mov %08x -> cr2 -> %08x\n", v2[i], r);
        CHECK_EQ(r, v2[i], "cr2 round trip");
    }
    /* paging is off: CR3 is only stored (PWT and PCD included) */
    static const uint32_t v3[] = { 0x00123000, 0x07ffe018 };
    for (unsigned i = 0; i < ARRAY_SIZE(v3); i++) {
        write_cr3(v3[i]);
        uint32_t r = read_cr3();
        printf("mov %08x -> cr3 -> %08x (paging off)\n", v3[i], r);
        CHECK_EQ(r, v3[i], "cr3 round trip");
    }
    write_cr2(cr2);
    write_cr3(cr3);
    CHECK(read_cr2() == cr2 && read_cr3() == cr3, "cr2/cr3 restored");
}

static void test_cr4(void)
{
    uint32_t cr4 = read_cr4();
    static const struct { uint32_t bit; const char *name; } bits[] = {
        { CR4_TSD, "TSD" }, { CR4_DE, "DE" }, { CR4_PCE, "PCE" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bits); i++) {
        write_cr4(cr4 | bits[i].bit);
        uint32_t on = read_cr4();
        const char *extra = "";
        if (bits[i].bit == CR4_TSD) {
            uint64_t t0 = rdtsc();
            for (volatile int k = 0; k < 100; k++)
                ;
            uint64_t t1 = rdtsc();
            extra = t1 > t0 ? ", rdtsc at cpl 0 still counts" : ", rdtsc STOPPED";
            CHECK(t1 > t0, "rdtsc with cr4.tsd at cpl 0");
        }
        write_cr4(cr4 & ~bits[i].bit);
        uint32_t off = read_cr4();
        printf("cr4.%s: set -> %s, cleared -> %s%s\n", bits[i].name, onoff(on, bits[i].bit),
               onoff(off, bits[i].bit), extra);
        CHECK(on == (cr4 | bits[i].bit) && off == (cr4 & ~bits[i].bit), "cr4 bit");
    }
    write_cr4(cr4);
}

static void test_cr0(void)
{
    uint32_t cr0 = read_cr0();
    printf("cr0: PE=%u PG=%u ET=%u\n", cr0 & 1, cr0 >> 31, !!(cr0 & CR0_ET));
    CHECK((cr0 & CR0_PE) && !(cr0 >> 31) && (cr0 & CR0_ET), "cr0 at entry");

    /* MOV to CR0: WP, AM, NE stick; ET stays 1 */
    static const struct { uint32_t bit; const char *name; } bits[] = {
        { CR0_WP, "WP" }, { CR0_AM, "AM" }, { CR0_NE, "NE" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bits); i++) {
        write_cr0(cr0 | bits[i].bit);
        uint32_t on = read_cr0();
        write_cr0(cr0 & ~bits[i].bit);
        uint32_t off = read_cr0();
        printf("cr0.%s: set -> %s, cleared -> %s\n", bits[i].name, onoff(on, bits[i].bit),
               onoff(off, bits[i].bit));
        CHECK(on == (cr0 | bits[i].bit) && off == (cr0 & ~bits[i].bit), "cr0 bit");
    }
    write_cr0(cr0 & ~CR0_ET);
    uint32_t et = read_cr0();
    printf("mov cr0 with ET=0: ET reads %u\n", !!(et & CR0_ET));
    CHECK_EQ(et, cr0 | CR0_ET, "cr0.et fixed");
    write_cr0(cr0);

    /* LMSW loads PE MP EM TS only and cannot clear PE; CLTS clears TS */
    uint32_t base = cr0 & ~(CR0_MP | CR0_EM | CR0_TS);
    uint32_t a, b, c, d, e, f, s;
    __asm__ volatile("lmsw %w0" : : "r"(0xfff0 | CR0_PE | CR0_MP | CR0_TS));
    a = read_cr0();
    s = smsw32();
    __asm__ volatile("clts");
    b = read_cr0();
    uint16_t m = CR0_PE | CR0_MP | CR0_EM;
    __asm__ volatile("lmsw %0" : : "m"(m));
    c = read_cr0();
    __asm__ volatile("lmsw %w0" : : "r"(0));
    d = read_cr0();
    write_cr0(base | CR0_TS);
    __asm__ volatile("clts");
    e = read_cr0();
    __asm__ volatile("clts");                   /* TS already clear */
    f = read_cr0();
    printf("lmsw PE|MP|TS: cr0 PE=%s MP=%s EM=%s TS=%s, smsw low word %s\n", onoff(a, CR0_PE),
           onoff(a, CR0_MP), onoff(a, CR0_EM), onoff(a, CR0_TS),
           (s & 0xffff) == (a & 0xffff) ? "matches" : "DIFFERS");
    printf("clts: TS=%s MP=%s\n", onoff(b, CR0_TS), onoff(b, CR0_MP));
    printf("lmsw (mem) PE|MP|EM: MP=%s EM=%s TS=%s\n", onoff(c, CR0_MP), onoff(c, CR0_EM),
           onoff(c, CR0_TS));
    printf("lmsw 0: PE=%s MP=%s EM=%s TS=%s (PE cannot be cleared)\n", onoff(d, CR0_PE),
           onoff(d, CR0_MP), onoff(d, CR0_EM), onoff(d, CR0_TS));
    printf("mov cr0 TS=1, clts: TS=%s; clts again: TS=%s\n", onoff(e, CR0_TS), onoff(f, CR0_TS));
    CHECK_EQ(a, base | CR0_MP | CR0_TS, "lmsw reg");
    CHECK_EQ(s & 0xffff, a & 0xffff, "smsw");
    CHECK_EQ(b, base | CR0_MP, "clts");
    CHECK_EQ(c, base | CR0_MP | CR0_EM, "lmsw mem");
    CHECK_EQ(d, base, "lmsw 0 keeps PE");
    CHECK(e == base && f == base, "clts after mov cr0");
    write_cr0(cr0);
    CHECK_EQ(read_cr0(), cr0, "cr0 restored");
}

/* ------------------------------------------------------------------- MSRs */

static void test_msrs(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);

    /* SYSENTER_CS keeps 16 bits; ESP and EIP keep what is written */
    uint64_t cs0 = rdmsr(MSR_SYSENTER_CS), esp0 = rdmsr(MSR_SYSENTER_ESP),
             eip0 = rdmsr(MSR_SYSENTER_EIP);
    static const struct { uint32_t msr; uint64_t val, want; const char *name; } rt[] = {
        { MSR_SYSENTER_CS, 0x0000000000000018ull, 0x0018, "SYSENTER_CS" },
        { MSR_SYSENTER_CS, 0x12345678abcd002bull, 0x002b, "SYSENTER_CS" },
        { MSR_SYSENTER_ESP, 0x00000000c0ffee00ull, 0xc0ffee00, "SYSENTER_ESP" },
        { MSR_SYSENTER_ESP, 0x0000000000000004ull, 0x00000004, "SYSENTER_ESP" },
        { MSR_SYSENTER_EIP, 0x00000000fedcba98ull, 0xfedcba98, "SYSENTER_EIP" },
        { MSR_SYSENTER_EIP, 0x0000000000100000ull, 0x00100000, "SYSENTER_EIP" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rt); i++) {
        wrmsr(rt[i].msr, rt[i].val);
        uint64_t r = rdmsr(rt[i].msr);
        printf("wrmsr %#x (%s) <- %08x:%08x; rdmsr -> %08x:%08x\n", rt[i].msr, rt[i].name,
               (uint32_t)(rt[i].val >> 32), (uint32_t)rt[i].val, (uint32_t)(r >> 32), (uint32_t)r);
        CHECK_EQ(r, rt[i].want, "sysenter msr round trip");
    }
    wrmsr(MSR_SYSENTER_CS, cs0);
    wrmsr(MSR_SYSENTER_ESP, esp0);
    wrmsr(MSR_SYSENTER_EIP, eip0);

    /* the TSC MSR never goes backwards (QEMU's TCG reads it as 0) */
    uint64_t t0 = rdmsr(MSR_TSC), t1 = rdmsr(MSR_TSC), t2 = rdmsr(MSR_TSC);
    printf("rdmsr %#x (TSC) three times: never decreases: %s\n", MSR_TSC,
           t0 <= t1 && t1 <= t2 ? "yes" : "no");
    CHECK(t0 <= t1 && t1 <= t2, "tsc msr monotonic");

    /* APIC_BASE: only a consistency fact (bt has no local APIC, QEMU has) */
    uint64_t ab = rdmsr(MSR_APIC_BASE);
    int enabled = !!(ab & (1u << 11));
    int ok = !enabled || ((d & (1u << 9)) && (ab & 0xfff) == (ab & 0x900));
    printf("rdmsr %#x (APIC_BASE): consistent with cpuid (enabled => APIC feature, 4 KiB base): %s\n",
           MSR_APIC_BASE, ok ? "yes" : "no");
    CHECK(ok, "apic base");

    /* MISC_ENABLE: toggle bit 0 (fast strings) and restore */
    uint64_t me = rdmsr(MSR_MISC_ENABLE);
    wrmsr(MSR_MISC_ENABLE, me ^ 1);
    uint64_t me1 = rdmsr(MSR_MISC_ENABLE);
    wrmsr(MSR_MISC_ENABLE, me);
    uint64_t me2 = rdmsr(MSR_MISC_ENABLE);
    printf("rdmsr %#x (MISC_ENABLE): bit 0 toggled by wrmsr: %s; restored: %s\n", MSR_MISC_ENABLE,
           me1 == (me ^ 1) ? "yes" : "no", me2 == me ? "yes" : "no");
    CHECK(me1 == (me ^ 1) && me2 == me, "misc enable");
}

/* -------------------------------------------------------- cache and TLB ops */

static void test_cache_ops(void)
{
    static volatile uint32_t cell[4];
    for (int i = 0; i < 4; i++)
        cell[i] = 0x600d0000 + i;
    __asm__ volatile("wbinvd" : : : "memory");
    __asm__ volatile("invd" : : : "memory");
    __asm__ volatile("invlpg (%0)" : : "r"(cell) : "memory");
    __asm__ volatile("invlpg 0x1000" : : : "memory");
    __asm__ volatile("invlpg 8(%0,%1,4)" : : "r"(cell), "r"(1) : "memory");
    __asm__ volatile("wbinvd" : : : "memory");
    int same = 1;
    for (int i = 0; i < 4; i++)
        same &= cell[i] == 0x600d0000u + i;
    printf("wbinvd, invd, invlpg x3 (paging off), wbinvd: memory intact: %s\n", same ? "yes" : "no");
    CHECK(same, "cache ops");
}

/* --------------------------------------------------------------- SYSENTER */

static void test_sysenter(void)
{
    /* every IRQ masked, so that IF=1 before SYSENTER lets nothing in */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    static const uint32_t msr_cs[] = { 0x18, 0x2b };
    for (unsigned i = 0; i < ARRAY_SIZE(msr_cs); i++) {
        uint32_t top = (uint32_t)&sysenter_stack[ARRAY_SIZE(sysenter_stack) - 4 * i];
        memset(sysenter_stack, 0, sizeof sysenter_stack);
        wrmsr(MSR_SYSENTER_CS, msr_cs[i]);
        wrmsr(MSR_SYSENTER_ESP, top);
        wrmsr(MSR_SYSENTER_EIP, (uint32_t)r0_sysenter_landing);
        r0_sysenter();
        uint32_t cs = r0_land_cs & 0xffff, ss = r0_land_ss & 0xffff, fl = r0_land_flags;
        uint32_t pushed = ((uint32_t *)top)[-1];
        printf("sysenter (SYSENTER_CS=%#x): cs=%04x ss=%04x esp=%s, pushf through the new stack %s, "
               "IF=%d CF=%d\n", msr_cs[i], cs, ss, r0_land_esp == top ? "SYSENTER_ESP" : "WRONG",
               pushed == fl ? "ok" : "WRONG", !!(fl & F_IF), !!(fl & F_CF));
        uint32_t want_cs = msr_cs[i] & 0xfffc;
        CHECK(cs == want_cs && ss == want_cs + 8, "sysenter selectors");
        CHECK_EQ(r0_land_esp, top, "sysenter esp");
        CHECK_EQ(pushed, fl, "sysenter stack");
        CHECK(!(fl & F_IF) && (fl & F_CF), "sysenter clears IF only");
    }
    uint32_t cs, ss, fl = read_eflags();
    __asm__ volatile("movw %%cs, %w0" : "=r"(cs));
    __asm__ volatile("movw %%ss, %w0" : "=r"(ss));
    cs &= 0xffff;
    ss &= 0xffff;
    printf("back by ljmp: cs=%04x ss=%04x IF=%d\n", cs, ss, !!(fl & F_IF));
    CHECK(cs == 0x08 && ss == 0x10 && !(fl & F_IF), "back from sysenter");
    wrmsr(MSR_SYSENTER_CS, 0);
    wrmsr(MSR_SYSENTER_ESP, 0);
    wrmsr(MSR_SYSENTER_EIP, 0);
}

/* ----------------------------------------------------------------- EFLAGS */

static void test_eflags(void)
{
    for (uint32_t iopl = 0; iopl < 4; iopl++) {
        write_eflags(F_FIXED | iopl << 12);
        uint32_t f = read_eflags();
        printf("popf IOPL=%u: pushf IOPL=%u\n", iopl, (f & F_IOPL) >> 12);
        CHECK_EQ(f & F_IOPL, iopl << 12, "iopl");
    }
    static const struct { uint32_t bit; const char *name; } bits[] = {
        { F_NT, "NT" }, { F_AC, "AC" }, { F_ID, "ID" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bits); i++) {
        write_eflags(F_FIXED | bits[i].bit);
        uint32_t on = read_eflags();
        write_eflags(F_FIXED);
        uint32_t off = read_eflags();
        printf("popf %s: set -> %s, cleared -> %s\n", bits[i].name, onoff(on, bits[i].bit),
               onoff(off, bits[i].bit));
        CHECK(on == (F_FIXED | bits[i].bit) && off == F_FIXED, "eflags bit");
    }
    /* everything but TF and IF: RF, VM, VIF, VIP and the reserved bits
     * cannot be set by POPF; bit 1 reads 1 */
    write_eflags(~(F_TF | F_IF));
    uint32_t all = read_eflags();
    write_eflags(0);
    uint32_t none = read_eflags();
    printf("popf ~(TF|IF): pushf %08x; popf 0: pushf %08x\n", all, none);
    CHECK_EQ(all, F_ARITH | F_FIXED | F_DF | F_IOPL | F_NT | F_AC | F_ID, "popf all");
    CHECK_EQ(none, F_FIXED, "popf none");
    CHECK(!(all & (F_RF | F_VM | F_VIF | F_VIP)), "popf cannot set RF VM VIF VIP");
}

/* ------------------------------------------------------------------ CPUID */

static void test_cpuid(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    printf("cpuid 0: max leaf >= 1: %s\n", a >= 1 ? "yes" : "no");
    CHECK(a >= 1, "cpuid max leaf");
    cpuid(1, 0, &a, &b, &c, &d);
    printf("cpuid 1: tsc=%d msr=%d cx8=%d cmov=%d\n", !!(d & (1u << 4)), !!(d & (1u << 5)),
           !!(d & (1u << 8)), !!(d & (1u << 15)));
    CHECK((d & (1u << 4)) && (d & (1u << 5)) && (d & (1u << 8)) && (d & (1u << 15)),
          "cpuid tsc msr cx8 cmov");
}

int main(void)
{
    r0_load_gdt();
    test_cpuid();
    test_debug_registers();
    test_cr2_cr3();
    test_cr4();
    test_cr0();
    test_msrs();
    test_cache_ops();
    test_sysenter();
    test_eflags();
    return finish("ring0");
}
