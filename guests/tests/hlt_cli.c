/* hlt_cli.c (bt-only) - prints a line, then halts with interrupts disabled.
 * Nothing can wake the CPU: bt stops the run and says so. Under QEMU the
 * guest simply hangs (there is no exit), so it has no expected output file.
 */
#include "rt.h"

int main(void)
{
    puts("hlt_cli: about to execute cli; hlt");
    __asm__ volatile("cli\n\thlt");
    puts("hlt_cli: still running after hlt (wrong)");
    return 1;
}
