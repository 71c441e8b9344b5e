/* serial.c - polled COM1 console and a small printf. */
#include "rt.h"

#define UART_THR  0     /* transmit holding register (DLAB=0) */
#define UART_IER  1     /* interrupt enable (DLAB=0) */
#define UART_DLL  0     /* divisor latch low (DLAB=1) */
#define UART_DLM  1     /* divisor latch high (DLAB=1) */
#define UART_FCR  2     /* FIFO control */
#define UART_LCR  3     /* line control */
#define UART_MCR  4     /* modem control */
#define UART_LSR  5     /* line status */
#define LSR_THRE  0x20  /* transmit holding register empty */

void serial_init(void)
{
    outb(COM1_PORT + UART_IER, 0x00);   /* no interrupts */
    outb(COM1_PORT + UART_LCR, 0x80);   /* DLAB on */
    outb(COM1_PORT + UART_DLL, 0x01);   /* 115200 baud */
    outb(COM1_PORT + UART_DLM, 0x00);
    outb(COM1_PORT + UART_LCR, 0x03);   /* 8N1, DLAB off */
    outb(COM1_PORT + UART_FCR, 0x07);   /* FIFOs on and cleared */
    outb(COM1_PORT + UART_MCR, 0x03);   /* DTR, RTS */
}

int putchar(int c)
{
    while (!(inb(COM1_PORT + UART_LSR) & LSR_THRE))
        ;
    outb(COM1_PORT + UART_THR, (uint8_t)c);
    return (uint8_t)c;
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        putchar(s[i]);
}

int puts(const char *s)
{
    while (*s)
        putchar(*s++);
    putchar('\n');
    return 0;
}

/* ---- formatting core: emits characters through a sink ---- */

struct sink {
    char *buf;          /* NULL: write to the serial port */
    size_t size;        /* capacity of buf, including the NUL */
    size_t len;         /* characters produced so far */
};

static void emit(struct sink *s, char c)
{
    if (!s->buf)
        putchar(c);
    else if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void emit_padded(struct sink *s, const char *body, int n, const char *prefix,
                        int width, int left, int zero)
{
    int plen = (int)strlen(prefix);
    int pad = width - n - plen;
    if (pad < 0)
        pad = 0;
    if (!left && !zero)
        while (pad-- > 0) emit(s, ' ');
    while (*prefix) emit(s, *prefix++);
    if (!left && zero)
        while (pad-- > 0) emit(s, '0');
    for (int i = 0; i < n; i++) emit(s, body[i]);
    if (left)
        while (pad-- > 0) emit(s, ' ');
}

static int format(struct sink *s, const char *fmt, va_list ap)
{
    char tmp[24];

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(s, *fmt);
            continue;
        }
        fmt++;
        int left = 0, zero = 0, plus = 0, space = 0, alt = 0;
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '#') alt = 1;
            else if (*fmt == '0') zero = 1;
            else if (*fmt == '+') plus = 1;
            else if (*fmt == ' ') space = 1;
            else break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) { left = 1; width = -width; }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        int lng = 0;            /* -2 hh, -1 h, 0 int, 1 l, 2 ll */
        if (*fmt == 'h') { lng = -1; fmt++; if (*fmt == 'h') { lng = -2; fmt++; } }
        else if (*fmt == 'l') { lng = 1; fmt++; if (*fmt == 'l') { lng = 2; fmt++; } }
        if (left)
            zero = 0;

        char conv = *fmt;
        if (conv == 0)
            break;
        switch (conv) {
        case '%':
            emit(s, '%');
            break;
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            emit_padded(s, tmp, 1, "", width, left, 0);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str) str = "(null)";
            int n = 0;
            while (str[n] && (prec < 0 || n < prec)) n++;
            emit_padded(s, str, n, "", width, left, 0);
            break;
        }
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'p': {
            uint64_t v;
            int neg = 0;
            if (conv == 'p') {
                v = (uint32_t)(uintptr_t)va_arg(ap, void *);
                if (prec < 0) prec = 8;
            } else if (conv == 'd' || conv == 'i') {
                int64_t sv;
                if (lng == 2) sv = va_arg(ap, long long);
                else if (lng == 1) sv = va_arg(ap, long);
                else sv = va_arg(ap, int);
                if (lng == -1) sv = (short)sv;
                if (lng == -2) sv = (signed char)sv;
                if (sv < 0) { neg = 1; v = (uint64_t)0 - (uint64_t)sv; }
                else v = (uint64_t)sv;
            } else {
                if (lng == 2) v = va_arg(ap, unsigned long long);
                else if (lng == 1) v = va_arg(ap, unsigned long);
                else v = va_arg(ap, unsigned int);
                if (lng == -1) v = (uint16_t)v;
                if (lng == -2) v = (uint8_t)v;
            }
            int is_zero = v == 0;
            unsigned base = (conv == 'd' || conv == 'i' || conv == 'u') ? 10 : 16;
            const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            int n = 0;
            char rev[24];
            if (base == 16) {
                while (v) { rev[n++] = digits[v & 15]; v >>= 4; }
            } else if (v >> 32) {
                while (v) { rev[n++] = digits[v % 10]; v /= 10; }
            } else {
                uint32_t w = (uint32_t)v;      /* avoid libgcc on the common path */
                while (w) { rev[n++] = digits[w % 10]; w /= 10; }
            }
            if (prec < 0 && n == 0) rev[n++] = '0';
            while (n < prec) rev[n++] = '0';
            if (prec >= 0) zero = 0;
            for (int i = 0; i < n; i++) tmp[i] = rev[n - 1 - i];
            const char *prefix = conv == 'p' ? "0x" : neg ? "-" : plus ? "+" : space ? " " : "";
            if (conv == 'u' || conv == 'x' || conv == 'X') prefix = "";
            if (alt && conv == 'x' && !is_zero) prefix = "0x";
            if (alt && conv == 'X' && !is_zero) prefix = "0X";
            emit_padded(s, tmp, n, prefix, width, left, zero);
            break;
        }
        default:        /* unknown conversion: print it verbatim */
            emit(s, '%');
            emit(s, conv);
            break;
        }
    }
    return (int)s->len;
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = { 0, 0, 0 };
    return format(&s, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { buf, size, 0 };
    int n = format(&s, fmt, ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
