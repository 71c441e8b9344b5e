/* ud.c (bt-only) - prints a line, then executes UD2 with no IDT loaded.
 * The #UD cannot be delivered: bt must stop cleanly and report the invalid
 * opcode (QEMU triple-faults and, with -no-reboot, just exits).
 */
#include "rt.h"

int main(void)
{
    puts("ud: about to execute ud2");
    __asm__ volatile("ud2");
    puts("ud: still running after ud2 (wrong)");
    return 1;
}
