/* The file the host hands the aarch64 runner: one image, its rodata and the
 * entries to run. Little-endian u64 fields, then the bytes, in this order. */
#ifndef ZS_TEST_LIFTER_BATCH_H
#define ZS_TEST_LIFTER_BATCH_H

#include <stdint.h>

#define BATCH_MAGIC 0x314843544142534cull    /* "LSBATCH1" */

struct batch_header {
  uint64_t magic;
  uint64_t code_size;
  uint64_t rodata_size;
  uint64_t entry_count;
  /* then code_size bytes of image, rodata_size bytes of rodata,
   * entry_count u64 code offsets; the runner prints one line per entry:
   * "<index> <trap> <r0 hex> <snapped> <snapshot hash hex>" */
};

#endif
