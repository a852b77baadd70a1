/* What every fuzz target shares: the libFuzzer entry point's prototype, a
 * diagnostics sink so error paths run without flooding the fuzzer's output,
 * and the guard that keeps Caddyfile imports away from the machine's files. */
#ifndef ZS_FUZZ_H
#define ZS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* /dev/null as a FILE *, opened once: the process keeps it for its lifetime. */
static inline FILE *fuzz_sink(void)
{
  static FILE *sink;
  if (!sink)
    sink = fopen("/dev/null", "w");
  if (!sink)
    abort();
  return sink;
}

static inline int fuzz_has(const uint8_t *data, size_t size, const char *needle)
{
  return memmem(data, size, needle, strlen(needle)) != NULL;
}

/* a parser's slice [p, p+n) lies inside buf[0, len) (empty slices anywhere) */
static inline int fuzz_slice_inside(const char *p, size_t n, const char *buf, size_t len)
{
  return n == 0 || (p >= buf && p + n <= buf + len);
}

/* An import with a path (or an environment value that may be one) could read
 * any file, /dev/zero included; the drivers run in an empty directory, so
 * imports without a slash still exercise the not-found and snippet paths. */
static inline int fuzz_import_may_escape(const uint8_t *data, size_t size)
{
  return fuzz_has(data, size, "import") &&
         (memchr(data, '/', size) || fuzz_has(data, size, "{$") || memchr(data, '\\', size));
}

#endif
