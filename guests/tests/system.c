/* system.c - the privileged and sensitive instructions a kernel executes:
 * LGDT/SGDT, far jumps, far calls and far returns that reload CS, segment
 * loads with mov and pop, LIDT/SIDT, LTR/STR, CR0/CR3/CR4, CLI/STI with
 * PUSHF/POPF observing IF, IN/OUT (POST port, unknown ports), REP OUTSB to
 * the UART, REP INSB/INSW from an unknown port, and IRET to the same level.
 *
 * Only structural facts are printed: the values the guest itself loaded,
 * never what the boot loader left behind.
 */
#include "../tests/common.h"

extern uint64_t sys_gdt[5];
extern uint8_t sys_gdt_ptr[6];
extern uint8_t sys_isr_stubs[];
void sys_load_gdt(void);
void sys_lret_reload(void);
uint32_t sys_far_calls(void);
uint32_t sys_iret_test(uint32_t eflags);

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint32_t base;
};

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
};

static struct tss tss;
static uint64_t idt[48] __attribute__((aligned(8)));

void sys_unexpected_interrupt(uint32_t vector)
{
    printf("unexpected interrupt, vector %u\n", vector);
    bt_exit(0x7e);
}

static uint16_t get_sel(int which)
{
    uint16_t v = 0;
    switch (which) {
    case 0: __asm__ volatile("movw %%cs, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("movw %%ds, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("movw %%es, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("movw %%fs, %0" : "=r"(v)); break;
    case 4: __asm__ volatile("movw %%gs, %0" : "=r"(v)); break;
    case 5: __asm__ volatile("movw %%ss, %0" : "=r"(v)); break;
    }
    return v;
}

static void print_selectors(const char *when)
{
    printf("%s: cs=%04x ds=%04x es=%04x fs=%04x gs=%04x ss=%04x\n", when, get_sel(0), get_sel(1),
           get_sel(2), get_sel(3), get_sel(4), get_sel(5));
}

static void test_gdt(void)
{
    /* TSS descriptor: base = &tss, limit = sizeof - 1, type 9 (available 32-bit TSS) */
    uint32_t base = (uint32_t)&tss, limit = sizeof tss - 1;
    tss.ss0 = 0x10;
    tss.esp0 = (uint32_t)rt_stack_top;
    tss.iomap = sizeof tss;
    sys_gdt[4] = (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16
                 | (uint64_t)0x89 << 40 | (uint64_t)((limit >> 16) & 0xf) << 48
                 | (uint64_t)(base >> 24) << 56;

    sys_load_gdt();
    print_selectors("after lgdt + ljmp + mov/pop");
    CHECK(get_sel(0) == 0x08 && get_sel(1) == 0x10 && get_sel(2) == 0x18 && get_sel(3) == 0x18
          && get_sel(4) == 0x10 && get_sel(5) == 0x10, "segment reloads");

    struct dtr g;
    __asm__ volatile("sgdt %0" : "=m"(g));
    int same = g.limit == 5 * 8 - 1 && g.base == (uint32_t)sys_gdt;
    printf("sgdt: limit=%u base %s\n", g.limit, same ? "= the table we loaded" : "WRONG");
    CHECK(same, "sgdt readback");

    /* reload CS with lret, then data segments with the other selector */
    sys_lret_reload();
    __asm__ volatile("movw $0x18, %%ax\n\tmovw %%ax, %%ds\n\tmovw %%ax, %%ss\n\t"
                     "pushl $0x10\n\tpopl %%es"
                     : : : "eax", "memory");
    print_selectors("after lret + reloads");
    CHECK(get_sel(0) == 0x08 && get_sel(1) == 0x18 && get_sel(5) == 0x18 && get_sel(2) == 0x10,
          "segment reloads 2");
    __asm__ volatile("movw $0x10, %%ax\n\tmovw %%ax, %%ds\n\tmovw %%ax, %%ss\n\tmovw %%ax, %%es"
                     : : : "eax", "memory");

    uint32_t r = sys_far_calls();
    printf("lcall/lcall *m/ljmp *m/lret: %u\n", r);
    CHECK(r == 11, "far calls");

    /* LIDT with 48 interrupt gates (never triggered); SIDT readback */
    for (int v = 0; v < 48; v++) {
        uint32_t off = (uint32_t)sys_isr_stubs + 16 * v;
        idt[v] = (uint64_t)(off & 0xffff) | (uint64_t)0x08 << 16 | (uint64_t)0x8e << 40
                 | (uint64_t)(off >> 16) << 48;
    }
    struct dtr ip = { sizeof idt - 1, (uint32_t)idt }, ir;
    __asm__ volatile("lidt %0" : : "m"(ip));
    __asm__ volatile("sidt %0" : "=m"(ir));
    printf("sidt: limit=%u base %s\n", ir.limit, ir.base == (uint32_t)idt ? "= the table we loaded" : "WRONG");
    CHECK(ir.limit == ip.limit && ir.base == ip.base, "sidt readback");

    /* LTR: the TSS descriptor becomes busy (type 0xb) */
    uint16_t tr;
    __asm__ volatile("ltr %w0" : : "r"(0x20));
    __asm__ volatile("str %w0" : "=r"(tr));
    uint32_t type = (uint32_t)(sys_gdt[4] >> 40) & 0xf;
    printf("ltr 0x20: str=%04x, descriptor type now %x (busy)\n", tr, type);
    CHECK(tr == 0x20 && type == 0xb, "ltr/str");
}

static void test_control_registers(void)
{
    uint32_t cr0 = read_cr0();
    printf("cr0: PE=%u PG=%u\n", cr0 & 1, cr0 >> 31);
    CHECK((cr0 & 1) && !(cr0 >> 31), "protected mode without paging");
    write_cr0(cr0);
    uint32_t again = read_cr0();
    printf("mov %%cr0 back (same value): %s\n", again == cr0 ? "unchanged" : "CHANGED");
    CHECK(again == cr0, "cr0 write");
    uint32_t cr3 = read_cr3(), cr4 = read_cr4();
    (void)cr3;
    printf("cr3 read: ok; cr4: PSE=%u PAE=%u PGE=%u\n", (cr4 >> 4) & 1, (cr4 >> 5) & 1, (cr4 >> 7) & 1);
    CHECK(!(cr4 & (1 << 5)), "PAE off at boot");
}

static void test_interrupt_flag(void)
{
    /* mask every IRQ at both PICs so that STI cannot let an interrupt in */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    uint32_t f0, f1, f2, f3, f4;
    cli();
    f0 = read_eflags();
    sti();
    f1 = read_eflags();
    cli();
    f2 = read_eflags();
    write_eflags(f1);          /* popf with IF=1 */
    f3 = read_eflags();
    write_eflags(f2);          /* popf with IF=0 */
    f4 = read_eflags();
    printf("IF: cli %d, sti %d, cli %d, popf(IF=1) %d, popf(IF=0) %d\n", !!(f0 & F_IF),
           !!(f1 & F_IF), !!(f2 & F_IF), !!(f3 & F_IF), !!(f4 & F_IF));
    CHECK(!(f0 & F_IF) && (f1 & F_IF) && !(f2 & F_IF) && (f3 & F_IF) && !(f4 & F_IF), "IF");

    /* popf changes the arithmetic flags and DF too; bit 1 stays set */
    write_eflags(F_ARITH | F_DF);
    uint32_t f5 = read_eflags();
    write_eflags(0);
    uint32_t f6 = read_eflags();
    printf("popf all arith+DF: %s DF=%d; popf 0: %s DF=%d bit1=%d\n", fstr(f5, F_ARITH),
           !!(f5 & F_DF), fstr(f6, F_ARITH), !!(f6 & F_DF), !!(f6 & 2));
    CHECK((f5 & (F_ARITH | F_DF)) == (F_ARITH | F_DF) && !(f6 & (F_ARITH | F_DF)) && (f6 & 2), "popf");

    uint32_t fl = sys_iret_test(F_CF | F_ZF | F_FIXED);
    printf("iret to the same level: flags after %s\n", fstr(fl, F_ARITH));
    CHECK((fl & F_ARITH) == (F_CF | F_ZF), "iret");
}

static void test_io(void)
{
    outb(0x80, 0x42);
    uint8_t post = inb(0x80);
    printf("out 0x80 <- 42; in 0x80 -> %02x\n", post);
    uint8_t b = inb(0x3e0);
    uint16_t w = inw(0x3e0);
    uint32_t l = inl(0x3e0);
    printf("unknown port 0x3e0: inb %02x inw %04x inl %08x\n", b, w, l);
    CHECK(b == 0xff && w == 0xffff && l == 0xffffffff, "unknown ports read all ones");
    outb(0x3e0, 0x12);      /* ignored */
    outl(0x3e0, 0x12345678);

    /* rep outsb to the UART's transmit register */
    static const char msg[] = "rep outsb to COM1: hello\n";
    uint32_t si = (uint32_t)msg, cx = sizeof msg - 1;
    __asm__ volatile("rep outsb" : "+S"(si), "+c"(cx) : "d"(COM1_PORT) : "memory");
    CHECK(cx == 0 && si == (uint32_t)msg + sizeof msg - 1, "rep outsb registers");

    /* outsw/outsl to an unknown port are ignored */
    static const uint32_t junk[2] = { 0x11223344, 0x55667788 };
    si = (uint32_t)junk;
    cx = 2;
    __asm__ volatile("rep outsl" : "+S"(si), "+c"(cx) : "d"(0x3e0) : "memory");

    uint8_t buf[16];
    memset(buf, 0x5a, sizeof buf);
    uint32_t di = (uint32_t)buf;
    cx = 8;
    __asm__ volatile("rep insb" : "+D"(di), "+c"(cx) : "d"(0x3e0) : "memory");
    printf("rep insb from 0x3e0:");
    for (int i = 0; i < 10; i++) printf(" %02x", buf[i]);
    putchar('\n');
    CHECK(buf[0] == 0xff && buf[7] == 0xff && buf[8] == 0x5a && di == (uint32_t)buf + 8, "rep insb");
    uint16_t wbuf[4] = { 0, 0, 0, 0 };
    di = (uint32_t)wbuf;
    cx = 3;
    __asm__ volatile("rep insw" : "+D"(di), "+c"(cx) : "d"(0x3e0) : "memory");
    printf("rep insw from 0x3e0: %04x %04x %04x %04x\n", wbuf[0], wbuf[1], wbuf[2], wbuf[3]);
    CHECK(wbuf[2] == 0xffff && wbuf[3] == 0, "rep insw");
}

int main(void)
{
    test_gdt();
    test_control_registers();
    test_interrupt_flag();
    test_io();
    return finish("system");
}
