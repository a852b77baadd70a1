/* Shared by the two blob targets: the input as a page-aligned blob whose
 * checksum is made right, so mutations reach the section and table checks
 * instead of all stopping at "checksum mismatch". */
#ifndef ZS_FUZZ_BLOB_H
#define ZS_FUZZ_BLOB_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/blob.h"

/* A malloc'd copy of data (free it); NULL when too small for a header. The
 * first byte of the input is a flag: odd keeps the checksum as it is. */
static inline uint8_t *fuzz_blob_copy(const uint8_t *data, size_t size, size_t *out_size)
{
  if (size < 1 + sizeof(struct zs_blob_header))
    return NULL;
  int keep_checksum = data[0] & 1;
  size_t n = size - 1;
  uint8_t *blob = aligned_alloc(4096, (n + 4095) / 4096 * 4096);
  if (!blob)
    abort();
  memcpy(blob, data + 1, n);
  if (!keep_checksum) {
    struct zs_blob_header h;
    memcpy(&h, blob, sizeof h);
    h.checksum = 0;
    uint64_t sum = zs_checksum((const unsigned char *)&h, sizeof h);
    sum = zs_checksum_update(sum, blob + sizeof h, n - sizeof h);
    memcpy(blob + offsetof(struct zs_blob_header, checksum), &sum, sizeof sum);
  }
  *out_size = n;
  return blob;
}

#endif
