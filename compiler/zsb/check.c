/* Validation of a blob in memory, the same refusals zsrt makes before mapping
 * one: header, checksum, section bounds, entry and config tables (the config
 * through the validator the loader shares). It reads only; the listing is dump.c's. */
#include "zsb.h"

#include "abi/config_check.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* the sizes docs/blob-format.md promises for the fixed structs */
_Static_assert(sizeof(struct zs_blob_header) == 424, "zs_blob_header layout");
_Static_assert(sizeof(struct zs_section) == 24 && sizeof(struct zs_entry) == 24 &&
               sizeof(struct zs_srcmap_row) == 24, "section/entry/srcmap layout");
/* the config tables' sizes are config.def's, on the page by blob_doc_test */

static int check_fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int check_fail(char *err, size_t err_size, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (err && err_size)
    vsnprintf(err, err_size, fmt, ap);
  va_end(ap);
  return -1;
}

const struct zs_section *zsb_find_section(const struct zs_blob_header *h, uint32_t kind)
{
  for (uint32_t i = 0; i < h->section_count && i < ZS_BLOB_MAX_SECTIONS; i++)
    if (h->sections[i].kind == kind)
      return &h->sections[i];
  return NULL;
}

static int check_header(const uint8_t *data, size_t size, struct zs_blob_header *h, char *err, size_t n)
{
  if (size < sizeof *h)
    return check_fail(err, n, "truncated: %zu bytes, smaller than the header", size);
  memcpy(h, data, sizeof *h);
  if (memcmp(h->magic, ZS_BLOB_MAGIC, sizeof h->magic))
    return check_fail(err, n, "not a zsb blob (bad magic)");
  if (h->version != ZS_BLOB_VERSION)
    return check_fail(err, n, "blob format version %u, expected %u", h->version, ZS_BLOB_VERSION);
  if (h->abi_version != ZS_ABI_VERSION)
    return check_fail(err, n, "blob ABI version %u, expected %u", h->abi_version, ZS_ABI_VERSION);
  if (h->arch != ZS_ARCH_X86_64 && h->arch != ZS_ARCH_AARCH64)
    return check_fail(err, n, "unknown architecture %u", h->arch);
  if (h->file_size != size)
    return check_fail(err, n, "file is %zu bytes, header says %llu (truncated?)", size,
                      (unsigned long long)h->file_size);
  if (h->section_count > ZS_BLOB_MAX_SECTIONS)
    return check_fail(err, n, "%u sections, at most %u", h->section_count, ZS_BLOB_MAX_SECTIONS);
  return 0;
}

static int check_checksum(const uint8_t *data, size_t size, const struct zs_blob_header *h, char *err, size_t n)
{
  /* the checksum is over the file with its own field zeroed: hash in three runs */
  size_t at = offsetof(struct zs_blob_header, checksum);
  uint64_t zero = 0, sum = 0xcbf29ce484222325ull;
  const uint8_t *runs[3] = { data, (const uint8_t *)&zero, data + at + sizeof zero };
  size_t lens[3] = { at, sizeof zero, size - at - sizeof zero };
  for (int r = 0; r < 3; r++)
    for (size_t i = 0; i < lens[r]; i++) {
      sum ^= runs[r][i];
      sum *= 0x100000001b3ull;
    }
  if (sum != h->checksum)
    return check_fail(err, n, "checksum mismatch (corrupted blob)");
  return 0;
}

static int check_sections(const struct zs_blob_header *h, char *err, size_t n)
{
  uint32_t seen = 0;
  for (uint32_t i = 0; i < h->section_count; i++) {
    const struct zs_section *s = &h->sections[i];
    if (s->kind < ZS_SEC_CODE || s->kind > ZS_SEC_SOURCE || (seen & (1u << s->kind)))
      return check_fail(err, n, "section %u: unknown or repeated kind %u", i, s->kind);
    seen |= 1u << s->kind;
    if (s->offset % ZS_BLOB_PAGE || s->offset < ZS_BLOB_PAGE || s->offset > h->file_size ||
        s->size > h->file_size - s->offset)
      return check_fail(err, n, "section %u (kind %u) is misaligned or out of the file", i, s->kind);
    for (uint32_t j = 0; j < i; j++) {
      const struct zs_section *t = &h->sections[j];
      if (s->size && t->size && s->offset < t->offset + t->size && t->offset < s->offset + s->size)
        return check_fail(err, n, "sections %u and %u overlap", j, i);
    }
  }
  for (uint32_t kind = ZS_SEC_CODE; kind <= ZS_SEC_CONFIG; kind++)
    if (!(seen & (1u << kind)))
      return check_fail(err, n, "no section of kind %u", kind);
  return 0;
}

/* the config tables, their fields and the entries' servers: abi/config_check.h,
 * the validator the runtime loader runs too */
static int check_config(const uint8_t *data, const struct zs_blob_header *h, char *err, size_t n)
{
  const struct zs_section *s = zsb_find_section(h, ZS_SEC_CONFIG), *e = zsb_find_section(h, ZS_SEC_ENTRIES);
  struct zs_config_view v;
  if (zs_config_check(&v, data + s->offset, s->size, (uint32_t)(e->size / sizeof(struct zs_entry)), err, n) < 0)
    return -1;
  return zs_config_check_entries(&v, data + e->offset, err, n);
}

static int check_entries(const uint8_t *data, const struct zs_blob_header *h, char *err, size_t n)
{
  const struct zs_section *s = zsb_find_section(h, ZS_SEC_ENTRIES);
  const struct zs_section *code = zsb_find_section(h, ZS_SEC_CODE);
  if (s->size % sizeof(struct zs_entry))
    return check_fail(err, n, "entry table size %llu is not a whole number of entries",
                      (unsigned long long)s->size);
  for (uint64_t i = 0; i < s->size / sizeof(struct zs_entry); i++) {
    struct zs_entry e;
    memcpy(&e, data + s->offset + i * sizeof e, sizeof e);
    if ((e.kind != ZS_ENTRY_REQUEST && e.kind != ZS_ENTRY_ERRORS) || e.code_offset >= code->size)
      return check_fail(err, n, "entry %llu: bad kind or code offset", (unsigned long long)i);
  }
  return 0;
}

int zsb_check(const uint8_t *data, size_t size, char *err, size_t err_size)
{
  struct zs_blob_header h;
  if (check_header(data, size, &h, err, err_size) < 0 || check_checksum(data, size, &h, err, err_size) < 0 ||
      check_sections(&h, err, err_size) < 0 || check_entries(data, &h, err, err_size) < 0)
    return -1;
  return check_config(data, &h, err, err_size);
}
