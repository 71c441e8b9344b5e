/* rt.h - the freestanding runtime shared by all bt guests. */
#ifndef BT_RT_H
#define BT_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"

/* Platform constants (see /work/shared/DESIGN.md, "The guest platform"). */
#define COM1_PORT        0x3F8
#define DEBUG_EXIT_PORT  0xF4
#define ACPI_PM1A_CNT    0x604      /* PIIX4 PM1a control as SeaBIOS sets it up */
#define ACPI_SLP_EN      0x2000
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002

/* Saved by start.S from EAX / EBX at entry. */
extern uint32_t mb_magic;
extern uint32_t mb_info;

/* The 64 KiB boot stack (in .bss) set up by start.S. */
extern char rt_stack_bottom[], rt_stack_top[];

/* Multiboot v1 information structure (the fields we use). */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
};

#define MBI_FLAG_MEM        (1u << 0)
#define MBI_FLAG_CMDLINE    (1u << 2)
#define MBI_FLAG_MMAP       (1u << 6)
#define MBI_FLAG_LOADER     (1u << 9)

/* Serial console (COM1, polled). start.S calls serial_init before main. */
void serial_init(void);
int putchar(int c);
int puts(const char *s);            /* writes s and a newline, like libc */
void serial_write(const char *s, size_t n);

/* printf family: %d %i %u %x %X %c %s %p %%, flags '-' '0' '+' ' ' '#',
 * width, precision, and the hh/h/l/ll length modifiers. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Ending the run. */
void bt_exit(int code) __attribute__((noreturn));   /* status (code<<1)|1 */
void poweroff(void) __attribute__((noreturn));      /* status 0 */

/* Minimal libc pieces (gcc may emit calls to memcpy/memset itself). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
