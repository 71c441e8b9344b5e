/* branch.c - setcc and jcc (all 16 conditions; rel8, rel32 and backward),
 * loop/loope/loopne/jecxz, call/ret/ret imm16, indirect calls and jumps
 * through registers and memory, jump tables (asm and a C switch), deep
 * recursion and function pointers.
 */
#include "../tests/common.h"

uint32_t jcc_short(uint32_t eflags);
uint32_t jcc_near(uint32_t eflags);
uint32_t jcc_back(uint32_t eflags);
uint32_t stdcall3(uint32_t a, uint32_t b, uint32_t c);
uint32_t ret0(void);
uint32_t asm_switch(uint32_t k);
uint32_t get_eip_delta(void);
uint32_t indirect_calls(void);

/* setcc into a register (and the high byte AH) and into memory */
#define SET(cc, i)                                                             \
    __asm__ volatile(FLAGS_IN "set" #cc " %b[r]\n\t"                           \
                     "set" #cc " (%[p])\n\t"                                   \
                     "set" #cc " %h[q]" FLAGS_OUT                              \
                     : [r] "=&q"(r), [q] "=&Q"(q), [fo] "=&r"(fo)             \
                     : [p] "r"(&m[i]), [fi] "r"(fin) : "cc", "memory");        \
    reg |= (r & 0xff) << i;                                                   \
    hi |= ((q >> 8) & 0xff) << i;                                             \
    CHECK((r & 0xff) <= 1 && ((q >> 8) & 0xff) <= 1, "set" #cc " stores 0 or 1"); \
    CHECK((fo & F_ARITH) == (fin & F_ARITH), "set" #cc " changed the flags");

static uint32_t setcc_mask(uint32_t fin, uint32_t *memmask, uint32_t *himask)
{
    volatile uint8_t m[16];
    uint32_t r, q, fo, reg = 0, hi = 0;
    for (int i = 0; i < 16; i++) m[i] = 0x55;
    SET(o, 0) SET(no, 1) SET(b, 2) SET(ae, 3) SET(e, 4) SET(ne, 5) SET(be, 6) SET(a, 7)
    SET(s, 8) SET(ns, 9) SET(p, 10) SET(np, 11) SET(l, 12) SET(ge, 13) SET(le, 14) SET(g, 15)
    *memmask = 0;
    for (int i = 0; i < 16; i++) {
        CHECK(m[i] <= 1, "setcc to memory stores 0 or 1");
        *memmask |= (uint32_t)(m[i] & 1) << i;
    }
    *himask = hi;
    return reg;
}

static void mask_str(char *out, uint32_t mask)
{
    for (int i = 0; i < 16; i++)
        out[i] = (char)('0' + ((mask >> i) & 1));
    out[16] = 0;
}

static void test_conditions(void)
{
    puts("conditions: o no b ae e ne be a s ns p np l ge le g");
    for (int combo = 0; combo < 32; combo++) {
        uint32_t fin = (combo & 1 ? F_CF : 0) | (combo & 2 ? F_PF : 0) | (combo & 4 ? F_ZF : 0)
                     | (combo & 8 ? F_SF : 0) | (combo & 16 ? F_OF : 0) | F_FIXED;
        uint32_t want = 0, mem, hi;
        for (int i = 0; i < 16; i++)
            want |= (uint32_t)cond_of(i, fin) << i;
        uint32_t set = setcc_mask(fin, &mem, &hi);
        uint32_t js = jcc_short(fin), jn = jcc_near(fin), jb = jcc_back(fin);
        char s1[17], s2[17];
        mask_str(s1, set);
        mask_str(s2, js);
        printf("flags %s: setcc %s jcc %s\n", fstr(fin, F_CF | F_PF | F_ZF | F_SF | F_OF), s1, s2);
        CHECK(set == want, "setcc reg mask %x want %x", set, want);
        CHECK(mem == want, "setcc mem mask %x want %x", mem, want);
        CHECK(hi == want, "setcc high-byte mask %x want %x", hi, want);
        CHECK(js == want, "jcc rel8 mask %x want %x", js, want);
        CHECK(jn == want, "jcc rel32 mask %x want %x", jn, want);
        CHECK(jb == want, "jcc backward mask %x want %x", jb, want);
    }
}

/* ------------------------------------------------------------------ loops */

static void test_loops(void)
{
    static const uint32_t ns[] = { 1, 2, 7, 100 };
    for (unsigned i = 0; i < ARRAY_SIZE(ns); i++) {
        uint32_t n = ns[i], count, ecx, fo;
        __asm__ volatile(FLAGS_IN
                         "xorl %[cnt], %[cnt]\n\t"
                         "pushl %[fi]\n\t"
                         "popfl\n"
                         "1:\n\t"
                         "leal 1(%[cnt]), %[cnt]\n\t"   /* keep the flags */
                         "loop 1b" FLAGS_OUT
                         : [cnt] "=&r"(count), "=c"(ecx), [fo] "=&r"(fo)
                         : "1"(n), [fi] "r"(F_CF | F_ZF | F_FIXED) : "cc");
        printf("loop ecx=%u: %u iterations, ecx=%u, flags %s\n", n, count, ecx, fstr(fo, F_ARITH));
        CHECK(count == n && ecx == 0, "loop count");
        CHECK((fo & F_ARITH) == (F_CF | F_ZF), "loop keeps flags");
    }

    /* loope: continue while equal; loopne: continue while not equal */
    static const uint8_t data[] = { 7, 7, 7, 7, 3, 7, 7, 7, 7, 7, 9, 9 };
    uint32_t ecx, idx;
    __asm__ volatile("xorl %[i], %[i]\n"
                     "1:\n\t"
                     "cmpb $7, (%[d],%[i])\n\t"
                     "leal 1(%[i]), %[i]\n\t"
                     "loope 1b"
                     : [i] "=&r"(idx), "=c"(ecx) : [d] "r"(data), "1"(10) : "cc");
    printf("loope: stopped after %u bytes, ecx=%u\n", idx, ecx);
    CHECK(idx == 5 && ecx == 5, "loope stops at the first mismatch");
    __asm__ volatile("xorl %[i], %[i]\n"
                     "1:\n\t"
                     "cmpb $9, (%[d],%[i])\n\t"
                     "leal 1(%[i]), %[i]\n\t"
                     "loopne 1b"
                     : [i] "=&r"(idx), "=c"(ecx) : [d] "r"(data), "1"(12) : "cc");
    printf("loopne: stopped after %u bytes, ecx=%u\n", idx, ecx);
    CHECK(idx == 11 && ecx == 1, "loopne stops at the first match");
    __asm__ volatile("xorl %[i], %[i]\n"
                     "1:\n\t"
                     "cmpb $7, (%[d],%[i])\n\t"
                     "leal 1(%[i]), %[i]\n\t"
                     "loope 1b"
                     : [i] "=&r"(idx), "=c"(ecx) : [d] "r"(data), "1"(3) : "cc");
    printf("loope: ecx ran out after %u bytes, ecx=%u\n", idx, ecx);
    CHECK(idx == 3 && ecx == 0, "loope stops when ECX reaches 0");

    /* jecxz: taken only when all 32 bits of ECX are 0 */
    static const uint32_t cs[] = { 0, 1, 0x10000, 0xffffffff };
    for (unsigned i = 0; i < ARRAY_SIZE(cs); i++) {
        uint32_t taken;
        __asm__ volatile("movl $1, %[t]\n\t"
                         "jecxz 1f\n\t"
                         "movl $0, %[t]\n"
                         "1:"
                         : [t] "=&r"(taken) : "c"(cs[i]));
        printf("jecxz ecx=%08x: %s\n", cs[i], taken ? "taken" : "not taken");
        CHECK(taken == (cs[i] == 0), "jecxz");
    }
}

/* ---------------------------------------------------------- calls, returns */

__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint32_t ackermann(uint32_t m, uint32_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }

/* a dense switch whose cases do different work: gcc -O2 compiles it into an
 * indirect jump through a table (not a lookup of constants) */
static volatile uint32_t sw_g = 0x1234;

__attribute__((noinline)) static uint32_t c_switch(uint32_t k)
{
    uint32_t g = sw_g;
    switch (k) {
    case 0: return g + 1;
    case 1: return g ^ 0x5555;
    case 2: return g * 3;
    case 3: return g >> 2;
    case 4: return g << 5;
    case 5: return ~g;
    case 6: return g - 77;
    case 7: return g | 0x80000000;
    case 8: return g & 0xf0f0;
    case 9: return g * g;
    case 10: return (g << 16) | (g >> 16);
    case 11: return g / 7;
    default: return 0xffff;
    }
}

static uint32_t c_switch_ref(uint32_t k)
{
    uint32_t g = 0x1234;
    static const uint32_t v[12] = { 0x1235, 0x1234 ^ 0x5555, 0x1234 * 3, 0x1234 >> 2,
                                    0x1234 << 5, ~0x1234u, 0x1234 - 77, 0x80001234,
                                    0x1030, 0x1234 * 0x1234, 0x12340000, 0x1234 / 7 };
    (void)g;
    return k < 12 ? v[k] : 0xffff;
}

static void test_calls(void)
{
    uint32_t esp_before, esp_after, r;
    __asm__ volatile("movl %%esp, %[b]\n\t"
                     "pushl $3\n\tpushl $2\n\tpushl $1\n\t"
                     "call stdcall3\n\t"
                     "movl %%esp, %[a]"
                     : [b] "=&r"(esp_before), [a] "=&r"(esp_after), "=a"(r)
                     : : "ecx", "edx", "memory");
    printf("ret $12: result %u, esp %s\n", r, esp_before == esp_after ? "restored" : "WRONG");
    CHECK(r == 14 && esp_before == esp_after, "ret imm16");
    __asm__ volatile("movl %%esp, %[b]\n\t"
                     "call ret0\n\t"
                     "movl %%esp, %[a]"
                     : [b] "=&r"(esp_before), [a] "=&r"(esp_after), "=a"(r)
                     : : "ecx", "edx", "memory");
    printf("ret $0: result %x, esp %s\n", r, esp_before == esp_after ? "restored" : "WRONG");
    CHECK(r == 0x1234 && esp_before == esp_after, "ret 0");

    r = get_eip_delta();
    printf("call/pop eip delta: %u\n", r);
    CHECK(r == 0, "call pushes the address of the next instruction");

    r = indirect_calls();
    printf("indirect calls and jumps: %u\n", r);
    CHECK(r == 1 + 10 + 100 + 1000, "indirect calls/jumps");

    uint32_t sum = 0;
    for (uint32_t k = 0; k < 8; k++) {
        uint32_t v = asm_switch(k);
        sum = sum * 31 + v;
        CHECK(v == (k <= 5 ? 100 + 11 * k : 999), "asm jump table case %u", k);
    }
    printf("asm jump table: checksum %08x\n", sum);

    sum = 0;
    for (uint32_t k = 0; k < 14; k++) {
        uint32_t v = c_switch(k);
        sum = sum * 31 + v;
        CHECK(v == c_switch_ref(k), "C switch case %u", k);
    }
    printf("C switch jump table: checksum %08x\n", sum);

    uint32_t (*volatile ops[4])(uint32_t, uint32_t) = { op_add, op_sub, op_mul, op_xor };
    uint32_t acc = 1;
    for (uint32_t i = 0; i < 40; i++)
        acc = ops[i & 3](acc, i + 3);
    printf("function pointers: %08x\n", acc);

    r = fib(20);
    printf("fib(20) = %u\n", r);
    CHECK(r == 6765, "fib");
    r = ackermann(2, 5);
    printf("ackermann(2,5) = %u\n", r);
    CHECK(r == 13, "ackermann");
}

int main(void)
{
    test_conditions();
    test_loops();
    test_calls();
    return finish("branch");
}
