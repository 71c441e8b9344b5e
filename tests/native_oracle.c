/*
 * The hardware oracle: runs an instruction sequence natively, in this
 * 32-bit process, on the host CPU, with the same memory layout the
 * differential test gives Unicorn and bt (code at 0x10000, data at
 * 0x20000, stack below 0x30800).
 *
 * stdin:  uint32 regs[8] (eax ecx edx ebx esp ebp esi edi), uint32 eflags,
 *         uint32 code_len, code bytes (ending in HLT), 4096 data bytes
 * stdout: "ok" or "fault <eip>", then regs[8], eflags, the data and the
 *         stack region, as raw bytes.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_ADDR 0x10000u
#define DATA_ADDR 0x20000u
#define STACK_BASE 0x30000u
#define STACK_SPAN 0x900u
#define DATA_SIZE 4096u

/* Guest state in and out; the trampoline addresses these absolutely. */
uint32_t g_regs[8], g_eflags, g_exit_ptr;
uint32_t host_esp;
static uint32_t scratch_stack[64];
uint32_t scratch_top;

static void put(const void *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) != n)
        exit(3);
}

static void finish(const char *status)
{
    put(status, 8);
    put(g_regs, sizeof g_regs);
    put(&g_eflags, 4);
    put((void *)DATA_ADDR, DATA_SIZE);
    put((void *)STACK_BASE, STACK_SPAN);
    fflush(stdout);
    _exit(0);
}

static void on_fault(int sig, siginfo_t *info, void *ctx)
{
    ucontext_t *uc = ctx;
    char status[8];
    (void)sig;
    (void)info;
    snprintf(status, sizeof status, "F%06x", (unsigned)uc->uc_mcontext.gregs[REG_EIP] & 0xFFFFFF);
    for (int i = 0; i < 8; i++)
        g_regs[i] = 0;
    finish(status);
}

void run_guest(void);
__asm__(
    ".text\n"
    ".globl run_guest\n"
    "run_guest:\n"
    "  pushl %ebp\n  pushl %ebx\n  pushl %esi\n  pushl %edi\n"
    "  movl %esp, host_esp\n"
    "  pushl g_eflags\n  popfl\n"
    "  movl g_regs+0, %eax\n  movl g_regs+4, %ecx\n  movl g_regs+8, %edx\n"
    "  movl g_regs+12, %ebx\n  movl g_regs+20, %ebp\n  movl g_regs+24, %esi\n"
    "  movl g_regs+28, %edi\n  movl g_regs+16, %esp\n"
    "  jmp *%cs:guest_entry\n"
    ".globl guest_exit\n"
    "guest_exit:\n"
    /* Save the guest's registers without touching its stack. */
    "  movl %esp, g_regs+16\n  movl scratch_top, %esp\n"
    "  pushfl\n  popl g_eflags\n  cld\n"
    "  movl %eax, g_regs+0\n  movl %ecx, g_regs+4\n  movl %edx, g_regs+8\n"
    "  movl %ebx, g_regs+12\n  movl %ebp, g_regs+20\n  movl %esi, g_regs+24\n"
    "  movl %edi, g_regs+28\n"
    "  movl host_esp, %esp\n"
    "  popl %edi\n  popl %esi\n  popl %ebx\n  popl %ebp\n"
    "  ret\n"
    ".data\n"
    "guest_entry: .long 0x10000\n"
    ".text\n");
extern char guest_exit[];

static void read_all(void *p, size_t n)
{
    if (fread(p, 1, n, stdin) != n)
        exit(2);
}

int main(void)
{
    uint32_t len;
    struct sigaction sa;
    uint8_t *code = mmap((void *)CODE_ADDR, 0x10000, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    uint8_t *data = mmap((void *)DATA_ADDR, 0x10000, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    uint8_t *stack = mmap((void *)STACK_BASE, 0x10000, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (code == MAP_FAILED || data == MAP_FAILED || stack == MAP_FAILED)
        return 4;
    read_all(g_regs, sizeof g_regs);
    read_all(&g_eflags, 4);
    read_all(&len, 4);
    if (len == 0 || len > 0x8000)
        return 2;
    read_all(code, len);
    read_all(data, DATA_SIZE);
    /* Replace the final HLT with a jump back here: jmp *[g_exit_ptr]. */
    g_exit_ptr = (uint32_t)guest_exit;
    code[len - 1] = 0xFF;
    code[len] = 0x25;
    memcpy(code + len + 1, &(uint32_t){(uint32_t)&g_exit_ptr}, 4);
    scratch_top = (uint32_t)&scratch_stack[63];
    /* Faults are reported from a stack of their own: the guest's ESP may
     * point anywhere. */
    static uint8_t alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    run_guest();
    finish("ok      ");
    return 0;
}
