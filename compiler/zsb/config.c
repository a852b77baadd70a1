/* The blob's config section from codegen's site_config: struct
 * zs_config_header, the tables of abi/config.def, then a string pool; every
 * row is copied field by field as the schema says. Layout only; writer.c
 * places the section in the file. */
#include "zsb_parts.h"

#include <string.h>

#include "abi/config_check.h"

struct config_pooled {
  const char *s;
  uint32_t offset;
};

struct config_pool {
  struct arena *a;
  struct strbuf bytes;
  struct config_pooled *pooled;   /* strings already stored, to share them */
  size_t count, cap;
};

static uint32_t config_pool_put(struct config_pool *p, const char *data, size_t len)
{
  uint32_t off = (uint32_t)p->bytes.len;
  strbuf_put(&p->bytes, data, len);
  strbuf_putc(&p->bytes, 0);
  return off;
}

/* one NUL-terminated string; the same string is stored once */
static uint32_t config_pool_string(struct config_pool *p, const char *s)
{
  s = s ? s : "";
  for (size_t i = 0; i < p->count; i++)
    if (!strcmp(p->pooled[i].s, s))
      return p->pooled[i].offset;
  uint32_t off = config_pool_put(p, s, strlen(s));
  *ARENA_PUSH(p->a, p->pooled, p->count, p->cap) = (struct config_pooled){ s, off };
  return off;
}

/* names NUL-separated, ending with an empty name */
static uint32_t config_pool_list(struct config_pool *p, const char **names, size_t count)
{
  uint32_t off = (uint32_t)p->bytes.len;
  for (size_t i = 0; i < count; i++)
    config_pool_put(p, names[i], strlen(names[i]));
  strbuf_putc(&p->bytes, 0);
  return off;
}

static size_t config_align8(size_t n)
{
  return (n + 7) & ~(size_t)7;
}

/* one row from its site_ record, field by field as abi/config.def lists them */
#define CONFIG_PUT_NUM(pool, dst, s, name) dst = s->name
#define CONFIG_PUT_OPTNUM(pool, dst, s, name) dst = s->name
#define CONFIG_PUT_FLAGS(pool, dst, s, name) dst = s->name
#define CONFIG_PUT_INDEX(pool, dst, s, name) dst = s->name
#define CONFIG_PUT_STR(pool, dst, s, name) dst = config_pool_string(pool, s->name)
#define CONFIG_PUT_LIST(pool, dst, s, name) dst = config_pool_list(pool, s->name, s->name##_count)
#define CONFIG_PUT_RESERVED(pool, dst, s, name) (void)0
#define ZS_TABLE_BEGIN(table, plural, doc)                                                        \
  static void config_put_##table(struct config_pool *pool, const struct site_##table *s, uint8_t *at) \
  {                                                                                              \
    struct zs_##table r = { 0 };                                                                 \
    (void)pool, (void)s;
#define ZS_FIELD(table, type, name, kind, a, b, doc) CONFIG_PUT_##kind(pool, r.name, s, name);
#define ZS_TABLE_END(table) \
    memcpy(at, &r, sizeof r); \
  }
#include "abi/config.def"

/* the tables one after the other, 8-aligned, in config.def's order; returns
 * where the string pool starts */
static size_t config_layout(const struct site_config *cfg, struct zs_config_header *h)
{
  size_t at = config_align8(sizeof *h);
#define ZS_TABLE_BEGIN(table, plural, doc)                          \
  h->table##_count = (uint32_t)cfg->table##_count;                  \
  h->table##_table = (uint32_t)at;                                  \
  at = config_align8(at + cfg->table##_count * sizeof(struct zs_##table));
#include "abi/config.def"
  h->strings_offset = (uint32_t)at;
  return at;
}

static void config_fill_tables(const struct site_config *cfg, struct config_pool *pool, uint8_t *tables,
                               const struct zs_config_header *h)
{
#define ZS_TABLE_BEGIN(table, plural, doc)                                                          \
  for (size_t i = 0; i < cfg->table##_count; i++)                                                   \
    config_put_##table(pool, &cfg->plural[i], tables + h->table##_table + i * sizeof(struct zs_##table));
#include "abi/config.def"
}

/* what the writer produced passes the validator the runtime runs (entries are
 * one per server) */
static int config_check(const uint8_t *section, size_t size, const struct site_config *cfg, struct diag *d)
{
  struct zs_config_view v;
  char err[256];
  if (zs_config_check(&v, section, size, (uint32_t)cfg->server_count, err, sizeof err) == 0)
    return 0;
  diag_error(d, (struct srcpos){ 0 }, "blob %s", err);
  return -1;
}

int zsb_build_config(struct arena *a, const struct site_config *cfg, uint8_t **out, size_t *size,
                     struct diag *d)
{
  static const struct site_config empty;
  cfg = cfg ? cfg : &empty;
  struct zs_config_header h = { 0 };
  size_t at = config_layout(cfg, &h);
  struct config_pool pool = { .a = a };
  strbuf_init(&pool.bytes, a);
  config_pool_string(&pool, "");   /* offset 0 is the empty string */
  uint8_t *tables = arena_alloc(a, at);
  config_fill_tables(cfg, &pool, tables, &h);
  h.strings_size = (uint32_t)pool.bytes.len;
  memcpy(tables, &h, sizeof h);
  *size = at + pool.bytes.len;
  *out = arena_alloc(a, *size + 1);
  memcpy(*out, tables, at);
  memcpy(*out + at, pool.bytes.data, pool.bytes.len);
  return config_check(*out, *size, cfg, d);
}
