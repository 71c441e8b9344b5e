/* lib.c - exit helpers and the few libc functions guests (and gcc) need. */
#include "rt.h"

void bt_exit(int code)
{
    outb(DEBUG_EXIT_PORT, (uint8_t)code);       /* isa-debug-exit: (code<<1)|1 */
    for (;;)
        __asm__ volatile("cli; hlt");
}

void poweroff(void)
{
    outw(ACPI_PM1A_CNT, ACPI_SLP_EN);           /* S5 soft-off: status 0 */
    /* The request may take effect a few instructions later (QEMU handles it
     * asynchronously), so only halt here: nothing else may run. */
    for (;;)
        __asm__ volatile("cli; hlt");
}

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else if (d > s) {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
