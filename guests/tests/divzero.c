/* divzero.c (bt-only) - prints a line, then divides by zero with no IDT
 * loaded. The #DE cannot be delivered: bt must stop cleanly and report the
 * exception (QEMU triple-faults and, with -no-reboot, just exits).
 */
#include "rt.h"

int main(void)
{
    puts("divzero: about to execute div by zero");
    uint32_t a = 1234, d = 0, q;
    __asm__ volatile("divl %[z]" : "=a"(q), "+d"(d) : "a"(a), [z] "r"(0) : "cc");
    printf("divzero: still running, quotient %u (wrong)\n", q);
    return 1;
}
