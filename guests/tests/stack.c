/* stack.c - push/pop (register, memory, imm8, imm32, 16-bit with 0x66, ESP
 * itself), pusha/popa, enter/leave with nesting level 0 and > 0.
 *
 * The asm blocks save ESP in a global first and address their outputs by
 * absolute symbols, so they can move ESP freely. Results are printed as
 * values and as offsets from the saved ESP, never as raw stack addresses.
 */
#include "../tests/common.h"

uint32_t s_esp;            /* ESP at the start of a block */
uint32_t s_out[40];        /* results */
uint32_t s_mem = 0x600df00d;
uint32_t s_mem2;
int s_level;
uint32_t s_disp[4] = { 0x1111aaaa, 0x2222bbbb, 0x3333cccc, 0x4444dddd };  /* a fake display */

#define ALL_REGS "eax", "ebx", "ecx", "edx", "esi", "edi", "memory"

static void test_push_pop(void)
{
    __asm__ volatile("pushl %%ebp\n\t"
                     "movl %%esp, s_esp\n\t"
                     "pushl $-5\n\t"                    /* 6A: imm8 sign-extended */
                     "pushl $0x12345678\n\t"            /* 68: imm32 */
                     "pushl $0x7f\n\t"
                     "pushl $0x80\n\t"                  /* 68 (does not fit imm8) */
                     "pushl s_mem\n\t"                  /* FF /6 */
                     "movl $0xabcdef01, %%ebx\n\t"
                     "pushl %%ebx\n\t"                  /* 53 */
                     "pushw $0x4321\n\t"                /* 66 68: 2 bytes */
                     "pushw %%bx\n\t"                   /* 66 53 */
                     "movl %%esp, %%eax\n\t"
                     "subl s_esp, %%eax\n\t"
                     "movl %%eax, s_out+0\n\t"          /* depth: -28 */
                     "movl 0(%%esp), %%eax\n\tmovl %%eax, s_out+4\n\t"    /* 4321:ef01 */
                     "popw %%cx\n\t"                    /* 66 59 */
                     "popw %%dx\n\t"
                     "movw %%cx, s_out+8\n\tmovw %%dx, s_out+10\n\t"
                     "popl %%eax\n\tmovl %%eax, s_out+12\n\t"   /* ebx */
                     "popl s_mem2\n\t"                  /* 8F /0 */
                     "popl %%eax\n\tmovl %%eax, s_out+16\n\t"   /* 0x80 */
                     "popl %%eax\n\tmovl %%eax, s_out+20\n\t"   /* 0x7f */
                     "popl %%esi\n\tmovl %%esi, s_out+24\n\t"   /* 5E */
                     "popl %%edi\n\tmovl %%edi, s_out+28\n\t"   /* 5F */
                     "movl %%esp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+32\n\t"
                     /* push %esp pushes the value before the decrement */
                     "pushl %%esp\n\t"
                     "movl (%%esp), %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+36\n\t"
                     "addl $4, %%esp\n\t"
                     /* pop %esp loads ESP from the stack */
                     "leal -64(%%esp), %%eax\n\t"
                     "pushl %%eax\n\t"
                     "popl %%esp\n\t"
                     "movl %%esp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+40\n\t"
                     "movl s_esp, %%esp\n\t"
                     /* pop into an ESP-relative address uses ESP after the pop */
                     "pushl $0\n\t"
                     "pushl $0x5a5a5a5a\n\t"
                     "popl (%%esp)\n\t"                 /* stores over the $0 slot */
                     "popl %%eax\n\tmovl %%eax, s_out+44\n\t"
                     /* push of an ESP-relative memory operand reads before the decrement */
                     "pushl $0x77\n\t"
                     "pushl (%%esp)\n\t"
                     "popl %%eax\n\tmovl %%eax, s_out+48\n\t"
                     "addl $4, %%esp\n\t"
                     "popl %%ebp"
                     : : : ALL_REGS);
    const int32_t *o = (const int32_t *)s_out;
    printf("push depth after 6 pushl + 2 pushw: %d\n", o[0]);
    CHECK(o[0] == -28, "pushw moves ESP by 2");
    printf("pushw $0x4321 / pushw %%bx: %08x\n", s_out[1]);
    CHECK(s_out[1] == 0x4321ef01, "pushw contents");
    printf("popw cx, dx: %04x %04x\n", s_out[2] & 0xffff, s_out[2] >> 16);
    CHECK(s_out[2] == 0x4321ef01, "popw");
    printf("push ebx -> %08x, push mem -> pop mem %08x\n", s_out[3], s_mem2);
    CHECK(s_out[3] == 0xabcdef01 && s_mem2 == 0x600df00d, "push reg / push mem / pop mem");
    printf("push $0x80 -> %08x, push $0x7f -> %08x\n", s_out[4], s_out[5]);
    CHECK(s_out[4] == 0x80 && s_out[5] == 0x7f, "push imm");
    printf("push $0x12345678 -> %08x, push $-5 -> %08x\n", s_out[6], s_out[7]);
    CHECK(s_out[6] == 0x12345678 && s_out[7] == 0xfffffffb, "push imm32 / imm8");
    printf("balanced: %d\n", o[8]);
    CHECK(o[8] == 0, "pushes and pops balance");
    printf("push esp stores esp%+d\n", o[9]);
    CHECK(o[9] == 0, "push esp pushes the old value");
    printf("pop esp -> esp%+d\n", o[10]);
    CHECK(o[10] == -64, "pop esp");
    printf("pop (%%esp) -> %08x\n", s_out[11]);
    CHECK(s_out[11] == 0x5a5a5a5a, "pop to (%%esp) uses the incremented ESP");
    printf("push (%%esp) -> %08x\n", s_out[12]);
    CHECK(s_out[12] == 0x77, "push (%%esp)");
}

static void test_pusha(void)
{
    __asm__ volatile("pushl %%ebp\n\t"
                     "movl %%esp, s_esp\n\t"
                     "movl $0xa0, %%eax\n\tmovl $0xc1, %%ecx\n\tmovl $0xd2, %%edx\n\t"
                     "movl $0xb3, %%ebx\n\tmovl $0xe5, %%ebp\n\tmovl $0xf6, %%esi\n\t"
                     "movl $0x07, %%edi\n\t"
                     "pushal\n\t"
                     "movl $8, %%ecx\n"
                     "1:\n\t"
                     "movl -4(%%esp,%%ecx,4), %%eax\n\t"
                     "movl %%eax, s_out-4(,%%ecx,4)\n\t"
                     "loop 1b\n\t"
                     /* change the saved values, then popa */
                     "movl $0x1a, 28(%%esp)\n\t"       /* eax */
                     "movl $0x1b, 16(%%esp)\n\t"       /* ebx */
                     "movl $0xdead, 12(%%esp)\n\t"     /* esp: ignored by popa */
                     "movl $0x1e, 8(%%esp)\n\t"        /* ebp */
                     "movl $0x1d, 0(%%esp)\n\t"        /* edi */
                     "popal\n\t"
                     "movl %%eax, s_out+32\n\tmovl %%ecx, s_out+36\n\tmovl %%edx, s_out+40\n\t"
                     "movl %%ebx, s_out+44\n\tmovl %%ebp, s_out+48\n\tmovl %%esi, s_out+52\n\t"
                     "movl %%edi, s_out+56\n\t"
                     "movl %%esp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+60\n\t"
                     "movl s_esp, %%esp\n\t"
                     "popl %%ebp"
                     : : : ALL_REGS);
    static const char *const order[8] = { "edi", "esi", "ebp", "esp", "ebx", "edx", "ecx", "eax" };
    static const uint32_t want[8] = { 0x07, 0xf6, 0xe5, 0, 0xb3, 0xd2, 0xc1, 0xa0 };
    printf("pusha image (from ESP up):");
    for (int i = 0; i < 8; i++) {
        if (i == 3) {
            printf(" %s=esp%+d", order[i], (int)(s_out[i] - s_esp));
            CHECK(s_out[i] == s_esp, "pusha saves the original ESP");
        } else {
            printf(" %s=%x", order[i], s_out[i]);
            CHECK(s_out[i] == want[i], "pusha %s", order[i]);
        }
    }
    putchar('\n');
    printf("popa: eax=%x ecx=%x edx=%x ebx=%x ebp=%x esi=%x edi=%x esp%+d\n", s_out[8], s_out[9],
           s_out[10], s_out[11], s_out[12], s_out[13], s_out[14], (int)s_out[15]);
    CHECK(s_out[8] == 0x1a && s_out[9] == 0xc1 && s_out[10] == 0xd2 && s_out[11] == 0x1b
          && s_out[12] == 0x1e && s_out[13] == 0xf6 && s_out[14] == 0x1d && s_out[15] == 0,
          "popa");
}

static void test_enter_leave(void)
{
    /* level 0 */
    __asm__ volatile("pushl %%ebp\n\t"
                     "movl %%esp, s_esp\n\t"
                     "movl $0x11223344, %%ebp\n\t"
                     "enter $24, $0\n\t"
                     "movl %%ebp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+0\n\t"
                     "movl %%esp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+4\n\t"
                     "movl (%%ebp), %%eax\n\tmovl %%eax, s_out+8\n\t"
                     "leave\n\t"
                     "movl %%ebp, s_out+12\n\t"
                     "movl %%esp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+16\n\t"
                     "movl s_esp, %%esp\n\t"
                     "popl %%ebp"
                     : : : ALL_REGS);
    const int32_t *o = (const int32_t *)s_out;
    printf("enter $24,$0: ebp=esp%+d esp=esp%+d saved=%08x; leave: ebp=%08x esp%+d\n",
           o[0], o[1], s_out[2], s_out[3], o[4]);
    CHECK(o[0] == -4 && o[1] == -28 && s_out[2] == 0x11223344 && s_out[3] == 0x11223344
          && o[4] == 0, "enter/leave level 0");

    /* levels 1, 2 and 3: EBP points just past a fake display of frame pointers */
    for (int level = 1; level <= 3; level++) {
        for (int i = 0; i < 40; i++) s_out[i] = 0;
        s_level = level;
        __asm__ volatile("pushl %%ebp\n\t"
                         "movl %%esp, s_esp\n\t"
                         "movl $s_disp+16, %%ebp\n\t"
                         "cmpl $1, s_level\n\t"
                         "je 1f\n\t"
                         "cmpl $2, s_level\n\t"
                         "je 2f\n\t"
                         "enter $8, $3\n\t"
                         "jmp 3f\n"
                         "1: enter $8, $1\n\t"
                         "jmp 3f\n"
                         "2: enter $8, $2\n"
                         "3:\n\t"
                         "movl %%ebp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+0\n\t"
                         "movl %%esp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+4\n\t"
                         /* the frame: saved ebp, copied display entries, frame temp */
                         "movl -4(%%ebp), %%eax\n\tmovl %%eax, s_out+8\n\t"
                         "movl -8(%%ebp), %%eax\n\tmovl %%eax, s_out+12\n\t"
                         "movl -12(%%ebp), %%eax\n\tmovl %%eax, s_out+16\n\t"
                         "movl 0(%%ebp), %%eax\n\tmovl %%eax, s_out+20\n\t"
                         "leave\n\t"
                         "movl %%ebp, s_out+24\n\t"
                         "movl %%esp, %%eax\n\tsubl s_esp, %%eax\n\tmovl %%eax, s_out+28\n\t"
                         "movl s_esp, %%esp\n\t"
                         "popl %%ebp"
                         : : : ALL_REGS);
        /* enter $8,$L: push ebp; copy L-1 display entries from [ebp-4], [ebp-8]..;
         * push the new frame pointer; ebp = frame; esp -= 8 */
        int32_t fr = o[0], sp = o[1];
        printf("enter $8,$%d: ebp=esp%+d esp=esp%+d frame:", level, fr, sp);
        int words = level;     /* entries below the saved EBP: L-1 copies + frame temp */
        for (int i = 0; i < words && i < 3; i++)
            printf(" %x", i == words - 1 ? s_out[2 + i] - s_esp : s_out[2 + i]);
        printf(" (last as esp offset); leave: ebp=%x esp%+d\n", s_out[6] - (uint32_t)s_disp,
               o[7]);
        CHECK(fr == -4, "enter level %d: new EBP", level);
        CHECK(sp == -4 - 4 * level - 8, "enter level %d: ESP", level);
        CHECK(s_out[5] == (uint32_t)s_disp + 16, "enter level %d: saved EBP", level);
        for (int i = 0; i < level - 1; i++)
            CHECK(s_out[2 + i] == s_disp[3 - i], "enter level %d: display copy %d", level, i);
        CHECK(s_out[2 + level - 1] == s_esp - 4, "enter level %d: frame pointer pushed", level);
        CHECK(s_out[6] == (uint32_t)s_disp + 16 && o[7] == 0, "leave after level %d", level);
    }
}

int main(void)
{
    test_push_pop();
    test_pusha();
    test_enter_leave();
    return finish("stack");
}
