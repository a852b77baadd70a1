/* The blob's config section from codegen's site_config: struct
 * zs_config_header, the server, listener, file_server and proxy tables, then
 * a string pool. Layout only; writer.c places the section in the file. */
#include "zsb_parts.h"

#include <string.h>

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

static void config_fill_tables(const struct site_config *cfg, struct config_pool *pool, uint8_t *at,
                               const struct zs_config_header *h)
{
  struct zs_server *servers = (struct zs_server *)(at + h->server_table);
  for (size_t i = 0; i < cfg->server_count; i++)
    servers[i] = (struct zs_server){ .name_str = config_pool_string(pool, cfg->servers[i].name),
                                     .entry = (uint32_t)i,
                                     .flags = cfg->servers[i].tls ? ZS_SERVER_TLS : 0 };
  struct zs_listener *listeners = (struct zs_listener *)(at + h->listener_table);
  for (size_t i = 0; i < cfg->listener_count; i++)
    listeners[i] = (struct zs_listener){ .server = cfg->listeners[i].server,
                                         .host_str = config_pool_string(pool, cfg->listeners[i].host),
                                         .port = (uint16_t)cfg->listeners[i].port };
  struct zs_file_server *files = (struct zs_file_server *)(at + h->file_server_table);
  for (size_t i = 0; i < cfg->file_server_count; i++) {
    const struct site_file_server *f = &cfg->file_servers[i];
    files[i] = (struct zs_file_server){ .root_str = config_pool_string(pool, f->root),
                                        .index_str = config_pool_list(pool, f->index_names, f->index_count),
                                        .hide_str = config_pool_list(pool, f->hide, f->hide_count),
                                        .flags = f->browse ? ZS_FILE_BROWSE : 0, .status = f->status };
  }
  struct zs_proxy *proxies = (struct zs_proxy *)(at + h->proxy_table);
  for (size_t i = 0; i < cfg->proxy_count; i++)
    proxies[i] = (struct zs_proxy){ .upstream_str = config_pool_string(pool, cfg->proxies[i].upstream) };
}

/* validates what the runtime would trip on: listener servers and ports */
static int config_check(const struct site_config *cfg, struct diag *d)
{
  for (size_t i = 0; i < cfg->listener_count; i++)
    if (cfg->listeners[i].server >= cfg->server_count || cfg->listeners[i].port > 65535) {
      diag_error(d, (struct srcpos){ 0 }, "listener %zu: bad server %u or port %u", i,
                 cfg->listeners[i].server, cfg->listeners[i].port);
      return -1;
    }
  return 0;
}

int zsb_build_config(struct arena *a, const struct site_config *cfg, uint8_t **out, size_t *size,
                     struct diag *d)
{
  static const struct site_config empty;
  cfg = cfg ? cfg : &empty;
  if (config_check(cfg, d) < 0)
    return -1;
  struct zs_config_header h = { .server_count = (uint32_t)cfg->server_count,
                                .listener_count = (uint32_t)cfg->listener_count,
                                .file_server_count = (uint32_t)cfg->file_server_count,
                                .proxy_count = (uint32_t)cfg->proxy_count };
  size_t at = config_align8(sizeof h);
  h.server_table = (uint32_t)at;
  at = config_align8(at + cfg->server_count * sizeof(struct zs_server));
  h.listener_table = (uint32_t)at;
  at = config_align8(at + cfg->listener_count * sizeof(struct zs_listener));
  h.file_server_table = (uint32_t)at;
  at = config_align8(at + cfg->file_server_count * sizeof(struct zs_file_server));
  h.proxy_table = (uint32_t)at;
  at = config_align8(at + cfg->proxy_count * sizeof(struct zs_proxy));
  h.strings_offset = (uint32_t)at;
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
  return 0;
}
