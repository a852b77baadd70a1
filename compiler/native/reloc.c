/* Relocation arithmetic for the image: only PC-relative forms are accepted,
 * since the image is mapped at an address nobody knows at link time. */
#include "native/reloc.h"

#include <elf.h>
#include <string.h>

static uint32_t native_get32(const uint8_t *p)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void native_put32(uint8_t *p, uint32_t v)
{
  memcpy(p, &v, 4);
}

static int native_fits_signed(int64_t v, int bits)
{
  return v >= -(INT64_C(1) << (bits - 1)) && v < (INT64_C(1) << (bits - 1));
}

static const char *native_reloc_x86_64(uint8_t *p, const struct native_reloc *r)
{
  int64_t rel = r->value - r->place;
  switch (r->type) {
  case R_X86_64_PC32:
  case R_X86_64_PLT32:
    if (!native_fits_signed(rel, 32))
      return "R_X86_64_PC32 out of range";
    native_put32(p, (uint32_t)rel);
    return NULL;
  case R_X86_64_64:
    return "R_X86_64_64 (an absolute address: the code is not position-independent)";
  case R_X86_64_GOTPCREL:
  case R_X86_64_GOTPCRELX:
  case R_X86_64_REX_GOTPCRELX:
    return "GOT-relative relocation (a symbol reached through the GOT)";
  default:
    return "unsupported x86_64 relocation type";
  }
}

/* a branch immediate of `bits` bits (in instructions) at bit `shift` */
static const char *native_put_branch(uint8_t *p, int64_t rel, int bits, int shift)
{
  if ((rel & 3) || !native_fits_signed(rel >> 2, bits))
    return "aarch64 branch out of range";
  uint32_t mask = ((1u << bits) - 1) << shift;
  native_put32(p, (native_get32(p) & ~mask) | (((uint32_t)(rel >> 2) << shift) & mask));
  return NULL;
}

/* the 12-bit low part of an address, scaled by the access size */
static const char *native_put_lo12(uint8_t *p, int64_t value, int scale)
{
  uint32_t lo = (uint32_t)value & 0xfff;
  if (lo & ((1u << scale) - 1))
    return "misaligned aarch64 LDST_ABS_LO12 target";
  uint32_t mask = 0xfffu << 10;
  native_put32(p, (native_get32(p) & ~mask) | ((lo >> scale) << 10));
  return NULL;
}

static const char *native_put_adrp(uint8_t *p, const struct native_reloc *r)
{
  int64_t pages = ((r->value & ~INT64_C(0xfff)) - (r->place & ~INT64_C(0xfff))) >> 12;
  if (!native_fits_signed(pages, 21))
    return "aarch64 ADRP out of range";
  uint32_t v = (uint32_t)pages, insn = native_get32(p) & ~((3u << 29) | (0x7ffffu << 5));
  native_put32(p, insn | (v & 3) << 29 | ((v >> 2) & 0x7ffff) << 5);
  return NULL;
}

static const char *native_reloc_aarch64(uint8_t *p, const struct native_reloc *r)
{
  int64_t rel = r->value - r->place;
  switch (r->type) {
  case R_AARCH64_CALL26:
  case R_AARCH64_JUMP26: return native_put_branch(p, rel, 26, 0);
  case R_AARCH64_CONDBR19: return native_put_branch(p, rel, 19, 5);
  case R_AARCH64_TSTBR14: return native_put_branch(p, rel, 14, 5);
  case R_AARCH64_ADR_PREL_PG_HI21: return native_put_adrp(p, r);
  case R_AARCH64_ADD_ABS_LO12_NC:
  case R_AARCH64_LDST8_ABS_LO12_NC: return native_put_lo12(p, r->value, 0);
  case R_AARCH64_LDST16_ABS_LO12_NC: return native_put_lo12(p, r->value, 1);
  case R_AARCH64_LDST32_ABS_LO12_NC: return native_put_lo12(p, r->value, 2);
  case R_AARCH64_LDST64_ABS_LO12_NC: return native_put_lo12(p, r->value, 3);
  case R_AARCH64_LDST128_ABS_LO12_NC: return native_put_lo12(p, r->value, 4);
  case R_AARCH64_PREL32:
    if (!native_fits_signed(rel, 32))
      return "R_AARCH64_PREL32 out of range";
    native_put32(p, (uint32_t)rel);
    return NULL;
  case R_AARCH64_ABS64:
    return "R_AARCH64_ABS64 (an absolute address: the code is not position-independent)";
  default:
    return "unsupported aarch64 relocation type";
  }
}

const char *native_reloc_apply(enum zs_arch arch, uint8_t *image, size_t size, const struct native_reloc *r)
{
  if (r->place < 0 || (uint64_t)r->place + 4 > size)
    return "relocation outside the image";
  if (arch == ZS_ARCH_AARCH64)
    return native_reloc_aarch64(image + r->place, r);
  return native_reloc_x86_64(image + r->place, r);
}
