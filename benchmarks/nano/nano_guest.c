/*
 * nano_guest.c - the nanobenchmarks as a Multiboot kernel (bt, QEMU, KVM).
 *
 * Linked with the guest runtime (guests/runtime) and the same nano.o and
 * nano_core.o as the native program. Options come from the kernel command
 * line (QEMU's -append, bt's --append), all optional:
 *
 *     iters=N        loop iterations of each timed run (default: for each
 *                    operation, what makes its loop last about target ticks)
 *     target=T       ticks that one timed loop should last when iters is
 *                    not given (default 10000000: 10 ms under bt)
 *     rounds=N       timed rounds per loop; the minimum is kept (default 5)
 *     ops=a,b,c      run only these operations (default: all)
 *
 * Output on COM1: one NANO line per operation (see nano_print.h), one per
 * pending operation, then "NANO done"; then ACPI power-off. An unknown
 * operation name ends the run with exit status 1 (bt_exit) after saying so.
 *
 * Runs in Ring 0 with interrupts off; both PICs are masked first so that
 * the STI loops take no interrupt under QEMU (whose BIOS leaves the PIT
 * running with no IDT that a Multiboot kernel could use).
 */
#include "rt.h"
#include "nano.h"
#include "nano_print.h"

static int starts_with(const char *p, const char *key, const char **rest)
{
    size_t n = strlen(key);
    if (memcmp(p, key, n) != 0)
        return 0;
    *rest = p + n;
    return 1;
}

static unsigned parse_uint(const char *p)
{
    unsigned v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (unsigned)(*p++ - '0');
    return v;
}

/* The comma-separated list at p (it ends at a space or the end of the
 * command line): sets *name and *len to its first item, returns the rest
 * (0 at the end). */
static const char *list_next(const char *p, const char **name, unsigned *len)
{
    const char *e = p;
    if (!*p || *p == ' ')
        return 0;
    while (*e && *e != ' ' && *e != ',')
        e++;
    *name = p;
    *len = (unsigned)(e - p);
    return *e == ',' ? e + 1 : e;
}

int main(void)
{
    const char *cmd = "";
    const char *ops = 0;
    unsigned iters = 0, rounds = NANO_DEFAULT_ROUNDS;
    nano_u64 target = NANO_DEFAULT_TARGET;

    if (mb_magic == MULTIBOOT_BOOTLOADER_MAGIC) {
        const struct multiboot_info *mbi = (const struct multiboot_info *)mb_info;
        if ((mbi->flags & MBI_FLAG_CMDLINE) && mbi->cmdline)
            cmd = (const char *)mbi->cmdline;
    }
    for (const char *p = cmd; *p;) {
        const char *v;
        while (*p == ' ')
            p++;
        if (starts_with(p, "iters=", &v))
            iters = parse_uint(v);
        else if (starts_with(p, "target=", &v))
            target = parse_uint(v);
        else if (starts_with(p, "rounds=", &v))
            rounds = parse_uint(v);
        else if (starts_with(p, "ops=", &v))
            ops = v;
        while (*p && *p != ' ')
            p++;
    }

    const char *name;
    unsigned len;
    for (const char *p = ops; p && (p = list_next(p, &name, &len));) {
        if (len && !nano_find(name, len)) {     /* refuse unknown names first */
            printf("NANO error unknown operation '%.*s'\n", (int)len, name);
            bt_exit(1);
        }
    }

    cli();
    outb(0x21, 0xFF);                   /* mask every IRQ on both PICs */
    outb(0xA1, 0xFF);

    printf("NANO begin reps=%u rounds=%u\n", NANO_REPS, rounds);
    for (unsigned i = 0; i < nano_test_count; i++) {
        const struct nano_test *t = &nano_tests[i];
        int wanted = !ops;
        for (const char *p = ops; p && (p = list_next(p, &name, &len));)
            wanted |= nano_find(name, len) == t;
        if (!wanted)
            continue;
        struct nano_result r;
        nano_measure(t, iters ? iters : nano_calibrate(t, target), rounds, &r);
        cli();                          /* the STI loops leave IF set */
        nano_print_result(t, &r);
    }
    nano_print_pending();
    printf("NANO done\n");
    return 0;
}
