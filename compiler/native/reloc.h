/* Applying one relocation inside the native image, per architecture. */
#ifndef ZSC_NATIVE_RELOC_H
#define ZSC_NATIVE_RELOC_H

#include <stddef.h>
#include <stdint.h>

#include "../../abi/blob.h"

struct native_reloc {
  uint32_t type;               /* R_X86_64_* or R_AARCH64_* */
  int64_t place;               /* image offset of the field (P) */
  int64_t value;               /* image offset of symbol + addend (S + A) */
};

/* NULL when applied, else why the relocation cannot be (a static string) */
const char *native_reloc_apply(enum zs_arch arch, uint8_t *image, size_t size, const struct native_reloc *r);

#endif
