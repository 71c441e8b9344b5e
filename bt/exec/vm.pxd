# The whole machine as the fast loop sees it: vCPU, RAM, cache, counters.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t
from libc.stdio cimport FILE
from libc.setjmp cimport jmp_buf
from bt.cpu.state cimport CPUState
from bt.cache.block cimport Block, Cache
from bt.translate.uop cimport Uop, CO_COUNT

# Exit reasons of the fast loop (mirrored as Python constants in engine.pyx).
cdef enum:
    EXIT_NONE = 0
    EXIT_BUDGET = 1
    EXIT_HALT = 2
    EXIT_STOP = 3
    EXIT_FAULT = 4
    EXIT_ERROR = 5

# What a micro-op handler tells the block loop.
cdef enum:
    RC_NEXT = 0     # go on with the next micro-op
    RC_JUMP = 1     # control transfer: cpu.eip set, vm.slot says which chain slot
    RC_EXIT = 2     # leave the loop: vm.exit_reason set
    RC_SMC = 3      # the running block was just overwritten: re-look-up at cpu.eip

ctypedef struct VM:
    CPUState cpu
    uint8_t *ram
    uint32_t ram_size
    Cache cache
    Block *cur_block
    Uop *cur_uop             # set by raise_fault: the micro-op that faulted
    jmp_buf fault_jmp        # where raise_fault returns to (in cpu_exec)
    uint32_t seg_check_mask  # bit S_x: that segment is not flat, check its limit
    int slot
    int smc_hit
    int stop_request
    int intr                 # the interrupt controller's INTR line (set from Python)
    int exit_reason
    int fault_code
    uint32_t fault_eip
    uint32_t fault_arg
    uint32_t first_vector    # the exception that started the last delivery (for messages)
    uint32_t first_eip
    uint32_t first_err       # its error code, or 0xFFFFFFFF for none
    int first_src            # SRC_*: raised by the CPU, INT n, or a device
    int64_t budget           # instructions left in this run (a REP may overshoot below 0)
    int64_t run_start        # the budget this run started with (live count = start - budget)
    int running
    uint64_t icount          # instructions executed, updated when a run returns
    uint8_t *port_fast       # 1: reads give port_val, writes are dropped (no Python)
    uint32_t *port_val
    void *owner              # the Engine object (borrowed reference)
    size_t cs_handle         # capstone handle (one per VM: translation is not shared)
    void *cs_insn            # capstone's instruction record buffer
    FILE *trace
    uint64_t tsc_base_ns
    uint64_t n_translated
    uint64_t n_translated_insns
    uint64_t n_lookups
    uint64_t n_misses
    uint64_t n_chained
    uint64_t n_jc_hits
    uint64_t n_invalidations
    uint64_t n_flushes
    uint64_t n_smc_exits
    uint64_t n_exceptions
    uint64_t n_interrupts    # external interrupts taken
    uint64_t callouts[CO_COUNT]
    uint64_t hook_mask       # bit CO_x: a Python hook runs before that callout
