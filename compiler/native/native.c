/* native_compile: picks the compiler driver, then links its object into an
 * image. Also the small file helpers the drivers share. */
#include "native/native_parts.h"
#include "base/file.h"

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

int native_object_read(struct arena *a, const char *path, struct native_object *obj)
{
  char *data;
  if (file_read_all(a, path, &data, &obj->size) < 0 || obj->size == 0)
    return -1;
  obj->data = (uint8_t *)data;
  return 0;
}
