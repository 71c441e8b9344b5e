/* demo.c - the guest bundled with bt (bt/data/demo.elf).
 *
 * A short tour, printed on COM1, of what a guest kernel does that bt has to
 * virtualize: it boots through Multiboot, runs in 32-bit protected mode,
 * loads its own GDT, toggles the interrupt flag, talks to I/O ports, asks
 * CPUID who it runs on, computes something, and powers the machine off.
 *
 * Two lines differ between machines: the boot loader's name and the CPUID
 * vendor string. Everything else is the same under bt and under QEMU.
 */
#include "rt.h"

/* A GDT of our own: null, flat code (0x08), flat data (0x10). */
static const uint64_t gdt[3] __attribute__((aligned(8))) = {
    0,
    0x00cf9a000000ffffull,
    0x00cf92000000ffffull,
};

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint32_t base;
};

static void load_gdt(void)
{
    struct dtr d = { sizeof gdt - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp $0x08, $1f\n"          /* reload CS */
                     "1:\n\t"
                     "movw $0x10, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs\n\t"
                     "movw %%ax, %%ss"
                     : : "m"(d) : "eax", "memory");
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

#define LIMIT 100000
static uint8_t composite[LIMIT];

int main(void)
{
    struct multiboot_info *mbi = (struct multiboot_info *)mb_info;

    puts("bt demo: a tiny 32-bit kernel says hello");

    /* 1. Multiboot */
    printf("Multiboot magic: %#x\n", mb_magic);
    if (mb_magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & MBI_FLAG_LOADER))
        printf("boot loader: %s\n", (const char *)mbi->boot_loader_name);

    /* 2. protected mode: MOV from CR0 is privileged */
    uint32_t cr0 = read_cr0();
    printf("CR0.PE=%u: 32-bit protected mode, paging %s\n", cr0 & 1, cr0 >> 31 ? "on" : "off");

    /* 3. our own GDT, read back with SGDT */
    load_gdt();
    struct dtr back;
    __asm__ volatile("sgdt %0" : "=m"(back));
    uint16_t cs, ds;
    __asm__ volatile("movw %%cs, %0\n\tmovw %%ds, %1" : "=r"(cs), "=r"(ds));
    printf("LGDT: own GDT, SGDT reads it back: %s\n",
           back.base == (uint32_t)gdt && back.limit == sizeof gdt - 1 ? "yes" : "NO");
    printf("segments reloaded: CS=%#04x DS=%#04x\n", cs, ds);

    /* 4. the interrupt flag: CLI, STI, PUSHF, POPF */
    outb(0x21, 0xff);                   /* mask the PICs first: no IRQ may */
    outb(0xa1, 0xff);                   /* arrive while IF is set          */
    cli();
    uint32_t f0 = read_eflags();
    sti();
    uint32_t f1 = read_eflags();
    write_eflags(f0);                   /* POPF restores IF=0 */
    uint32_t f2 = read_eflags();
    printf("IF: CLI %u, STI %u, POPF %u\n", (f0 >> 9) & 1, (f1 >> 9) & 1, (f2 >> 9) & 1);

    /* 5. port I/O */
    outb(0x80, 0x42);
    uint8_t lsr = inb(COM1_PORT + 5);
    printf("OUT 0x80 (POST), IN COM1 status: %s\n", lsr & 0x20 ? "ready" : "busy");
    puts("(bt rewrote each of those sensitive");
    puts(" instructions into a callout to the VMM)");

    /* 6. who are we running on? */
    uint32_t a, b, c, d;
    char vendor[13];
    cpuid(0, 0, &a, &b, &c, &d);
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    printf("CPUID vendor: %s\n", vendor);

    /* 7. some honest work */
    uint32_t count = 0, sum = 0;
    for (uint32_t i = 2; i < LIMIT; i++) {
        if (composite[i])
            continue;
        count++;
        sum = sum * 31 + i;
        for (uint32_t j = i * i; j < LIMIT; j += i)
            composite[j] = 1;
    }
    printf("sieve: %u primes below %u\n", count, LIMIT);
    printf("their checksum: %08x\n", sum);
    printf("CRC32 of the sieve: %08x\n", crc32(composite, sizeof composite));

    /* 8. goodbye */
    puts("powering off (ACPI S5)");
    return 0;
}
