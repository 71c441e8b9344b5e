/* common.h - helpers shared by the instruction test guests.
 *
 * Every test prints deterministic lines (results and the defined arithmetic
 * flags) and also checks itself: CHECK() counts failures, and finish()
 * prints a summary and returns main's exit code (0 = pass, 1 = fail).
 */
#ifndef BT_TESTS_COMMON_H
#define BT_TESTS_COMMON_H

#include "rt.h"

#define F_CF   0x0001u
#define F_PF   0x0004u
#define F_AF   0x0010u
#define F_ZF   0x0040u
#define F_SF   0x0080u
#define F_TF   0x0100u
#define F_IF   0x0200u
#define F_DF   0x0400u
#define F_OF   0x0800u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_FIXED 0x0002u            /* bit 1 always reads as 1 */

static int t_checks, t_failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        t_checks++;                                                         \
        if (!(cond)) {                                                      \
            t_failures++;                                                   \
            printf("FAIL line %d: ", __LINE__);                             \
            printf(__VA_ARGS__);                                            \
            putchar('\n');                                                  \
        }                                                                   \
    } while (0)

#define CHECK_EQ(got, want, what)                                           \
    do {                                                                    \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);               \
        CHECK(g_ == w_, "%s: got 0x%llx, want 0x%llx", what, g_, w_);       \
    } while (0)

static inline int finish(const char *name)
{
    printf("%s: %d checks, %d failures: %s\n", name, t_checks, t_failures,
           t_failures ? "FAIL" : "PASS");
    return t_failures ? 1 : 0;
}

/* Render the six arithmetic flags as "CPAZSO": the letter when set, '.'
 * when clear, '-' when undefined for the instruction (not in mask). */
/* The x86 condition code cc (0=O ... 15=G) evaluated on EFLAGS f. */
static inline int cond_of(int cc, uint32_t f)
{
    int cf = !!(f & F_CF), zf = !!(f & F_ZF), sf = !!(f & F_SF), of = !!(f & F_OF),
        pf = !!(f & F_PF);
    int r = 0;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    case 7: r = zf || sf != of; break;
    }
    return (cc & 1) ? !r : r;
}

static inline const char *fstr(uint32_t f, uint32_t mask)
{
    static char bufs[4][8];
    static int next;
    static const struct { uint32_t bit; char c; } names[6] = {
        { F_CF, 'C' }, { F_PF, 'P' }, { F_AF, 'A' },
        { F_ZF, 'Z' }, { F_SF, 'S' }, { F_OF, 'O' },
    };
    char *b = bufs[next++ & 3];
    for (int i = 0; i < 6; i++)
        b[i] = !(mask & names[i].bit) ? '-' : (f & names[i].bit) ? names[i].c : '.';
    b[6] = 0;
    return b;
}

/* Run code with EFLAGS set to `fin` first and capture EFLAGS afterwards:
 *   FLAGS_IN   expects an input operand [fi]
 *   FLAGS_OUT  expects an output operand [fo]  (use "=&r") */
#define FLAGS_IN  "pushl %[fi]\n\tpopfl\n\t"
#define FLAGS_OUT "\n\tpushfl\n\tpopl %[fo]"

static inline int parity8(uint32_t v)
{
    v &= 0xff;
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return !(v & 1);               /* PF=1 when the number of 1 bits is even */
}

#endif
