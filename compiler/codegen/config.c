/* The runtime config the blob carries: servers and their listeners, and the
 * file_server and reverse_proxy records that generated code names by index
 * in its actions. Built from the lowered records: lowering has checked and
 * extracted every value, so nothing here is refused. */
#include <string.h>

#include "cg.h"

void config_server(struct cg *cg, const struct lowered_server *srv)
{
  for (size_t i = 0; i < srv->listener_count; i++) {
    struct site_listener *l = ARENA_PUSH(cg->a, cg->config->listeners, cg->config->listener_count,
                                         cg->config->listener_cap);
    l->host_str = srv->listeners[i].host;
    l->port = (uint16_t)srv->listeners[i].port;
    l->server = srv->index;
  }
  struct site_server *s = ARENA_PUSH(cg->a, cg->config->servers, cg->config->server_count, cg->config->server_cap);
  s->name_str = arena_strdup(cg->a, srv->name);
  s->entry = srv->index;   /* the writer emits one entry per server, in server order */
  s->entry_symbol = arena_printf(cg->a, "zs_entry_srv%u", srv->index);
  s->flags = 0;            /* no TLS yet: lowering refuses automatic HTTPS */
}

/* the file_server's record; its index */
unsigned config_file_server(struct cg *cg, const struct lowered_file_server *fs)
{
  static const char *default_index[] = {"index.html", "index.txt", NULL};
  struct site_file_server *f = ARENA_PUSH(cg->a, cg->config->file_servers, cg->config->file_server_count,
                                          cg->config->file_server_cap);
  f->root_str = fs->root_const ? fs->root_const : ".";
  f->index_str = fs->has_index ? fs->index_names : default_index;
  f->index_str_count = fs->has_index ? fs->index_count : 2;
  f->hide_str = fs->hide;
  f->hide_str_count = fs->hide_count;
  f->status = (unsigned)fs->status;
  return (unsigned)(cg->config->file_server_count - 1);
}

/* the upstream's record, shared by identical upstreams; its index */
unsigned config_proxy(struct cg *cg, const struct lowered_reverse_proxy *rp)
{
  for (size_t i = 0; i < cg->config->proxy_count; i++)
    if (strcmp(cg->config->proxies[i].upstream_str, rp->dial) == 0)
      return (unsigned)i;
  struct site_proxy *p = ARENA_PUSH(cg->a, cg->config->proxies, cg->config->proxy_count, cg->config->proxy_cap);
  p->upstream_str = rp->dial;
  return (unsigned)(cg->config->proxy_count - 1);
}
