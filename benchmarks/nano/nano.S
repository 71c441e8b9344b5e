/*
 * nano.S - the timed loops of the nanobenchmarks (see nano.h).
 *
 * Every function is  void f(uint32_t iterations)  (cdecl) and runs
 *
 *         setup
 *     1:  pre;  NANO_REPS x rep;  post;  dec %edi;  jnz 1b
 *
 * The loop counter lives in EDI, which no operation here touches. A test's
 * baseline is the same loop with `rep` left out (nano_empty for most), so
 * that t_op - t_base is the cost of NANO_REPS x iterations operations.
 * Loops start on a 64-byte boundary so that op and baseline loops are laid
 * out alike.
 */
#include "nano.h"

        .text
        .equ    REPS, NANO_REPS         /* for use inside macro arguments */

.macro LOOP fname, setup, pre, rep, post
        .globl  \fname
        .type   \fname, @function
        .p2align 6
\fname:
        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        movl    20(%esp), %edi
        testl   %edi, %edi
        jz      9f
        \setup
        .p2align 6
1:      \pre
        .rept   REPS
        \rep
        .endr
        \post
        decl    %edi
        jnz     1b
9:      popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        ret
        .size   \fname, . - \fname
.endm

/* The loop alone: the baseline of every test that needs no set-up. */
LOOP nano_empty, "", "", "", ""

/* A plain ALU op, one ordinary micro-op: a dependent chain of adds. */
LOOP nano_add, "xorl %ecx, %ecx; movl $1, %edx", "", "addl %edx, %ecx", ""

/* Interrupt flag (Ring 0). The guest driver masks the PIC first. */
LOOP nano_cli, "", "", "cli", ""
LOOP nano_sti, "", "", "sti", ""
LOOP nano_cli_sti, "", "", "cli; sti", ""

/* PUSHF: the pushed words are dropped after the repetitions; the
 * baseline has the same (here empty) stack adjustment. */
LOOP nano_pushf, "", "", "pushfl", "leal 4*REPS(%esp), %esp"
LOOP nano_pushf_base, "", "", "", "leal 0(%esp), %esp"

/* POPF: the words it pops were filled with the current EFLAGS before the
 * loop (nothing else writes below ESP here: interrupts are off or masked). */
#define POPF_FILL "pushfl; popl %eax; .rept REPS; pushl %eax; .endr; leal 4*REPS(%esp), %esp"
LOOP nano_popf, POPF_FILL, "leal -4*REPS(%esp), %esp", "popfl", ""
LOOP nano_popf_base, POPF_FILL, "leal 0(%esp), %esp", "", ""

LOOP nano_pushf_popf, "", "", "pushfl; popfl", ""

/* Port I/O: the POST port (no device state) and the UART's line status
 * register, the register that guests poll in tight loops. */
LOOP nano_in80, "", "", "inb $0x80, %al", ""
LOOP nano_in3fd, "movl $0x3fd, %edx", "", "inb %dx, %al", ""
LOOP nano_in3fd_base, "movl $0x3fd, %edx", "", "", ""
LOOP nano_out80, "xorl %eax, %eax", "", "outb %al, $0x80", ""
LOOP nano_out80_base, "xorl %eax, %eax", "", "", ""

/* Address-space switch to the same address space: a CR3 reload. */
LOOP nano_mov_cr3, "", "", "movl %cr3, %eax; movl %eax, %cr3", ""

/* CPUID leaf 0; the baseline keeps the leaf load. */
LOOP nano_cpuid, "", "", "xorl %eax, %eax; cpuid", ""
LOOP nano_cpuid_base, "", "", "xorl %eax, %eax", ""

LOOP nano_rdtsc, "", "", "rdtsc", ""

/* A near call to a function that only returns. */
LOOP nano_call_ret, "", "", "call nano_ret_only", ""

        .p2align 4
        .type   nano_ret_only, @function
nano_ret_only:
        ret
        .size   nano_ret_only, . - nano_ret_only

        .section .note.GNU-stack, "", @progbits
