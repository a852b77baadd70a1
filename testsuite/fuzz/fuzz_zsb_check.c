/* Fuzz target: zsb_check, the compiler's copy of zsrt's blob validation, and
 * the listing, which trusts whatever zsb_check accepted. */
#include "fuzz.h"
#include "fuzz_blob.h"
#include "zsb/zsb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t n;
  uint8_t *blob = fuzz_blob_copy(data, size, &n);
  if (!blob)
    return 0;
  char err[256] = "";
  int rc = zsb_check(blob, n, err, sizeof err);
  if (rc < 0 && !err[0])
    abort();                   /* a refusal must say why */
  if (rc == 0) {
    struct arena a = {0};
    struct strbuf out;
    strbuf_init(&out, &a);
    if (zsb_dump_bytes(blob, n, &out) != 0)
      abort();                 /* checked, so it lists */
    arena_reset(&a);
  }
  free(blob);
  return 0;
}
