/* interrupts.c - interrupt and exception delivery through an IDT:
 * INT n (interrupt and trap gates), INT3, INTO, #DE, #UD and #GP with the
 * faulting EIP, error code and registers as the hardware leaves them, and
 * IRQ 0 from the PIT: first with the PIC at the base the BIOS left (IRQ 0
 * arrives as vector 8), then with the PIC remapped to 0x20 and the PIT
 * reprogrammed to 1 kHz, waking HLT.
 *
 * Only counts and facts are printed, never times.
 */
#include "../tests/common.h"

void int_load_gdt(void);
extern uint8_t int_stubs[];

struct frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, err;
    uint32_t eip, cs, eflags;
};

static uint64_t idt[256] __attribute__((aligned(8)));

static volatile uint32_t last_vector, last_err, last_eip, last_cs, last_eflags, last_ecx;
static volatile uint32_t last_if_inside;        /* IF while the handler runs */
static volatile uint32_t skip_bytes;           /* faults: advance EIP by this much */
static volatile uint32_t ticks_vec8, ticks_vec32, stray;
static volatile uint32_t irq_mode;             /* 0: none expected, 1: base 8, 2: base 0x20 */

void int_dispatch(struct frame *f)
{
    uint32_t v = f->vector;
    if (irq_mode == 1 && v == 8) {
        ticks_vec8++;
        outb(0x20, 0x20);                      /* EOI */
        return;
    }
    if (irq_mode == 2 && v == 0x20) {
        ticks_vec32++;
        outb(0x20, 0x20);
        return;
    }
    last_if_inside = !!(read_eflags() & F_IF);
    last_vector = v;
    last_err = f->err;
    last_eip = f->eip;
    last_cs = f->cs;
    last_eflags = f->eflags;
    last_ecx = f->ecx;
    switch (v) {
    case 0: case 6: case 13:                   /* faults: skip the instruction */
        f->eip += skip_bytes;
        break;
    case 0x30:                                 /* a "system call": eax = eax * 2 + 1 */
        f->eax = f->eax * 2 + 1;
        break;
    case 3: case 4: case 0x31:
        break;
    default:
        stray++;
        printf("unexpected vector %u (error code %x)\n", v, f->err);
        if (v < 32)
            bt_exit(0x7e);                     /* an unhandled exception: give up */
        break;
    }
}

static void set_gate(int v, int trap)
{
    uint32_t off = (uint32_t)int_stubs + 16 * v;
    idt[v] = (uint64_t)(off & 0xffff) | (uint64_t)0x08 << 16
             | (uint64_t)(trap ? 0x8f : 0x8e) << 40 | (uint64_t)(off >> 16) << 48;
}

static void setup(void)
{
    int_load_gdt();
    for (int v = 0; v < 256; v++)
        set_gate(v, v == 0x31);
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } d = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
    outb(0x21, 0xff);                          /* all IRQs masked for now */
    outb(0xa1, 0xff);
}

extern char l_int30[], l_int3_after[], l_into_after[], l_div[], l_ud2[], l_gp[];

static void test_software(void)
{
    uint32_t a = 20;
    __asm__ volatile("l_int30: int $0x30" : "+a"(a) : : "memory");
    printf("int $0x30: handler returned eax=%u, saved cs=%02x\n", a, last_cs);
    CHECK(a == 41 && last_vector == 0x30 && last_eip == (uint32_t)l_int30 + 2 && last_cs == 8,
          "int 0x30");

    /* an interrupt gate clears IF inside the handler, a trap gate does not;
     * IRQs stay masked at the PIC so IF=1 is safe here */
    uint32_t inside;
    __asm__ volatile("sti\n\tint $0x30\n\tpushfl\n\tpopl %0\n\tcli" : "=r"(inside), "+a"(a) : : "memory");
    uint32_t saved_gate = last_eflags, if_gate = last_if_inside;
    __asm__ volatile("sti\n\tint $0x31\n\tcli" : : : "memory");
    uint32_t saved_trap = last_eflags, if_trap = last_if_inside;
    printf("IF inside the handler: interrupt gate %u, trap gate %u\n", if_gate, if_trap);
    printf("IF in the saved EFLAGS %u %u, after iret %u\n", !!(saved_gate & F_IF),
           !!(saved_trap & F_IF), !!(inside & F_IF));
    CHECK(!if_gate && if_trap, "interrupt gates clear IF, trap gates do not");
    CHECK((saved_gate & F_IF) && (saved_trap & F_IF) && (inside & F_IF), "IF saved and restored");

    __asm__ volatile("int3\n" "l_int3_after:" : : : "memory");
    printf("int3: vector %u, saved EIP %s\n", last_vector,
           last_eip == (uint32_t)l_int3_after ? "= next instruction" : "WRONG");
    CHECK(last_vector == 3 && last_eip == (uint32_t)l_int3_after, "int3");

    last_vector = 0xff;
    __asm__ volatile("pushl $0\n\tpopfl\n\tinto" : : : "cc", "memory");
    printf("into with OF=0: %s\n", last_vector == 0xff ? "no interrupt" : "INTERRUPT");
    CHECK(last_vector == 0xff, "into OF=0");
    __asm__ volatile("pushl $0x802\n\tpopfl\n\tinto\n" "l_into_after:" : : : "cc", "memory");
    printf("into with OF=1: vector %u, saved EIP %s\n", last_vector,
           last_eip == (uint32_t)l_into_after ? "= next instruction" : "WRONG");
    CHECK(last_vector == 4 && last_eip == (uint32_t)l_into_after, "into OF=1");
}

static void test_faults(void)
{
    /* #DE: EIP points at the DIV itself; ECX shows the previous instruction
     * ran and the next did not */
    uint32_t ecx;
    skip_bytes = 2;
    __asm__ volatile("movl $1, %%ecx\n\t"
                     "xorl %%ebx, %%ebx\n\t"
                     "movl $7, %%eax\n\t"
                     "xorl %%edx, %%edx\n"
                     "l_div: divl %%ebx\n\t"           /* F7 F3: 2 bytes */
                     "addl $100, %%ecx"
                     : "=c"(ecx) : : "eax", "ebx", "edx", "cc", "memory");
    printf("#DE: vector %u, saved EIP %s, ecx at fault %u, after %u\n", last_vector,
           last_eip == (uint32_t)l_div ? "= the div" : "WRONG", last_ecx, ecx);
    CHECK(last_vector == 0 && last_eip == (uint32_t)l_div && last_ecx == 1 && ecx == 101, "#DE");

    __asm__ volatile("movl $2, %%ecx\n"
                     "l_ud2: ud2\n\t"
                     "addl $100, %%ecx"
                     : "=c"(ecx) : : "cc", "memory");
    printf("#UD: vector %u, saved EIP %s, ecx at fault %u, after %u\n", last_vector,
           last_eip == (uint32_t)l_ud2 ? "= the ud2" : "WRONG", last_ecx, ecx);
    CHECK(last_vector == 6 && last_eip == (uint32_t)l_ud2 && last_ecx == 2 && ecx == 102, "#UD");

    /* #GP: loading a selector beyond the GDT limit; error code = selector */
    uint16_t es_after;
    __asm__ volatile("movl $3, %%ecx\n\t"
                     "movw $0x38, %%ax\n"
                     "l_gp: movw %%ax, %%es\n\t"       /* 8E C0: 2 bytes */
                     "addl $100, %%ecx\n\t"
                     "movw %%es, %%ax"
                     : "=c"(ecx), "=a"(es_after) : : "cc", "memory");
    printf("#GP: vector %u, error code %#x, saved EIP %s, ES kept %#04x, after %u\n",
           last_vector, last_err, last_eip == (uint32_t)l_gp ? "= the mov" : "WRONG", es_after, ecx);
    CHECK(last_vector == 13 && last_err == 0x38 && last_eip == (uint32_t)l_gp && es_after == 0x10
          && ecx == 103, "#GP");
}

static void wait_ticks(volatile uint32_t *counter, uint32_t n)
{
    uint32_t guard = 0;
    while (*counter < n && guard++ < 100000)
        __asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
}

static void test_timer(void)
{
    /* the PIC as the BIOS left it: IRQ 0 is vector 8 */
    irq_mode = 1;
    outb(0x21, 0xfe);                          /* unmask IRQ 0 only */
    wait_ticks(&ticks_vec8, 3);
    outb(0x21, 0xff);
    printf("PIT at boot: %s timer interrupts as vector 8 (BIOS PIC base)\n",
           ticks_vec8 >= 3 ? "3" : "too few");
    CHECK(ticks_vec8 >= 3, "IRQ 0 at vector 8");

    /* remap the PICs to 0x20 / 0x28 and run the PIT at about 1 kHz */
    irq_mode = 2;
    outb(0x20, 0x11); outb(0xa0, 0x11);        /* ICW1: edge, cascade, ICW4 */
    outb(0x21, 0x20); outb(0xa1, 0x28);        /* ICW2: vector bases */
    outb(0x21, 0x04); outb(0xa1, 0x02);        /* ICW3: slave on IRQ 2 */
    outb(0x21, 0x01); outb(0xa1, 0x01);        /* ICW4: 8086 mode */
    outb(0x43, 0x34);                          /* channel 0, lo/hi, mode 2 */
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    outb(0xa1, 0xff);
    outb(0x21, 0xfe);
    wait_ticks(&ticks_vec32, 20);
    outb(0x21, 0xff);
    irq_mode = 0;
    printf("PIC remapped, PIT at 1 kHz: %s interrupts as vector 0x20, hlt woke up each time\n",
           ticks_vec32 >= 20 ? "20" : "too few");
    CHECK(ticks_vec32 >= 20, "IRQ 0 at vector 0x20");
    CHECK(stray == 0, "no stray interrupts");
}

int main(void)
{
    setup();
    test_software();
    test_faults();
    test_timer();
    return finish("interrupts");
}
