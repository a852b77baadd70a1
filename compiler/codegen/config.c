/* The runtime config the blob carries: servers and their listeners (with the
 * automatic HTTPS check), and the file_server and reverse_proxy records that
 * generated code names by index in its actions. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"

/* "[tcp/]host:port" as Caddy writes listen addresses; refuses the rest */
static int config_listen(struct cg *cg, const struct json *v, unsigned server, unsigned *port_out)
{
  const char *addr = cg_string(cg, v, "listen address");
  if (!addr)
    return -1;
  const char *slash = strchr(addr, '/');
  if (slash && strncmp(addr, "tcp/", 4) != 0) {
    cg_refuse(cg, v, "listen address '%s' (network other than tcp)", addr);
    return -1;
  }
  const char *hostport = slash ? slash + 1 : addr, *colon = strrchr(hostport, ':');
  char *end = NULL;
  long port = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || !end || *end || end == colon + 1 || port <= 0 || port > 65535) {
    cg_refuse(cg, v, "listen address '%s'", addr);
    return -1;
  }
  size_t host_len = (size_t)(colon - hostport);
  if (host_len >= 2 && hostport[0] == '[' && hostport[host_len - 1] == ']')
    hostport++, host_len -= 2;
  struct site_listener *l = ARENA_PUSH(cg->a, cg->config->listeners, cg->config->listener_count,
                                       cg->config->listener_cap);
  l->host_str = arena_strndup(cg->a, hostport, host_len);
  l->port = (uint16_t)port;
  l->server = server;
  *port_out = (unsigned)port;
  return 0;
}

/* is name in automatic_https.skip (exact, or a "*." label wildcard)? */
static bool config_host_skipped(const char *name, const struct json *skip)
{
  for (size_t i = 0; skip && skip->kind == JSON_ARRAY && i < skip->count; i++) {
    const char *pat = json_str(skip->items[i]);
    if (!pat)
      continue;
    const char *dot = strchr(name, '.');
    if (strcmp(pat, name) == 0 || (strncmp(pat, "*.", 2) == 0 && dot && strcmp(pat + 1, dot) == 0))
      return true;
  }
  return false;
}

/* does any top-level route match on a host automatic HTTPS would get a
 * certificate for (one not in automatic_https.skip)? */
static bool config_has_hosts(const struct json *routes, const struct json *skip)
{
  for (size_t r = 0; routes && routes->kind == JSON_ARRAY && r < routes->count; r++) {
    const struct json *match = json_object_get(routes->items[r], "match");
    for (size_t s = 0; match && match->kind == JSON_ARRAY && s < match->count; s++) {
      const struct json *host = json_object_get(match->items[s], "host");
      for (size_t h = 0; host && host->kind == JSON_ARRAY && h < host->count; h++)
        if (!json_str(host->items[h]) || !config_host_skipped(json_str(host->items[h]), skip))
          return true;
    }
  }
  return false;
}

/* Caddy turns TLS on for a server that listens on a port other than the
 * HTTP port and either listens only on the HTTPS port or names hosts,
 * unless automatic_https.disable says otherwise. */
static int config_auto_https(struct cg *cg, const struct json *http, const struct json *srv,
                             const unsigned *ports, size_t n)
{
  static const char *const keys[] = {"disable", "disable_redirects", "disable_certificates", "skip",
                                     "skip_certificates", "ignore_loaded_certificates", NULL};
  const struct json *auto_https = json_object_get(srv, "automatic_https");
  if (auto_https && auto_https->kind == JSON_OBJECT && cg_check_keys(cg, auto_https, keys, "automatic_https") < 0)
    return -1;
  const struct json *disable = auto_https ? json_object_get(auto_https, "disable") : NULL;
  if (disable && disable->kind == JSON_BOOL && disable->boolean)
    return 0;
  long http_port = json_int(json_object_get(http, "http_port"), 80);
  long https_port = json_int(json_object_get(http, "https_port"), 443);
  bool other_than_http = false, only_https = n > 0;
  for (size_t i = 0; i < n; i++) {
    other_than_http |= ports[i] != http_port;
    only_https &= ports[i] == https_port;
  }
  const struct json *skip = auto_https ? json_object_get(auto_https, "skip") : NULL;
  if (other_than_http && (only_https || config_has_hosts(json_object_get(srv, "routes"), skip))) {
    cg_refuse(cg, json_object_get(srv, "listen"), "automatic HTTPS");
    return -1;
  }
  return 0;
}

int config_server(struct cg *cg, const struct json *http, const char *name, const struct json *srv, unsigned index)
{
  static const char *const keys[] = {"listen", "routes", "automatic_https", NULL};
  int bad = cg_check_keys(cg, srv, keys, "server");
  const struct json *listen = json_object_get(srv, "listen");
  if (!listen || listen->kind != JSON_ARRAY || listen->count == 0) {
    cg_refuse(cg, listen ? listen : srv, "a server without listen addresses");
    return -1;
  }
  unsigned *ports = arena_alloc(cg->a, listen->count * sizeof *ports);
  for (size_t i = 0; i < listen->count; i++)
    bad |= config_listen(cg, listen->items[i], index, &ports[i]);
  if (!bad)
    bad |= config_auto_https(cg, http, srv, ports, listen->count);
  struct site_server *s = ARENA_PUSH(cg->a, cg->config->servers, cg->config->server_count, cg->config->server_cap);
  s->name_str = arena_strdup(cg->a, name);
  s->entry = index;   /* the writer emits one entry per server, in server order */
  s->entry_symbol = arena_printf(cg->a, "zs_entry_srv%u", index);
  s->flags = 0;       /* no TLS yet: automatic HTTPS is refused above */
  return bad;
}

/* a list of constant strings (index_names, hide) */
static int config_strings(struct cg *cg, const struct json *list, const char *what, const char ***out, size_t *n)
{
  if (list->kind != JSON_ARRAY) {
    cg_refuse(cg, list, "%s that is not a list", what);
    return -1;
  }
  *out = arena_alloc(cg->a, (list->count + 1) * sizeof **out);
  *n = list->count;
  for (size_t i = 0; i < list->count; i++) {
    const char *s = cg_string(cg, list->items[i], what);
    if (!s || strpbrk(s, "{}")) {
      if (s)
        cg_refuse(cg, list->items[i], "placeholder in %s", what);
      return -1;
    }
    (*out)[i] = s;
  }
  return 0;
}

int config_file_server(struct cg *cg, const struct json *h, unsigned *id)
{
  static const char *const keys[] = {"handler", "root", "hide", "index_names", "status_code", "browse", NULL};
  int bad = cg_check_keys(cg, h, keys, "file_server");
  if (json_object_get(h, "browse")) {
    cg_refuse(cg, json_object_get(h, "browse"), "file_server option 'browse'");
    bad = -1;
  }
  struct site_file_server *f = ARENA_PUSH(cg->a, cg->config->file_servers, cg->config->file_server_count,
                                          cg->config->file_server_cap);
  *id = (unsigned)(cg->config->file_server_count - 1);
  const struct json *root = json_object_get(h, "root");
  f->root_str = root && root->kind == JSON_STRING && !strpbrk(root->text, "{}") ? root->text : ".";
  f->index_str = arena_alloc(cg->a, 2 * sizeof *f->index_str);
  f->index_str[0] = "index.html";
  f->index_str[1] = "index.txt";
  f->index_str_count = 2;
  const struct json *v;
  if ((v = json_object_get(h, "index_names")))
    bad |= config_strings(cg, v, "file_server index_names", &f->index_str, &f->index_str_count);
  if ((v = json_object_get(h, "hide")))
    bad |= config_strings(cg, v, "file_server hide", &f->hide_str, &f->hide_str_count);
  int status = cg_status(cg, json_object_get(h, "status_code"), "file_server status_code");
  f->status = status > 0 ? (unsigned)status : 0;
  return bad | (status < 0 ? -1 : 0);
}

/* exactly one upstream, "host:port"; identical upstreams share a record */
int config_proxy(struct cg *cg, const struct json *h, unsigned *id)
{
  static const char *const keys[] = {"handler", "upstreams", NULL};
  static const char *const upstream_keys[] = {"dial", NULL};
  int bad = cg_check_keys(cg, h, keys, "reverse_proxy");
  const struct json *ups = json_object_get(h, "upstreams");
  if (!ups || ups->kind != JSON_ARRAY || ups->count != 1 || ups->items[0]->kind != JSON_OBJECT) {
    cg_refuse(cg, ups ? ups : h, "reverse_proxy without exactly one upstream");
    return -1;
  }
  bad |= cg_check_keys(cg, ups->items[0], upstream_keys, "reverse_proxy upstream");
  const struct json *dial = json_object_get(ups->items[0], "dial");
  const char *addr = dial ? cg_string(cg, dial, "reverse_proxy dial") : NULL;
  const char *colon = addr ? strrchr(addr, ':') : NULL;
  if (!addr || strpbrk(addr, "{}/") || !colon || colon == addr || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
    if (!dial || addr)
      cg_refuse(cg, dial ? dial : ups->items[0], "reverse_proxy upstream '%s'", addr ? addr : "");
    return -1;
  }
  for (size_t i = 0; i < cg->config->proxy_count; i++)
    if (strcmp(cg->config->proxies[i].upstream_str, addr) == 0) {
      *id = (unsigned)i;
      return bad;
    }
  struct site_proxy *p = ARENA_PUSH(cg->a, cg->config->proxies, cg->config->proxy_count, cg->config->proxy_cap);
  p->upstream_str = addr;
  *id = (unsigned)(cg->config->proxy_count - 1);
  return bad;
}
