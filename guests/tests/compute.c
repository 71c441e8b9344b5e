/* compute.c - an ordinary C workload, built at -O0, -O1, -O2 and -O3 (the
 * guests compute_O0..compute_O3). Each part prints a checksum; all four
 * builds must print the same lines. The expected values are also checked
 * here, so a wrong result fails the run even without the expected files.
 */
#include "rt.h"

static int failures;

static void report(const char *what, uint32_t got, uint32_t want)
{
    printf("%-26s %08x %s\n", what, got, got == want ? "ok" : "WRONG");
    if (got != want)
        failures++;
}

/* ------------------------------------------------------------ pseudo-random */

static uint32_t rng_state;

static uint32_t rng(void)
{
    /* xorshift32 */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* --------------------------------------------------------------------- CRC */

static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ------------------------------------------------------------------ sorting */

#define NSORT 2000
static uint32_t arr[NSORT], tmp[NSORT];

static void quicksort(uint32_t *a, int lo, int hi)
{
    while (lo < hi) {
        uint32_t pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* recurse into the smaller half */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static void merge_sort(uint32_t *a, uint32_t *t, int n)
{
    if (n < 2) return;
    int h = n / 2;
    merge_sort(a, t, h);
    merge_sort(a + h, t, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) t[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < h) t[k++] = a[i++];
    while (j < n) t[k++] = a[j++];
    memcpy(a, t, n * sizeof *a);
}

static void insertion_sort(int32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        int32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void test_sort(void)
{
    rng_state = 12345;
    for (int i = 0; i < NSORT; i++) arr[i] = rng();
    uint32_t before = crc32(arr, sizeof arr);
    quicksort(arr, 0, NSORT - 1);
    int sorted = 1;
    for (int i = 1; i < NSORT; i++) sorted &= arr[i - 1] <= arr[i];
    report("quicksort sorted", sorted, 1);
    report("quicksort crc", crc32(arr, sizeof arr), 0x37e60eab);

    rng_state = 12345;
    for (int i = 0; i < NSORT; i++) arr[i] = rng();
    report("input crc", before, crc32(arr, sizeof arr));
    merge_sort(arr, tmp, NSORT);
    report("merge sort crc", crc32(arr, sizeof arr), 0x37e60eab);

    int32_t small[200];
    rng_state = 777;
    for (int i = 0; i < 200; i++) small[i] = (int32_t)rng() >> 8;
    insertion_sort(small, 200);
    report("insertion sort (signed)", crc32(small, sizeof small), 0x7ddbaf25);
}

/* -------------------------------------------------------------------- sieve */

#define SIEVE_N 200000
static uint8_t composite[SIEVE_N + 1];

static void test_sieve(void)
{
    uint32_t count = 0, sum = 0, last = 0;
    for (uint32_t i = 2; i * i <= SIEVE_N; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j <= SIEVE_N; j += i)
                composite[j] = 1;
    for (uint32_t i = 2; i <= SIEVE_N; i++)
        if (!composite[i]) {
            count++;
            sum += i;
            last = i;
        }
    report("primes below 200000", count, 17984);
    report("sum of those primes", sum, 0x65e6702d);
    report("largest", last, 199999);
}

/* ------------------------------------------------------------------ hashing */

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static uint32_t murmur_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

#define HT_SIZE 1024
struct entry {
    uint32_t key;
    uint32_t value;
    int used;
};
static struct entry table[HT_SIZE];

static void ht_put(uint32_t key, uint32_t value)
{
    uint32_t i = murmur_mix(key) & (HT_SIZE - 1);
    while (table[i].used && table[i].key != key) i = (i + 1) & (HT_SIZE - 1);
    table[i].key = key;
    table[i].value = value;
    table[i].used = 1;
}

static int ht_get(uint32_t key, uint32_t *value)
{
    uint32_t i = murmur_mix(key) & (HT_SIZE - 1);
    while (table[i].used) {
        if (table[i].key == key) {
            *value = table[i].value;
            return 1;
        }
        i = (i + 1) & (HT_SIZE - 1);
    }
    return 0;
}

static void test_hash(void)
{
    static const char *const words[] = { "binary", "translation", "virtual", "machine", "monitor",
                                         "guest", "callout", "cache", "ring", "zero" };
    uint32_t h = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(words); i++) h = h * 31 + fnv1a(words[i]);
    report("fnv1a of words", h, 0xdde2d456);

    for (uint32_t k = 0; k < 700; k++) ht_put(k * 2654435761u, k ^ 0x5555);
    uint32_t found = 0, acc = 0, v;
    for (uint32_t k = 0; k < 1400; k++)
        if (ht_get(k * 2654435761u, &v)) {
            found++;
            acc = acc * 33 + v;
        }
    report("hash table hits", found, 700);
    report("hash table values", acc, 0xed65a33a);
}

/* ------------------------------------------------------- 64-bit arithmetic */

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t isqrt64(uint64_t n)
{
    uint64_t x = n, y = (x + 1) / 2;
    while (y < x) {
        x = y;
        y = (x + n / x) / 2;
    }
    return x;
}

static uint64_t mulmod64(uint64_t a, uint64_t b, uint64_t m)
{
    uint64_t r = 0;
    a %= m;
    while (b) {
        if (b & 1) r = (r + a) % m;
        a = (a << 1) % m;
        b >>= 1;
    }
    return r;
}

static uint64_t powmod64(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1;
    while (e) {
        if (e & 1) r = mulmod64(r, b, m);
        b = mulmod64(b, b, m);
        e >>= 1;
    }
    return r;
}

static void test_64bit(void)
{
    uint64_t f = 1;
    for (int i = 1; i <= 20; i++) f *= i;
    printf("20! = %llu\n", f);
    report("20! low", (uint32_t)f, (uint32_t)2432902008176640000ull);
    report("20! high", (uint32_t)(f >> 32), (uint32_t)(2432902008176640000ull >> 32));

    uint64_t g = gcd64(0x123456789abcdef0ull, 0x0fedcba987654321ull * 16);
    printf("gcd = %llu\n", g);
    report("gcd64", (uint32_t)g, 240);

    uint64_t s = isqrt64(0xfffffffffffffffull);
    printf("isqrt(2^60-1) = %llu\n", s);
    report("isqrt64", (uint32_t)s, 0x3fffffff);

    uint64_t p = powmod64(3, 1000003, 1000000007ull);
    printf("3^1000003 mod 1e9+7 = %llu\n", p);
    report("powmod64", (uint32_t)p, 753256171);

    int64_t a = -123456789012345ll, b = 98765;
    printf("signed: %lld / %lld = %lld rem %lld\n", a, b, a / b, a % b);
    report("signed 64-bit division", (uint32_t)(a / b), (uint32_t)-1250005457);
    report("signed 64-bit remainder", (uint32_t)(a % b), (uint32_t)-51740);

    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 1000; i++) h = (h ^ (uint64_t)i) * 0x100000001b3ull;
    printf("fnv1a-64 of 0..999 = %016llx\n", h);
    report("fnv64 low", (uint32_t)h, 0xd8cb65dd);

    uint64_t sh = 0x8000000000000001ull;
    uint32_t sc = 0;
    for (int i = 0; i < 64; i++) {
        sc = sc * 3 + (uint32_t)(sh >> i) + (uint32_t)(sh << i >> 32) + (uint32_t)((int64_t)sh >> i);
    }
    report("64-bit shifts", sc, 0x5dc811d7);
}

/* ----------------------------------------------------------------- recursion */

static uint32_t ackermann(uint32_t m, uint32_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static int queens(int n, int row, uint32_t cols, uint32_t d1, uint32_t d2)
{
    if (row == n) return 1;
    int count = 0;
    for (int c = 0; c < n; c++) {
        if (cols & (1u << c) || d1 & (1u << (row + c)) || d2 & (1u << (row - c + n)))
            continue;
        count += queens(n, row + 1, cols | 1u << c, d1 | 1u << (row + c), d2 | 1u << (row - c + n));
    }
    return count;
}

static uint32_t hanoi_moves;
static void hanoi(int n, int from, int to, int via)
{
    if (n == 0) return;
    hanoi(n - 1, from, via, to);
    hanoi_moves = hanoi_moves * 3 + (uint32_t)(from * 4 + to);
    hanoi(n - 1, via, to, from);
}

static void test_recursion(void)
{
    report("ackermann(2, 9)", ackermann(2, 9), 21);
    report("ackermann(3, 4)", ackermann(3, 4), 125);
    report("8 queens", (uint32_t)queens(8, 0, 0, 0, 0), 92);
    hanoi_moves = 0;
    hanoi(12, 0, 2, 1);
    report("hanoi(12)", hanoi_moves, 0xea40d3b3);
}

/* ------------------------------------------- interpreter: switch + pointers */

enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_XOR, OP_SHL,
       OP_ROT, OP_HALT };

static uint32_t run_vm(const int32_t *code)
{
    uint32_t stack[32];
    int sp = 0, pc = 0;
    uint32_t steps = 0;
    for (;;) {
        steps++;
        switch (code[pc++]) {       /* dense cases: a jump table */
        case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { uint32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_JNZ: { int32_t target = code[pc++]; if (stack[--sp]) pc = target; break; }
        case OP_DEC: stack[sp - 1]--; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: stack[sp - 1] = (stack[sp - 1] << 7) | (stack[sp - 1] >> 25); break;
        case OP_ROT: { uint32_t t = stack[sp - 3]; stack[sp - 3] = stack[sp - 2];
                       stack[sp - 2] = stack[sp - 1]; stack[sp - 1] = t; break; }
        case OP_HALT: return stack[sp - 1] ^ steps;
        default: return 0xdeadbeef;
        }
    }
}

typedef uint32_t (*binop)(uint32_t, uint32_t);
static uint32_t f_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t f_mul(uint32_t a, uint32_t b) { return a * b + 1; }
static uint32_t f_rot(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> ((32 - (b & 31)) & 31)); }
static uint32_t f_xor(uint32_t a, uint32_t b) { return a ^ (b * 0x9e3779b9); }

static void test_dispatch(void)
{
    /* acc = 1; n = 300; loop: acc = (acc * 3 + n) ^ (acc shl 7); n--; while n */
    static const int32_t prog[] = {
        OP_PUSH, 1, OP_PUSH, 300,                       /* acc n */
        /* 4: */ OP_SWAP, OP_DUP, OP_PUSH, 3, OP_MUL,   /* n acc acc*3 */
        OP_ROT, OP_DUP, OP_ROT, OP_SWAP,                /* acc n acc*3 n -> reorder */
        OP_ADD, OP_SWAP, OP_SHL, OP_XOR,                /* n new */
        OP_SWAP, OP_DEC, OP_DUP, OP_JNZ, 4,             /* new n-1 */
        OP_SWAP, OP_HALT,
    };
    report("bytecode interpreter", run_vm(prog), 0x973b);

    binop ops[4] = { f_add, f_mul, f_rot, f_xor };
    uint32_t acc = 7;
    for (uint32_t i = 0; i < 5000; i++) acc = ops[(acc ^ i) & 3](acc, i);
    report("function pointers", acc, 0xac32683b);
}

/* ------------------------------------------------------------- struct copies */

struct point { int32_t x, y, z; };
struct body {
    struct point pos, vel;
    char name[13];
    uint16_t id;
    uint64_t mass;
};

static struct body make_body(int i)
{
    struct body b;
    memset(&b, 0, sizeof b);
    b.pos = (struct point){ i * 3, -i * 5, i * i };
    b.vel = (struct point){ 1 - i, i / 2, 7 };
    snprintf(b.name, sizeof b.name, "body-%d", i);
    b.id = (uint16_t)(i * 1000 + 7);
    b.mass = (uint64_t)i * 1000000007ull;
    return b;
}

static struct body step(struct body b)
{
    b.pos.x += b.vel.x;
    b.pos.y += b.vel.y;
    b.pos.z += b.vel.z;
    b.vel.y -= 1;
    b.mass += b.pos.z;
    return b;
}

static void test_structs(void)
{
    static struct body bodies[16];
    for (int i = 0; i < 16; i++) bodies[i] = make_body(i);
    for (int t = 0; t < 50; t++)
        for (int i = 0; i < 16; i++) {
            struct body copy = bodies[i];
            bodies[i] = step(copy);
            if (i > 0 && (t % 7) == 0) {
                struct body sw = bodies[i];
                bodies[i] = bodies[i - 1];
                bodies[i - 1] = sw;
            }
        }
    report("struct copies crc", crc32(bodies, sizeof bodies), 0xe753b100);
    printf("first body: %s id=%u pos=(%d,%d,%d) mass=%llu\n", bodies[0].name, bodies[0].id,
           bodies[0].pos.x, bodies[0].pos.y, bodies[0].pos.z, bodies[0].mass);
}

int main(void)
{
    crc32_init();
    report("crc32(\"123456789\")", crc32("123456789", 9), 0xcbf43926);
    test_sort();
    test_sieve();
    test_hash();
    test_64bit();
    test_recursion();
    test_dispatch();
    test_structs();
    printf("compute: %s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
