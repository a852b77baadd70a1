/* The libtcc driver: compiles caged C in process to an x86_64 object (fast
 * builds, no clang needed at deploy time). libtcc keeps global state, so zsc
 * compiles one unit at a time. */
#include "native/native_parts.h"
#include "base/tmpdir.h"

#include <libtcc.h>
#include <string.h>

#include "base/strbuf.h"

static void native_tcc_error(void *opaque, const char *msg)
{
  struct strbuf *sb = opaque;
  strbuf_puts(sb, msg);
  strbuf_putc(sb, '\n');
}

static int native_tcc_run(TCCState *s, const char *caged_c, const char *path)
{
  tcc_set_options(s, "-nostdinc -nostdlib");
  if (tcc_set_output_type(s, TCC_OUTPUT_OBJ) < 0)
    return -1;
  if (tcc_compile_string(s, caged_c) < 0)
    return -1;
  return tcc_output_file(s, path) < 0 ? -1 : 0;
}

int native_tcc_compile(struct arena *a, const char *caged_c, enum zs_arch arch,
                       struct native_object *obj, struct diag *d)
{
  if (arch != ZS_ARCH_X86_64) {
    diag_error(d, (struct srcpos){0}, "native: libtcc builds x86_64 only; use clang for aarch64");
    return -1;
  }
  char *dir = tmpdir_create(a, "native", d);
  if (!dir)
    return -1;
  char *path = arena_printf(a, "%s/caged.o", dir);
  struct strbuf errors;
  strbuf_init(&errors, a);
  TCCState *s = tcc_new();
  int rc = -1;
  if (s) {
    tcc_set_error_func(s, &errors, native_tcc_error);
    rc = native_tcc_run(s, caged_c, path);
    tcc_delete(s);
  }
  if (rc == 0 && native_object_read(a, path, obj) < 0)
    rc = -1;
  tmpdir_remove(dir);
  if (rc < 0)
    diag_error(d, (struct srcpos){0}, "native: libtcc failed on the caged C:\n%s", strbuf_cstr(&errors));
  return rc;
}
