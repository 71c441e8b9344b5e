/*
 * nano_print.h - the report lines both drivers print (each with its own
 * printf: glibc's natively, the guest runtime's in the kernel).
 *
 *   NANO name=cli cycles_per_op=12.345 iterations=20000 ops=200000 op_tsc=T base_tsc=T unit=insn
 *   NANO name=syscall pending="what it is" needs="what bt lacks"
 *
 * cycles_per_op is in the engine's TSC ticks (bt: ns); op_tsc and base_tsc
 * are the raw minimum loop times it is computed from.
 */
#ifndef NANO_PRINT_H
#define NANO_PRINT_H

#include "nano.h"

static __attribute__((unused)) void nano_print_result(const struct nano_test *t, const struct nano_result *r)
{
    long long m = nano_milliticks(r);
    unsigned long long a = (unsigned long long)(m < 0 ? -m : m);

    printf("NANO name=%s cycles_per_op=%s%llu.%03llu iterations=%u ops=%u "
           "op_tsc=%llu base_tsc=%llu unit=%s\n",
           t->name, m < 0 ? "-" : "", a / 1000, a % 1000, r->iterations, r->ops,
           r->op_ticks, r->base_ticks, t->unit);
}

static __attribute__((unused)) void nano_print_pending(void)
{
    for (unsigned i = 0; i < nano_pending_count; i++)
        printf("NANO name=%s pending=\"%s\" needs=\"%s\"\n", nano_pending[i].name,
               nano_pending[i].about, nano_pending[i].needs);
}

#endif
