/* Internal interfaces between the files of compiler/native: the two compiler
 * drivers produce a relocatable object, object.c turns it into an image. */
#ifndef ZSC_NATIVE_PARTS_H
#define ZSC_NATIVE_PARTS_H

#include <gelf.h>

#include "native/native.h"

struct native_object {
  uint8_t *data;
  size_t size;
};

int native_clang_compile(struct arena *a, const char *caged_c, enum zs_arch arch, const char *clang,
                         struct native_object *obj, struct diag *d);
int native_tcc_compile(struct arena *a, const char *caged_c, enum zs_arch arch,
                       struct native_object *obj, struct diag *d);
int native_object_link(struct arena *a, const struct native_object *obj, enum zs_arch arch,
                       struct native_image *out, struct diag *d);

/* From object.c to lines.c: section indices placed in the image, and where. */
struct native_layout {
  size_t section_count;
  int64_t *section_offset;     /* -1 when the section is not in the image */
};

/* fills out->lines from .debug_line when the object has it; never fails the build */
void native_lines_read(struct arena *a, Elf *elf, const struct native_layout *layout,
                       struct native_image *out);

/* a temporary directory for one compilation, and its removal */
/* the object file a compiler wrote: 0, or -1 when it is missing or empty */
int native_object_read(struct arena *a, const char *path, struct native_object *obj);

#endif
