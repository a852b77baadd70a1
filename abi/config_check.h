/* The one validator of a blob's config section, driven by config.def: zsb_check
 * in the compiler and the runtime loader both call it, so they refuse the same
 * blobs with the same message ("config: file_server 0: status: 42 is not 0 or
 * 100..999"). It reads only, through memcpy: the section may be unaligned. */
#ifndef ZS_ABI_CONFIG_CHECK_H
#define ZS_ABI_CONFIG_CHECK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "blob.h"

/* a config section once zs_config_check accepted it */
struct zs_config_view {
  const uint8_t *base;           /* the section */
  uint64_t size;
  struct zs_config_header hdr;
  const char *strings;           /* the pool: strings_size bytes, the last one NUL */
  uint32_t strings_size;
  /* rows of each table (count_server, count_listener, ...), for INDEX fields */
#define ZS_TABLE_BEGIN(table, plural, doc) uint32_t count_##table;
#include "config.def"
  uint32_t count_entry;          /* entries in ZS_SEC_ENTRIES */
};

static inline int zs_config_fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline int zs_config_fail(char *err, size_t n, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (err && n)
    vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return -1;
}

/* one check per field kind; t, row and f name the place in the message */
static inline int zs_config_check_num(const char *t, uint32_t row, const char *f, uint32_t v, uint32_t lo,
                                      uint32_t hi, int zero_ok, char *err, size_t n)
{
  if ((zero_ok && v == 0) || (v >= lo && v <= hi))
    return 0;
  return zs_config_fail(err, n, "config: %s %u: %s: %u is not %s%u..%u", t, row, f, v, zero_ok ? "0 or " : "",
                        lo, hi);
}

static inline int zs_config_check_flags(const char *t, uint32_t row, const char *f, uint32_t v, uint32_t known,
                                        char *err, size_t n)
{
  if (!(v & ~known))
    return 0;
  return zs_config_fail(err, n, "config: %s %u: %s: unknown bits 0x%x", t, row, f, v & ~known);
}

static inline int zs_config_check_reserved(const char *t, uint32_t row, const char *f, uint32_t v, char *err,
                                           size_t n)
{
  return v ? zs_config_fail(err, n, "config: %s %u: %s: %u, must be 0", t, row, f, v) : 0;
}

/* the pool ends with a NUL, so an offset inside it is a terminated string */
static inline int zs_config_check_str(const struct zs_config_view *v, const char *t, uint32_t row, const char *f,
                                      uint32_t off, char *err, size_t n)
{
  if (off < v->strings_size)
    return 0;
  return zs_config_fail(err, n, "config: %s %u: %s: offset %u is outside the string pool (%u bytes)", t, row, f,
                        off, v->strings_size);
}

static inline int zs_config_check_list(const struct zs_config_view *v, const char *t, uint32_t row, const char *f,
                                       uint32_t off, char *err, size_t n)
{
  if (zs_config_check_str(v, t, row, f, off, err, n) < 0)
    return -1;
  for (uint32_t at = off; at < v->strings_size; at += (uint32_t)strlen(v->strings + at) + 1)
    if (v->strings[at] == '\0')
      return 0;
  return zs_config_fail(err, n, "config: %s %u: %s: list at %u has no empty string ending it in the pool", t,
                        row, f, off);
}

static inline int zs_config_check_index(const char *t, uint32_t row, const char *f, uint32_t v, const char *target,
                                        uint32_t count, char *err, size_t n)
{
  if (v < count)
    return 0;
  return zs_config_fail(err, n, "config: %s %u: %s: no %s %u (%u rows)", t, row, f, target, v, count);
}

/* kind -> check; the FLAGS mask is the OR of its list's values */
#define ZS_CONFIG_FLAG_BIT(constant, value, label) | (value)
#define ZS_CONFIG_CHECK_NUM(v, t, row, f, x, a, b, err, n) zs_config_check_num(t, row, f, x, a, b, 0, err, n)
#define ZS_CONFIG_CHECK_OPTNUM(v, t, row, f, x, a, b, err, n) zs_config_check_num(t, row, f, x, a, b, 1, err, n)
#define ZS_CONFIG_CHECK_FLAGS(v, t, row, f, x, a, b, err, n) \
  zs_config_check_flags(t, row, f, x, 0u a(ZS_CONFIG_FLAG_BIT), err, n)
#define ZS_CONFIG_CHECK_STR(v, t, row, f, x, a, b, err, n) zs_config_check_str(v, t, row, f, x, err, n)
#define ZS_CONFIG_CHECK_LIST(v, t, row, f, x, a, b, err, n) zs_config_check_list(v, t, row, f, x, err, n)
#define ZS_CONFIG_CHECK_INDEX(v, t, row, f, x, a, b, err, n) \
  zs_config_check_index(t, row, f, x, #a, (v)->count_##a, err, n)
#define ZS_CONFIG_CHECK_RESERVED(v, t, row, f, x, a, b, err, n) zs_config_check_reserved(t, row, f, x, err, n)

/* zs_config_check_server(v, row, ...), one per table: every field of one row */
#define ZS_TABLE_BEGIN(table, plural, doc)                                                        \
  static inline int zs_config_check_##table(const struct zs_config_view *v, uint32_t row, char *err, \
                                            size_t n)                                              \
  {                                                                                                \
    struct zs_##table r;                                                                           \
    memcpy(&r, v->base + v->hdr.table##_table + (size_t)row * sizeof r, sizeof r);                 \
    const char *t = #table;
#define ZS_FIELD(table, type, name, kind, a, b, doc) \
    if (ZS_CONFIG_CHECK_##kind(v, t, row, #name, r.name, a, b, err, n) < 0) \
      return -1;
#define ZS_TABLE_END(table) \
    return 0;               \
  }
#include "config.def"

static inline int zs_config_check_table(const struct zs_config_view *v, const char *t, uint32_t off, uint32_t count,
                                        size_t row_size, char *err, size_t n)
{
  if (off % 4 == 0 && off <= v->size && (uint64_t)count * row_size <= v->size - off)
    return 0;
  return zs_config_fail(err, n, "config: %s table (%u rows at 0x%x) is outside the section", t, count, off);
}

static inline int zs_config_check_pool(struct zs_config_view *v, char *err, size_t n)
{
  const struct zs_config_header *h = &v->hdr;
  if (h->strings_offset > v->size || h->strings_size > v->size - h->strings_offset)
    return zs_config_fail(err, n, "config: string pool is outside the section");
  if (h->strings_size == 0 || v->base[h->strings_offset] != '\0')
    return zs_config_fail(err, n, "config: string pool does not start with the empty string");
  if (v->base[h->strings_offset + h->strings_size - 1] != '\0')
    return zs_config_fail(err, n, "config: string pool does not end with NUL");
  v->strings = (const char *)v->base + h->strings_offset;
  v->strings_size = h->strings_size;
  return 0;
}

/* Checks the config section (size bytes at base) of a blob with entry_count
 * entries: the header, every table inside the section, the string pool, then
 * every field of every row as config.def says. Fills *v. Returns 0, or -1 with
 * the table, row and field in err. */
static inline int zs_config_check(struct zs_config_view *v, const uint8_t *base, uint64_t size,
                                  uint32_t entry_count, char *err, size_t n)
{
  memset(v, 0, sizeof *v);
  v->base = base;
  v->size = size;
  v->count_entry = entry_count;
  if (size < sizeof v->hdr)
    return zs_config_fail(err, n, "config: section is smaller than its header");
  memcpy(&v->hdr, base, sizeof v->hdr);
#define ZS_TABLE_BEGIN(table, plural, doc)                                                                 \
  if (zs_config_check_table(v, #table, v->hdr.table##_table, v->hdr.table##_count, sizeof(struct zs_##table), \
                            err, n) < 0)                                                                   \
    return -1;                                                                                             \
  v->count_##table = v->hdr.table##_count;
#include "config.def"
  if (zs_config_check_pool(v, err, n) < 0)
    return -1;
#define ZS_TABLE_BEGIN(table, plural, doc)                  \
  for (uint32_t i = 0; i < v->hdr.table##_count; i++)       \
    if (zs_config_check_##table(v, i, err, n) < 0)          \
      return -1;
#include "config.def"
  return 0;
}

/* Entries and servers name each other: entry i runs server entries[i].server,
 * and that server's entry is i. entries is the entry section, count_entry rows;
 * call it after zs_config_check accepted v. */
static inline int zs_config_check_entries(const struct zs_config_view *v, const uint8_t *entries, char *err, size_t n)
{
  for (uint32_t i = 0; i < v->count_entry; i++) {
    struct zs_entry e;
    memcpy(&e, entries + (size_t)i * sizeof e, sizeof e);
    if (e.server >= v->hdr.server_count)
      return zs_config_fail(err, n, "entry %u: no server %u", i, e.server);
  }
  for (uint32_t i = 0; i < v->hdr.server_count; i++) {
    struct zs_server s;
    struct zs_entry e;
    memcpy(&s, v->base + v->hdr.server_table + (size_t)i * sizeof s, sizeof s);
    memcpy(&e, entries + (size_t)s.entry * sizeof e, sizeof e);
    if (e.server != i || e.kind != ZS_ENTRY_REQUEST)
      return zs_config_fail(err, n, "config: server %u: entry: entry %u is not its entry (it runs server %u)", i,
                            s.entry, e.server);
  }
  return 0;
}

#endif
