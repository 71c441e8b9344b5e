/* smc.c - self-modifying code.
 *
 * (a) patch the immediate of an instruction in another function, calling it
 *     before and after each patch;
 * (b) patch an instruction further on in the block that is executing (the
 *     patched instruction must run with its new bytes), both an immediate and
 *     a whole opcode, and a loop whose body rewrites one of its own
 *     instructions on every iteration;
 * (c) write whole functions into a buffer and call them, then overwrite the
 *     buffer and call again;
 * (d) write data that shares a page with code, which must not disturb it.
 */
#include "../tests/common.h"

__asm__(".text\n"
        /* (a) uint32_t smc_imm(void) */
        ".globl smc_imm\n"
        "smc_imm:\n"
        "    movl $0x11111111, %eax\n"          /* B8 imm32: imm at smc_imm+1 */
        "    ret\n"

        /* (b1) uint32_t smc_same_block(uint32_t v): stores v into the imm8 of
         * a later instruction of this block, then executes it */
        ".globl smc_same_block\n"
        "smc_same_block:\n"
        "    movl 4(%esp), %ecx\n"
        "    movb %cl, 1f+1\n"
        "1:  movl $0, %eax\n"                   /* B8 00 00 00 00 */
        "    ret\n"

        /* (b2) uint32_t smc_opcode(void): turns a later NOP into INC EAX */
        ".globl smc_opcode\n"
        "smc_opcode:\n"
        "    xorl %eax, %eax\n"
        "    movb $0x40, smc_opcode_site\n"
        ".globl smc_opcode_site\n"
        "smc_opcode_site:\n"
        "    nop\n"
        "    ret\n"

        /* (b3) uint32_t smc_loop(void): the loop body increments the imm8 of
         * its own ADD each time round: returns 0 + 1 + ... + 9 */
        ".globl smc_loop\n"
        "smc_loop:\n"
        "    xorl %eax, %eax\n"
        "    movl $10, %ecx\n"
        "    movb $0, 3f+2\n"
        "3:  addl $0, %eax\n"                   /* 83 C0 ib */
        "    incb 3b+2\n"
        "    loop 3b\n"
        "    ret\n"

        /* (d) a counter stored in the same page as code */
        ".globl smc_bump\n"
        "smc_bump:\n"
        "    incl smc_counter\n"
        "    movl smc_counter, %eax\n"
        "    ret\n"
        "    .balign 4\n"
        ".globl smc_counter\n"
        "smc_counter: .long 0\n");

uint32_t smc_imm(void);
uint32_t smc_same_block(uint32_t v);
uint32_t smc_opcode(void);
uint32_t smc_loop(void);
uint32_t smc_bump(void);
extern uint8_t smc_opcode_site[];
extern uint32_t smc_counter;

static void test_patch_other(void)
{
    volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)smc_imm;
    uint32_t before = smc_imm();
    *(volatile uint32_t *)(code + 1) = 0x22222222;
    uint32_t after = smc_imm();
    printf("(a) patched immediate: before %08x after %08x\n", before, after);
    CHECK(before == 0x11111111 && after == 0x22222222, "patch another function");

    /* many patches in a row, each followed by a call */
    uint32_t sum = 0, bad = 0;
    for (uint32_t i = 0; i < 200; i++) {
        *(volatile uint32_t *)(code + 1) = i * 3 + 1;
        uint32_t r = smc_imm();
        bad += r != i * 3 + 1;
        sum += r;
    }
    printf("(a) 200 patch+call rounds: sum %u, stale results %u\n", sum, bad);
    CHECK(bad == 0 && sum == 59900, "repeated patches");
}

static void test_same_block(void)
{
    uint32_t bad = 0, last = 0;
    for (uint32_t v = 1; v <= 100; v++) {
        last = smc_same_block(v);
        bad += last != v;
    }
    printf("(b) store into a later instruction of the running block: last %u, stale %u\n", last, bad);
    CHECK(bad == 0, "same-block immediate patch");

    uint32_t r[3];
    for (int i = 0; i < 3; i++) {
        smc_opcode_site[0] = 0x90;                 /* put the NOP back */
        r[i] = smc_opcode();
    }
    printf("(b) NOP rewritten to INC EAX before it runs: %u %u %u\n", r[0], r[1], r[2]);
    CHECK(r[0] == 1 && r[1] == 1 && r[2] == 1, "same-block opcode patch");

    uint32_t s1 = smc_loop(), s2 = smc_loop();
    printf("(b) loop rewriting its own ADD: %u, again %u\n", s1, s2);
    CHECK(s1 == 45 && s2 == 45, "self-rewriting loop");
}

static uint8_t jit[256] __attribute__((aligned(16)));

static void emit(const uint8_t *code, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((volatile uint8_t *)jit)[i] = code[i];
}

static void test_generated(void)
{
    typedef uint32_t (*fn0)(void);
    typedef uint32_t (*fn1)(uint32_t);
    static const uint8_t f1[] = { 0xb8, 0x34, 0x12, 0x00, 0x00,      /* mov $0x1234, %eax */
                                  0xc3 };                              /* ret */
    static const uint8_t f2[] = { 0x8b, 0x44, 0x24, 0x04,            /* mov 4(%esp), %eax */
                                  0x6b, 0xc0, 0x07,                  /* imul $7, %eax, %eax */
                                  0xc3 };
    static const uint8_t f3[] = { 0x8b, 0x4c, 0x24, 0x04,            /* mov 4(%esp), %ecx */
                                  0x31, 0xc0,                        /* xor %eax, %eax */
                                  0x01, 0xc8,                        /* 1: add %ecx, %eax */
                                  0xe2, 0xfc,                        /* loop 1b */
                                  0xc3 };                            /* sum n + ... + 1 */
    emit(f1, sizeof f1);
    uint32_t a = ((fn0)(uintptr_t)jit)();
    emit(f2, sizeof f2);
    uint32_t b = ((fn1)(uintptr_t)jit)(6);
    emit(f3, sizeof f3);
    uint32_t c = ((fn1)(uintptr_t)jit)(100);
    ((volatile uint8_t *)jit)[6] = 0x29;        /* add -> sub: 0 - sum */
    uint32_t d = ((fn1)(uintptr_t)jit)(10);
    emit(f1, sizeof f1);
    ((volatile uint8_t *)jit)[2] = 0x56;        /* mov $0x5634, %eax */
    uint32_t e = ((fn0)(uintptr_t)jit)();
    printf("(c) generated code: %x, %u, %u, %d, %x\n", a, b, c, (int32_t)d, e);
    CHECK(a == 0x1234 && b == 42 && c == 5050 && d == (uint32_t)-55 && e == 0x5634, "generated code");

    /* the same buffer rewritten many times */
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 100; i++) {
        uint8_t f[6] = { 0xb8, (uint8_t)i, (uint8_t)(i >> 8), 0, 0, 0xc3 };
        emit(f, sizeof f);
        bad += ((fn0)(uintptr_t)jit)() != i;
    }
    printf("(c) 100 rewrites of one buffer: stale results %u\n", bad);
    CHECK(bad == 0, "rewritten buffer");
}

static void test_data_near_code(void)
{
    uint32_t r = 0;
    smc_counter = 0;
    for (int i = 0; i < 1000; i++)
        r = smc_bump();
    printf("(d) counter in a code page: %u\n", r);
    CHECK(r == 1000 && smc_counter == 1000, "data next to code");
    CHECK(smc_imm() == 199 * 3 + 1, "code next to the counter is intact");
}

int main(void)
{
    test_patch_other();
    test_same_block();
    test_generated();
    test_data_near_code();
    return finish("smc");
}
