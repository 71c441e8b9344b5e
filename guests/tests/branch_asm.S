/* branch_asm.S - conditional jumps, indirect jumps and calls in pure assembly
 * for branch.c. cdecl: arguments on the stack, result in EAX. */

        .text

/* uint32_t jcc_short(uint32_t eflags): bit i set when condition i is taken
 * (o no b ae e ne be a s ns p np l ge le g) using rel8 jumps (7x). */
.macro JSHORT cc, bit
        pushl   %edx
        popfl
        {disp8} j\cc 1f
        {disp8} jmp 2f
1:      orl     $(1 << \bit), %eax
2:
.endm

/* the same with rel32 jumps (0F 8x) over a gap that rel8 could not span */
.macro JNEAR cc, bit
        pushl   %edx
        popfl
        {disp32} j\cc 1f
        {disp32} jmp 2f
        .skip   160, 0x90
1:      orl     $(1 << \bit), %eax
2:
.endm

.macro ALLCC m
        \m o, 0
        \m no, 1
        \m b, 2
        \m ae, 3
        \m e, 4
        \m ne, 5
        \m be, 6
        \m a, 7
        \m s, 8
        \m ns, 9
        \m p, 10
        \m np, 11
        \m l, 12
        \m ge, 13
        \m le, 14
        \m g, 15
.endm

        .globl  jcc_short
jcc_short:
        movl    4(%esp), %edx
        xorl    %eax, %eax
        ALLCC   JSHORT
        ret

        .globl  jcc_near
jcc_near:
        movl    4(%esp), %edx
        xorl    %eax, %eax
        ALLCC   JNEAR
        ret

/* backward conditional jumps: uint32_t jcc_back(uint32_t eflags) - the same
 * mask, each condition tested with a taken/not-taken jump to an earlier label */
.macro JBACK cc, bit
        jmp     3f
1:      orl     $(1 << \bit), %eax
        jmp     2f
3:      pushl   %edx
        popfl
        j\cc    1b
2:
.endm
        .globl  jcc_back
jcc_back:
        movl    4(%esp), %edx
        xorl    %eax, %eax
        ALLCC   JBACK
        ret

/* uint32_t stdcall3(a, b, c): returns a + 2b + 3c and pops its arguments */
        .globl  stdcall3
stdcall3:
        movl    4(%esp), %eax
        addl    8(%esp), %eax
        addl    8(%esp), %eax
        addl    12(%esp), %eax
        addl    12(%esp), %eax
        addl    12(%esp), %eax
        ret     $12

/* uint32_t ret0(void): ends with ret imm16 = 0 (C2 00 00) */
        .globl  ret0
ret0:
        movl    $0x1234, %eax
        ret     $0

/* uint32_t asm_switch(uint32_t k): jump table through memory */
        .globl  asm_switch
asm_switch:
        movl    4(%esp), %eax
        cmpl    $5, %eax
        ja      .Ldefault
        jmp     *.Ltable(,%eax,4)
.Lcase0: movl   $100, %eax
        ret
.Lcase1: movl   $111, %eax
        ret
.Lcase2: movl   $122, %eax
        ret
.Lcase3: movl   $133, %eax
        ret
.Lcase4: movl   $144, %eax
        ret
.Lcase5: movl   $155, %eax
        ret
.Ldefault:
        movl    $999, %eax
        ret
        .section .rodata
        .balign 4
.Ltable:
        .long   .Lcase0, .Lcase1, .Lcase2, .Lcase3, .Lcase4, .Lcase5
        .text

/* uint32_t get_eip_delta(void): call/pop idiom; returns popped EIP minus the
 * label address (0 when correct) */
        .globl  get_eip_delta
get_eip_delta:
        call    1f
1:      popl    %eax
        subl    $1b, %eax
        ret

/* uint32_t indirect_calls(void): call through a register, through memory
 * (absolute and indexed), jmp through a register and through memory. */
        .globl  indirect_calls
indirect_calls:
        pushl   %ebx
        xorl    %eax, %eax
        movl    $.Ladd1, %ecx
        call    *%ecx                   /* FF D1 */
        call    *.Lptr_add10            /* FF 15 abs */
        movl    $1, %ebx
        call    *.Lfuncs(,%ebx,4)       /* FF 14 9D */
        movl    $.Lfuncs, %ebx
        call    *8(%ebx)                /* FF 53 08 */
        movl    $.Lj1, %edx
        jmp     *%edx                   /* FF E2 */
        addl    $0x10000000, %eax       /* skipped */
.Lj1:   jmp     *.Lptr_j2               /* FF 25 abs */
        addl    $0x20000000, %eax       /* skipped */
.Lj2:   popl    %ebx
        ret
.Ladd1:  addl   $1, %eax
        ret
.Ladd10: addl   $10, %eax
        ret
.Ladd100: addl  $100, %eax
        ret
.Ladd1000: addl $1000, %eax
        ret
        .section .rodata
        .balign 4
.Lptr_add10: .long .Ladd10
.Lptr_j2:    .long .Lj2
.Lfuncs:     .long .Ladd1, .Ladd100, .Ladd1000
        .text

        .section .note.GNU-stack, "", @progbits
