/* Reading the embedded stdlib-bpf headers blob (see stdlib_embed.h) and
 * writing it out as files for clang. */
#include "stdlib_embed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* walks the blob: calls each (name, text, len) until fn returns non-zero */
static int stdlib_embed_each(int (*fn)(void *ctx, const char *name, const char *text, size_t len), void *ctx)
{
  const char *p = (const char *)zs_stdlib_bpf_headers, *end = p + zs_stdlib_bpf_headers_len;
  while (p < end) {
    const char *name = p;
    const char *text = memchr(name, '\0', (size_t)(end - name));
    if (!text || text + 1 >= end)
      return -EINVAL;
    text++;
    const char *stop = memchr(text, '\0', (size_t)(end - text));
    if (!stop)
      return -EINVAL;
    int r = fn(ctx, name, text, (size_t)(stop - text));
    if (r)
      return r;
    p = stop + 1;
  }
  return 0;
}

static int stdlib_embed_write_one(void *ctx, const char *name, const char *text, size_t len)
{
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", (const char *)ctx, name) >= (int)sizeof path)
    return -ENAMETOOLONG;
  FILE *f = fopen(path, "wb");
  if (!f)
    return -errno;
  size_t n = fwrite(text, 1, len, f);
  int closed = fclose(f);
  return n == len && closed == 0 ? 0 : -EIO;
}

int stdlib_embed_write_headers(const char *dir)
{
  return stdlib_embed_each(stdlib_embed_write_one, (void *)dir);
}

struct stdlib_embed_find {
  const char *name;
  const char *text;
  size_t len;
};

static int stdlib_embed_find_one(void *ctx, const char *name, const char *text, size_t len)
{
  struct stdlib_embed_find *f = ctx;
  if (strcmp(name, f->name) != 0)
    return 0;
  f->text = text;
  f->len = len;
  return 1;
}

const char *stdlib_embed_header(const char *name, size_t *len)
{
  struct stdlib_embed_find f = {.name = name};
  stdlib_embed_each(stdlib_embed_find_one, &f);
  if (len)
    *len = f.len;
  return f.text;
}
