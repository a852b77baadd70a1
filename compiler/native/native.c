/* native_compile: picks the compiler driver, then links its object into an
 * image. Also the small file helpers the drivers share. */
#include "native/native_parts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int native_compile(struct arena *a, const char *caged_c, enum zs_arch arch, enum native_cc cc,
                   const char *clang, struct native_image *out, struct diag *d)
{
  struct native_object obj = {0};
  int rc;
  memset(out, 0, sizeof *out);
  if (cc == NATIVE_CC_TCC)
    rc = native_tcc_compile(a, caged_c, arch, &obj, d);
  else
    rc = native_clang_compile(a, caged_c, arch, clang ? clang : "clang-19", &obj, d);
  if (rc < 0)
    return -1;
  return native_object_link(a, &obj, arch, out, d);
}

int native_file_read(struct arena *a, const char *path, struct native_object *obj)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  obj->data = arena_alloc(a, n > 0 ? (size_t)n : 1);
  obj->size = n > 0 && fread(obj->data, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
  fclose(f);
  return obj->size ? 0 : -1;
}

int native_file_write(const char *path, const void *data, size_t len)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t n = fwrite(data, 1, len, f);
  return fclose(f) == 0 && n == len ? 0 : -1;
}
