/*
 * guest_main.c - run one benchmark workload as a bt guest (Multiboot kernel).
 *
 * Linked with the guest runtime (guests/runtime: start.S, serial console,
 * poweroff) and exactly the workload object file the native program uses.
 *
 * The iteration count comes from the kernel command line, as under QEMU:
 *     bt run NAME.elf --append iters=N
 *     qemu-system-i386 -kernel NAME.elf -append iters=N ...
 * (default: the workload's default count). iters=0 runs no work: the
 * runners time it to subtract the boot and shutdown overhead.
 *
 * Output on COM1 (one line), then ACPI power-off (exit status 0):
 *   BENCH name=NAME iterations=N checksum=0x%016llx tsc=TICKS
 * tsc is the RDTSC delta over workload_run(); its rate is the engine's
 * (bt: a 1 GHz clock; QEMU TCG and KVM: the host's TSC rate).
 */
#include "rt.h"
#include "workloads/bench.h"

/* Parse "iters=N" (or "iterations=N") anywhere in the command line.
 * Returns 1 and sets *out when found. */
static int parse_iterations(const char *cmd, unsigned *out)
{
    static const char *const keys[] = { "iters=", "iterations=" };
    const char *p = cmd;

    while (*p) {
        while (*p == ' ')
            p++;
        for (unsigned k = 0; k < ARRAY_SIZE(keys); k++) {
            size_t n = strlen(keys[k]);
            if (memcmp(p, keys[k], n) == 0 && p[n] >= '0' && p[n] <= '9') {
                unsigned v = 0;
                for (p += n; *p >= '0' && *p <= '9'; p++)
                    v = v * 10 + (unsigned)(*p - '0');
                *out = v;
                return 1;
            }
        }
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

int main(void)
{
    unsigned iterations = workload_info.default_iterations;

    if (mb_magic == MULTIBOOT_BOOTLOADER_MAGIC) {
        const struct multiboot_info *mbi = (const struct multiboot_info *)mb_info;
        if ((mbi->flags & MBI_FLAG_CMDLINE) && mbi->cmdline)
            parse_iterations((const char *)mbi->cmdline, &iterations);
    }

    uint64_t t0 = rdtsc();
    unsigned long long sum = workload_run(iterations);
    uint64_t t1 = rdtsc();

    printf("BENCH name=%s iterations=%u checksum=0x%016llx tsc=%llu\n",
           workload_info.name, iterations, sum, (unsigned long long)(t1 - t0));
    return 0;                                   /* start.S powers off */
}
