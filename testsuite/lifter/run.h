/* Running a lifted image's entries in a real cage (runtime/cage.c), shared by
 * the in-process x86_64 tests and the static aarch64 runner under qemu.
 * Also the test helpers, whose meaning the interpreter side mirrors. */
#ifndef ZS_TEST_LIFTER_RUN_H
#define ZS_TEST_LIFTER_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/cage.h"

/* test helper ids: 0 mix (pure arithmetic), 1 snapshot (records stack and
 * heap, returns RUN_SNAP_RET), 2 peek (u64 at guest r1, or -14 if unreadable) */
#define RUN_HELPER_COUNT 3
#define RUN_SNAP_STACK 4096          /* bytes below the stack top */
#define RUN_SNAP_HEAP 4096           /* bytes from the heap start */
#define RUN_SNAP_RET 0x5a
#define RUN_REQ_BYTES 4096           /* patterned request view bytes */
#define RUN_BUDGET 200000
#define RUN_HEAP_CLEAR 0x10000       /* heap bytes zeroed before each case: all the tests touch */

static inline uint64_t run_helper_mix(const uint64_t a[5])
{
  return a[0] * 31 + a[1] * 7 + (a[2] ^ a[3]) - a[4];
}

static inline uint64_t run_hash(const uint8_t *p, size_t n, uint64_t h)
{
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
#define RUN_HASH_SEED 0xcbf29ce484222325ull

struct run_result {
  unsigned trap;
  uint64_t r0;
  int snapped;                 /* the program called the snapshot helper */
  uint64_t snap_hash;          /* of RUN_SNAP_STACK then RUN_SNAP_HEAP bytes */
};

struct run_env {
  struct cage cage;
  uint8_t *code;               /* executable copy of the image */
  size_t code_map;
  int snapped;
  uint64_t snap_hash;
};

void run_fill_request(uint8_t *req, size_t len);
int run_env_init(struct run_env *e, const uint8_t *image, size_t image_size,
                 const uint8_t *rodata, size_t rodata_size);
void run_env_case(struct run_env *e, uint64_t code_offset, struct run_result *out);
void run_env_destroy(struct run_env *e);

#endif
