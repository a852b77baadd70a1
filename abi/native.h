/* The native calling convention of lifted code: what zsc's lifter emits calls
 * against and zsrt provides. Freestanding on purpose (no includes): it is
 * compiled into every blob by clang or libtcc for x86_64 and aarch64 (LP64). */
#ifndef ZS_ABI_NATIVE_H
#define ZS_ABI_NATIVE_H

struct zs_native_ctx;

typedef unsigned long long (*zs_helper_fn)(struct zs_native_ctx *ctx,
                                           unsigned long long r1, unsigned long long r2,
                                           unsigned long long r3, unsigned long long r4,
                                           unsigned long long r5);

/* Layout is ABI: lifted code addresses these fields by offset. */
struct zs_native_ctx {
  unsigned char *cage_base;           /* start of this worker's 4 GiB window */
  const zs_helper_fn *helpers;        /* indexed by helper id; ids < helper_count */
  long long budget;                   /* polls left; lifted code traps when it goes negative */
  void (*trap)(struct zs_native_ctx *ctx, unsigned int code); /* does not return */
  unsigned int helper_count;
  unsigned int depth;                 /* current call depth, checked against ZS_MAX_CALL_DEPTH */
  void *host;                         /* runtime private: the worker; never given to guest code */
  unsigned int heap_top;              /* heap high-water mark (bytes from the heap start) the
                                         lifted code raises on every store that may hit the heap,
                                         so the runtime clears exactly what a request wrote */
};

/* An entry point in the code section: r1 is the guest pointer to struct zs_req
 * (ZS_CAGE_REQ_OFF), r10 the top of the guest stack. Returns eBPF r0. */
typedef unsigned long long (*zs_entry_fn)(struct zs_native_ctx *ctx,
                                          unsigned long long r1, unsigned long long r10);

#endif
