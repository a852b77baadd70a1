/* Test helper: places bytes so that they end exactly at a PROT_NONE page,
 * so a parser that reads one byte too far faults instead of passing. */
#ifndef ZS_TEST_GUARD_H
#define ZS_TEST_GUARD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard_buf {
  char *region;
  size_t data_size;            /* readable bytes before the guard page */
};

static inline int guard_init(struct guard_buf *g, size_t max_len)
{
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  g->data_size = (max_len + page - 1) / page * page;
  if (g->data_size == 0)
    g->data_size = page;
  g->region = mmap(NULL, g->data_size + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->region == MAP_FAILED)
    return -1;
  return mprotect(g->region + g->data_size, page, PROT_NONE);
}

/* copies len bytes to end right at the guard page and returns where they start */
static inline const char *guard_place(struct guard_buf *g, const char *data, size_t len)
{
  if (len > g->data_size) {
    fprintf(stderr, "guard buffer too small\n");
    exit(1);
  }
  char *dst = g->region + g->data_size - len;
  memcpy(dst, data, len);
  return dst;
}

#endif
