/* A worker's pointer cage: the 4 GiB guest window with its regions (abi/cage.h),
 * and calling guest code inside it with traps turned into return codes. */
#ifndef ZSRT_CAGE_H
#define ZSRT_CAGE_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "../abi/native.h"

struct cage {
  uint8_t *base;               /* start of the reservation: window + guard */
  uint8_t *req_host;           /* writable host view of the request region (same pages) */
  const uint8_t *code;         /* blob code the fault handler accepts as guest pc */
  size_t code_size;
  size_t heap_dirty;           /* bytes of heap (from its start) to clear after an invocation */
  uint32_t stack_dirty;        /* at least this many bytes below the stack top are cleared */
  uint32_t stack_reach;        /* page-rounded bytes below the top the program may touch; the
                                  rest of the stack region is PROT_NONE (0: all of it, unset) */
  uint32_t req_dirty;          /* bytes of the request view the last request wrote (exec.c) */
  const void *stack_owner;     /* what stack_reach was set for (exec.c: the blob) */
  long long budget;            /* polls allowed per invocation */
  struct zs_native_ctx ctx;    /* handed to guest code */
  sigjmp_buf trap_jmp;         /* where a trap returns to */
  volatile unsigned trap_code; /* set by the trap path */
  volatile uintptr_t trap_addr;   /* faulting host address (0 for budget/depth/helper traps) */
  volatile uintptr_t trap_pc;     /* faulting pc, for the log */
  size_t rodata_size;          /* bytes of rodata mapped at ZS_CAGE_RODATA_OFF */
  unsigned server;             /* server index of the current invocation, for trap logs */
  int64_t log_second;          /* trap log rate limit: the current second ... */
  unsigned log_count;          /* ... and the lines logged in it */
  struct regex_set *regexes;   /* the blob's regular expressions for this worker (exec.c), or NULL */
  struct plugin_limits *limits;   /* the owner's rate limiter (plugin_limits.h), which outlives
                                     the cage across reloads; NULL: rate_limit fails */
};

/* Reserves the window and maps rodata (a copy of rodata_len bytes, then made
 * read-only), the request view, stack and heap. helpers: the table guest code
 * calls, host: the runtime's private pointer for helpers. 0 or -errno. */
int cage_create(struct cage *c, const void *rodata, size_t rodata_len,
                const zs_helper_fn *helpers, unsigned helper_count, void *host);
void cage_destroy(struct cage *c);

/* registers the executable range faults may come from */
void cage_set_code(struct cage *c, const void *code, size_t len);

/* Calls fn(ctx, r1, ZS_CAGE_STACK_TOP). Returns 0 with *r0 set, or a trap code
 * (enum zs_trap_code) when the program faulted or ran out of budget; the cage
 * is usable again either way. Afterwards the stack the program can reach
 * (stack_reach; without one, the top max(stack_size, stack_dirty) bytes) and
 * heap_dirty bytes of heap are zeroed; after a trap every page of stack and
 * heap the program touched is. */
unsigned cage_call(struct cage *c, zs_entry_fn fn, uint64_t r1, uint32_t stack_size, uint64_t *r0);

/* Limits the stack to the top `bytes` (rounded up to a page, at least one):
 * the rest of the region becomes PROT_NONE, so a program that reaches below
 * the deepest frame the verifier proved traps, and everything it can touch
 * is cleared after every call. 0 or -errno. */
int cage_set_stack_reach(struct cage *c, uint32_t bytes);

/* records that [ptr, ptr+len) of the heap was written (by a helper, or by
 * the runtime for the program), so it is cleared after the invocation */
void cage_note_heap_write(struct cage *c, uint64_t ptr, uint64_t len);

/* true when [ptr, ptr+len) lies inside a region guest code may read
 * (rodata, request, stack, heap) / write (stack, heap) */
int cage_readable(const struct cage *c, uint64_t ptr, uint64_t len);
int cage_writable(const struct cage *c, uint64_t ptr, uint64_t len);

/* installs the SIGSEGV/SIGBUS handler once per process (trap.c) */
int trap_install(void);

/* trap.c, used by cage_call: make c the calling thread's current cage (setting
 * up the thread's alternate signal stack on first use), forget it again, and
 * log a trap (one line on stderr, rate-limited per cage) */
int trap_enter(struct cage *c);
void trap_leave(struct cage *c);
void trap_log(struct cage *c);

#endif
