/* Whole-file reads and writes. */
#include "file.h"

#include <errno.h>
#include <stdio.h>

#include "strbuf.h"

int file_read_all(struct arena *a, const char *path, char **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -errno;
  struct strbuf sb;
  strbuf_init(&sb, a);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    strbuf_put(&sb, chunk, n);
  int failed = ferror(f);
  fclose(f);
  if (failed)
    return -EIO;
  *data = sb.data ? sb.data : arena_alloc(a, 1);
  *len = sb.len;
  return 0;
}

int file_write_all(const char *path, const void *data, size_t len)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -errno;
  size_t n = fwrite(data, 1, len, f);
  int rc = fclose(f);
  return rc == 0 && n == len ? 0 : -EIO;
}
