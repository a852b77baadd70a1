/* Servers out of site blocks (httptype.go's map, consolidate and
 * serversFromPairings): keys to listener addresses, identical block lists
 * merged, srvN naming, site ordering by specificity, site matchers, route
 * wrapping, error routes and the automatic-HTTPS shaping of the JSON. */
#include <stdlib.h>
#include <string.h>

#include "adapt.h"

struct sb_entry {
  struct site *site;
  const char **keys;
  struct address *parsed;
  size_t nkeys, kcap, nparsed, pcap;
};

struct sb_group {
  const char *addr, *prot;
  struct sb_entry *entries;
  size_t count, cap;
  bool taken;
};

struct listen_addr {
  const char *addr;
  const char **prots;
  size_t nprots, cap;
};

struct pairing {
  struct listen_addr *addrs;
  size_t naddrs, cap;
  struct sb_entry *entries;
  size_t count;
};

struct servers_ctx {
  struct adapt *ad;
  struct arena *arena;
  struct sb_group *groups;
  size_t ngroups, gcap;
  struct pairing *pairings;
  size_t npairings, pcap;
  const char *http_port, *https_port;
};

static struct sb_group *servers_group(struct servers_ctx *c, const char *addr, const char *prot)
{
  for (size_t i = 0; i < c->ngroups; i++)
    if (strcmp(c->groups[i].addr, addr) == 0 && strcmp(c->groups[i].prot, prot) == 0)
      return &c->groups[i];
  struct sb_group *g = ARENA_PUSH(c->arena, c->groups, c->ngroups, c->gcap);
  g->addr = addr;
  g->prot = prot;
  return g;
}

/* host:port as net.JoinHostPort, with a network prefix unless tcp */
static const char *servers_join(struct arena *a, const char *network, const char *host, const char *port)
{
  const char *hp = strchr(host, ':') ? arena_printf(a, "[%s]:%s", host, port) : arena_printf(a, "%s:%s", host, port);
  if (!*network || strcmp(network, "tcp") == 0)
    return hp;
  if (strncmp(network, "unix", 4) == 0 || strcmp(network, "fd") == 0 || strcmp(network, "fdgram") == 0)
    return arena_printf(a, "%s/%s", network, host);
  return arena_printf(a, "%s/%s", network, hp);
}

/* The bind values that apply to a site (bind, else default_bind, else all interfaces). */
static struct json *servers_binds(struct servers_ctx *c, struct site *s)
{
  struct json *binds = jarr(c->arena);
  for (size_t i = 0; i < s->pile.count; i++)
    if (strcmp(s->pile.items[i].class, "bind") == 0)
      jpush(c->arena, binds, s->pile.items[i].value);
  struct json *def = json_object_get(c->ad->options, "default_bind");
  if (!binds->count && def)
    return def;
  if (!binds->count) {
    struct json *b = jobj(c->arena), *addrs = jarr(c->arena);
    jpush(c->arena, addrs, jstr(c->arena, "", (struct srcpos){0}));
    jset(c->arena, b, "addresses", addrs);
    jpush(c->arena, binds, b);
  }
  return binds;
}

static void servers_split_network(struct arena *a, const char *addr, const char **network, const char **host)
{
  const char *slash = strchr(addr, '/');
  *network = slash ? arena_strndup(a, addr, (size_t)(slash - addr)) : "";
  const char *rest = slash ? slash + 1 : addr;
  if (*network && (strncmp(*network, "unix", 4) == 0 || !strcmp(*network, "fd") || !strcmp(*network, "fdgram"))) {
    *host = rest;
    return;
  }
  struct address tmp;
  char *msg;
  if (address_parse(a, arena_printf(a, "%s", rest), &tmp, &msg) == 0 && strchr(rest, ':'))
    *host = tmp.host;
  else
    *host = rest;
}

static int servers_add_key(struct servers_ctx *c, struct site *s, struct token *key)
{
  struct address addr;
  char *msg;
  struct srcpos pos = {key->file, key->line, key->col};
  if (address_parse(c->arena, key->text, &addr, &msg) < 0)
    return fe_fail(c->ad->err, pos, "parsing key: %s", msg);
  if (!strcmp(addr.scheme, "wss"))
    return fe_fail(c->ad->err, pos, "the scheme wss:// is only supported in browsers; use https:// instead");
  if (!strcmp(addr.scheme, "ws"))
    return fe_fail(c->ad->err, pos, "the scheme ws:// is only supported in browsers; use http:// instead");
  if (*addr.scheme && strcmp(addr.scheme, "http") && strcmp(addr.scheme, "https"))
    return fe_fail(c->ad->err, pos, "unsupported URL scheme %s://", addr.scheme);
  const char *port = *addr.port ? addr.port : !strcmp(addr.scheme, "http") ? c->http_port : c->https_port;
  if ((!strcmp(addr.scheme, "http") && !strcmp(port, c->https_port)) ||
      (!strcmp(addr.scheme, "https") && !strcmp(port, c->http_port)))
    return fe_fail(c->ad->err, pos, "[%s] scheme and port violate convention", key->text);
  struct json *binds = servers_binds(c, s);
  for (size_t b = 0; b < binds->count; b++) {
    struct json *addrs = json_object_get(binds->items[b], "addresses");
    struct json *prots = json_object_get(binds->items[b], "protocols");
    for (size_t i = 0; addrs && i < addrs->count; i++) {
      const char *network, *host;
      servers_split_network(c->arena, json_str(addrs->items[i]), &network, &host);
      const char *ln = servers_join(c->arena, network, host, port);
      size_t np = prots && prots->count ? prots->count : 1;
      for (size_t k = 0; k < np; k++) {
        struct sb_group *g = servers_group(c, ln, prots && prots->count ? json_str(prots->items[k]) : "");
        struct sb_entry *e = g->count && g->entries[g->count - 1].site == s ? &g->entries[g->count - 1] : NULL;
        if (!e) {
          e = ARENA_PUSH(c->arena, g->entries, g->count, g->cap);
          e->site = s;
        }
        bool dup = false;
        for (size_t q = 0; q < e->nkeys; q++)
          dup = dup || !strcmp(e->keys[q], key->text);
        if (dup)
          continue;
        *ARENA_PUSH(c->arena, e->keys, e->nkeys, e->kcap) = key->text;
        *ARENA_PUSH(c->arena, e->parsed, e->nparsed, e->pcap) = addr;
      }
    }
  }
  return 0;
}

static int servers_cmp_group(const void *x, const void *y)
{
  const struct sb_group *a = x, *b = y;
  int r = strcmp(a->addr, b->addr);
  return r ? r : strcmp(a->prot, b->prot);
}

static bool servers_entries_equal(const struct sb_group *a, const struct sb_group *b)
{
  if (a->count != b->count)
    return false;
  for (size_t i = 0; i < a->count; i++) {
    if (a->entries[i].site != b->entries[i].site || a->entries[i].nkeys != b->entries[i].nkeys)
      return false;
    for (size_t k = 0; k < a->entries[i].nkeys; k++)
      if (strcmp(a->entries[i].keys[k], b->entries[i].keys[k]))
        return false;
  }
  return true;
}

/* consolidateAddrMappings. The protocols of an address are listed before any
 * is processed, so one already merged into an earlier pairing still yields
 * an empty pairing, as in Caddy (a server with no listeners). */
static void servers_consolidate(struct servers_ctx *c)
{
  if (c->ngroups)             /* qsort's array may not be NULL, even when empty */
    qsort(c->groups, c->ngroups, sizeof c->groups[0], servers_cmp_group);
  bool *listed = arena_alloc(c->arena, c->ngroups + 1);
  for (size_t i = 0; i < c->ngroups; i++) {
    if (i == 0 || strcmp(c->groups[i].addr, c->groups[i - 1].addr))
      for (size_t k = i; k < c->ngroups && !strcmp(c->groups[k].addr, c->groups[i].addr); k++)
        listed[k] = !c->groups[k].taken;
    if (!listed[i])
      continue;
    struct pairing *p = ARENA_PUSH(c->arena, c->pairings, c->npairings, c->pcap);
    if (c->groups[i].taken)
      continue;
    p->entries = c->groups[i].entries;
    p->count = c->groups[i].count;
    for (size_t j = i; j < c->ngroups; j++) {
      if (c->groups[j].taken || (j != i && !servers_entries_equal(&c->groups[i], &c->groups[j])))
        continue;
      c->groups[j].taken = true;
      if (!p->naddrs || strcmp(p->addrs[p->naddrs - 1].addr, c->groups[j].addr))
        ARENA_PUSH(c->arena, p->addrs, p->naddrs, p->cap)->addr = c->groups[j].addr;
      struct listen_addr *la = &p->addrs[p->naddrs - 1];
      *ARENA_PUSH(c->arena, la->prots, la->nprots, la->cap) = c->groups[j].prot;
    }
  }
}

static int servers_specificity(const char *s)
{
  int l = (int)strlen(s);
  for (const char *p = s; *p; p++)
    l -= *p == '*';
  while (*s) {
    const char *start = strchr(s, '{');
    if (!start)
      return l;
    const char *end = strchr(start, '}');
    if (!end)
      return l;
    l -= (int)(end - start + 1);
    s = end + 1;
  }
  return l;
}

struct block_sort_info {
  const char *host, *path;
  bool wildcard;
};

static struct block_sort_info servers_block_info(const struct sb_entry *e)
{
  struct block_sort_info in = {"", "", false};
  for (size_t i = 0; i < e->nkeys; i++) {
    const struct address *a = &e->parsed[i];
    if (strchr(a->host, '*') || !*a->host)
      in.wildcard = true;
    if (servers_specificity(a->host) > servers_specificity(in.host))
      in.host = a->host;
    if (servers_specificity(a->path) > servers_specificity(in.path))
      in.path = a->path;
  }
  return in;
}

static bool servers_block_less(void *ctx, size_t i, size_t j)
{
  struct pairing *p = ctx;
  struct block_sort_info a = servers_block_info(&p->entries[i]), b = servers_block_info(&p->entries[j]);
  if (servers_specificity(a.host) == 0)
    return false;
  if (servers_specificity(b.host) == 0)
    return true;
  if (a.wildcard != b.wildcard)
    return b.wildcard;
  if (servers_specificity(a.host) == servers_specificity(b.host))
    return strlen(a.path) > strlen(b.path);
  return servers_specificity(a.host) > servers_specificity(b.host);
}

static void servers_block_swap(void *ctx, size_t i, size_t j)
{
  struct pairing *p = ctx;
  struct sb_entry t = p->entries[i];
  p->entries[i] = p->entries[j];
  p->entries[j] = t;
}

/* where a site block names key (the later of two blocks, in ambiguity errors;
 * a key's host in automatic HTTPS errors): its key token, or its first one */
static struct srcpos servers_key_pos(const struct sb_entry *e, const char *key)
{
  const struct server_block *b = e->site->block;
  const struct token *t = &b->keys[0];
  for (size_t i = 0; i < b->nkeys; i++)
    if (!strcmp(b->keys[i].text, key))
      t = &b->keys[i];
  return (struct srcpos){t->file, t->line, t->col};
}

/* compileEncodedMatcherSets: host (and path) matchers of a site's keys. */
static struct json *servers_site_matchers(struct arena *a, const struct sb_entry *e)
{
  struct json *sets = jarr(a);
  struct json *hosts[64], *paths[64];
  int n = 0;
  bool catch_all = false;
  for (size_t i = 0; i < e->nkeys && n < 64; i++) {
    const struct address *ad = &e->parsed[i];
    int k;
    for (k = 0; k < n; k++)
      if ((!paths[k] && !*ad->path) || (paths[k] && !strcmp(json_str(paths[k]->items[0]), ad->path)))
        break;
    if (k == n) {
      hosts[n] = NULL;
      paths[n] = NULL;
      if (*ad->path) {
        paths[n] = jarr(a);
        jpush(a, paths[n], jstr(a, ad->path, (struct srcpos){0}));
      }
      n++;
    }
    if (!*ad->host && !catch_all) {
      hosts[k] = NULL;
      catch_all = true;
    }
    if (catch_all || !*ad->host)
      continue;
    bool dup = false;
    for (size_t q = 0; hosts[k] && q < hosts[k]->count; q++)
      dup = dup || !strcmp(json_str(hosts[k]->items[q]), ad->host);
    if (!dup) {
      hosts[k] = hosts[k] ? hosts[k] : jarr(a);
      jpush(a, hosts[k], jstr(a, ad->host, servers_key_pos(e, e->keys[i])));
    }
  }
  for (int k = 0; k < n; k++) {
    struct json *set = jobj(a);
    if (hosts[k])
      jset(a, set, "host", hosts[k]);
    if (paths[k])
      jset(a, set, "path", paths[k]);
    if (set->count)
      jpush(a, sets, set);
  }
  return sets;
}

static bool servers_has_host_matcher(struct json *routes)
{
  for (size_t i = 0; routes && i < routes->count; i++) {
    struct json *match = json_object_get(routes->items[i], "match");
    for (size_t k = 0; match && k < match->count; k++)
      if (json_object_get(match->items[k], "host"))
        return true;
  }
  return false;
}

/* appendSubrouteToRouteList */
static void servers_append_subroute(struct arena *a, struct json *list, struct json *routes, struct json *sets, size_t nblocks)
{
  if (!sets->count && (!routes || !routes->count))
    return;
  if (!sets->count && nblocks == 1 && !servers_has_host_matcher(routes)) {
    for (size_t i = 0; i < routes->count; i++)
      jpush(a, list, routes->items[i]);
    return;
  }
  struct json *route = jobj(a);
  if (sets->count)
    jset(a, route, "match", sets);
  if (routes && routes->count) {
    struct json *handle = jarr(a);
    struct json *sr = subroute_handler(a, routes);
    jpush(a, handle, sr);
    jset(a, route, "handle", handle);
  }
  jset(a, route, "terminal", jbool(a, true));
  jpush(a, list, route);
}

static struct config_values servers_pile_class(struct arena *a, struct site *s, const char *class)
{
  struct config_values out = {0};
  for (size_t i = 0; i < s->pile.count; i++)
    if (strcmp(s->pile.items[i].class, class) == 0)
      *ARENA_PUSH(a, out.items, out.count, out.cap) = s->pile.items[i];
  return out;
}

static bool servers_error_less(void *ctx, size_t i, size_t j)
{
  struct config_values *v = ctx;
  struct json *ri = json_object_get(v->items[i].value, "routes"), *rj = json_object_get(v->items[j].value, "routes");
  bool mi = ri && ri->count && json_object_get(ri->items[0], "match");
  bool mj = rj && rj->count && json_object_get(rj->items[0], "match");
  return !(!mi && mj);
}

static void servers_error_swap(void *ctx, size_t i, size_t j)
{
  struct config_values *v = ctx;
  struct config_value t = v->items[i];
  v->items[i] = v->items[j];
  v->items[j] = t;
}

static void servers_error_routes(struct servers_ctx *c, struct json *srv, struct site *s, struct json *sets, size_t nblocks)
{
  struct config_values vals = servers_pile_class(c->arena, s, "error_route");
  if (!vals.count)
    return;
  go_sort_stable(&vals, vals.count, servers_error_less, servers_error_swap);
  struct json *routes = jarr(c->arena);
  for (size_t i = 0; i < vals.count; i++) {
    struct json *inner = json_object_get(vals.items[i].value, "routes");
    for (size_t k = 0; inner && k < inner->count; k++)
      jpush(c->arena, routes, inner->items[k]);
  }
  struct json *errors = jget_or_new(c->arena, srv, "errors", JSON_OBJECT);
  struct json *list = jget_or_new(c->arena, errors, "routes", JSON_ARRAY);
  servers_append_subroute(c->arena, list, routes, sets, nblocks);
}

static bool servers_listen_other_than(struct json *listen, const char *port)
{
  for (size_t i = 0; i < listen->count; i++) {
    const char *l = json_str(listen->items[i]), *colon = strrchr(l, ':');
    if (!colon || strcmp(colon + 1, port))
      return true;
  }
  return false;
}

static void servers_skip_host(struct arena *a, struct json *srv, const char *host)
{
  struct json *ah = jget_or_new(a, srv, "automatic_https", JSON_OBJECT);
  struct json *skip = jget_or_new(a, ah, "skip", JSON_ARRAY);
  for (size_t i = 0; i < skip->count; i++)
    if (!strcmp(json_str(skip->items[i]), host))
      return;
  jpush(a, skip, jstr(a, host, (struct srcpos){0}));
}

void servers_apply_auto_https(struct adapt *ad, struct json *srv);
int servers_apply_site_extras(struct adapt *ad, struct json *srv, struct site *s, const struct address *keys, size_t nkeys,
                              struct json *pairing_listen, bool *tls_state);
void servers_finish_tls(struct adapt *ad, struct json *srv, bool *tls_state);

static struct named_route *servers_find_named(struct adapt *ad, const char *name)
{
  for (size_t k = 0; k < ad->nnamed; k++)
    if (!strcmp(ad->named[k].name, name))
      return &ad->named[k];
  return NULL;
}

/* Adds a named route and, transitively, the ones it invokes. */
static int servers_add_named(struct servers_ctx *c, struct json *srv, const char *name, struct srcpos pos)
{
  struct json *nr = jget_or_new(c->arena, srv, "named_routes", JSON_OBJECT);
  if (json_object_get(nr, name))
    return 0;
  struct named_route *r = servers_find_named(c->ad, name);
  if (!r)
    return fe_fail(c->ad->err, pos, "cannot invoke named route '%s', which was not defined", name);
  jset(c->arena, nr, name, r->route);
  for (size_t i = 0; i < r->invokes.count; i++)
    if (servers_add_named(c, srv, r->invokes.items[i], pos) < 0)
      return -1;
  return 0;
}

static int servers_named_routes(struct servers_ctx *c, struct json *srv, struct pairing *p)
{
  for (size_t e = 0; e < p->count; e++) {
    struct config_values vals = servers_pile_class(c->arena, p->entries[e].site, "named_route");
    for (size_t i = 0; i < vals.count; i++)
      if (servers_add_named(c, srv, json_str(vals.items[i].value), vals.items[i].value->pos) < 0)
        return -1;
  }
  struct json *nr = json_object_get(srv, "named_routes");
  if (nr)
    json_object_sort(nr);
  return 0;
}

static int servers_ambiguous(struct servers_ctx *c, struct pairing *p)
{
  for (size_t i = 0; i < p->count; i++)
    for (size_t k = 0; k < p->entries[i].nkeys; k++)
      for (size_t j = 0; j < p->count; j++)
        for (size_t q = 0; j != i && q < p->entries[j].nkeys; q++)
          if (!strcmp(p->entries[i].keys[k], p->entries[j].keys[q]))
            return fe_fail(c->ad->err, servers_key_pos(&p->entries[i > j ? i : j], p->entries[i].keys[k]),
                           "ambiguous site definition: %s", p->entries[i].keys[k]);
  return 0;
}

/* listen, and listen_protocols when some listener names protocols */
static struct json *servers_listen(struct arena *a, struct json *srv, struct pairing *p)
{
  struct json *listen = jarr(a), *lp = jarr(a);
  bool has_prots = false;
  for (size_t i = 0; i < p->naddrs; i++) {
    bool any = false;
    jpush(a, listen, jstr(a, p->addrs[i].addr, (struct srcpos){0}));
    for (size_t k = 0; k < p->addrs[i].nprots; k++)
      any = any || *p->addrs[i].prots[k];
    jpush(a, lp, any ? jstrarr(a, p->addrs[i].prots, (int)p->addrs[i].nprots, (struct srcpos){0}) : jnull(a));
    has_prots = has_prots || any;
  }
  if (listen->count)
    jset(a, srv, "listen", listen);
  if (has_prots)
    jset(a, srv, "listen_protocols", lp);
  return listen;
}

/* Hands the server's sites to the tls app, which is built after all servers. */
static void servers_remember_for_tls(struct servers_ctx *c, struct pairing *p, struct json *listen)
{
  struct tls_pairing *tp = ARENA_PUSH(c->arena, c->ad->pairings, c->ad->npairings, c->ad->paircap);
  tp->listen = listen;
  for (size_t e = 0; e < p->count; e++) {
    struct tls_site *ts = ARENA_PUSH(c->arena, tp->sites, tp->count, tp->cap);
    ts->site = p->entries[e].site;
    ts->keys = p->entries[e].parsed;
    ts->nkeys = p->entries[e].nkeys;
  }
}

/* One site of the server: auto-HTTPS skips, TLS and log values, its routes and error routes. */
static int servers_site(struct servers_ctx *c, struct json *srv, struct pairing *p, struct sb_entry *en,
                        struct json *routes, bool *tls_state)
{
  struct arena *a = c->arena;
  struct json *listen = json_object_get(srv, "listen"), *sets = servers_site_matchers(a, en);
  for (size_t k = 0; k < en->nkeys; k++)
    if (listen && servers_listen_other_than(listen, c->http_port) && !strcmp(en->parsed[k].scheme, "http") &&
        *en->parsed[k].host)
      servers_skip_host(a, srv, en->parsed[k].host);
  if (servers_apply_site_extras(c->ad, srv, en->site, en->parsed, en->nkeys, listen, tls_state) < 0)
    return -1;
  struct config_values vals = servers_pile_class(a, en->site, "route");
  struct helper h = {.ad = c->ad, .groups = &c->ad->group_counter};
  disp_init(&h.d, a, c->ad->err, NULL, 0);
  struct json *site_routes = subroute_build(&h, &vals, true);
  if (!site_routes)
    return -1;
  servers_append_subroute(a, routes, site_routes, sets, p->count);
  servers_error_routes(c, srv, en->site, sets, p->count);
  return 0;
}

static struct json *servers_one(struct servers_ctx *c, struct pairing *p)
{
  struct arena *a = c->arena;
  struct json *srv = jobj(a), *routes = jarr(a);
  if (servers_ambiguous(c, p) < 0)
    return NULL;
  struct json *listen = servers_listen(a, srv, p);
  servers_apply_auto_https(c->ad, srv);
  go_sort_stable(p, p->count, servers_block_less, servers_block_swap);
  servers_remember_for_tls(c, p, listen);
  if (servers_named_routes(c, srv, p) < 0)
    return NULL;
  bool tls_state[3] = {false, !json_object_get(json_object_get(srv, "automatic_https"), "disable"), false};
  for (size_t e = 0; e < p->count; e++)
    if (site_pile_count(p->entries[e].site, "custom_log"))
      jget_or_new(a, srv, "logs", JSON_OBJECT);
  for (size_t e = 0; e < p->count; e++)
    if (servers_site(c, srv, p, &p->entries[e], routes, tls_state) < 0)
      return NULL;
  servers_finish_tls(c->ad, srv, tls_state);
  if (routes->count)
    jset(a, srv, "routes", routes_consolidate(a, routes));
  return srv;
}

struct json *server_options_apply(struct adapt *ad, struct json *servers);

struct json *servers_build(struct adapt *ad, struct site_list *sites)
{
  struct servers_ctx c = {.ad = ad, .arena = ad->arena};
  c.http_port = arena_printf(ad->arena, "%lld", option_int(ad, "http_port", 80));
  c.https_port = arena_printf(ad->arena, "%lld", option_int(ad, "https_port", 443));
  for (size_t i = 0; i < sites->count; i++)
    for (size_t k = 0; k < sites->items[i].block->nkeys; k++)
      if (servers_add_key(&c, &sites->items[i], &sites->items[i].block->keys[k]) < 0)
        return NULL;
  servers_consolidate(&c);
  struct json *servers = jobj(ad->arena);
  for (size_t i = 0; i < c.npairings; i++) {
    struct json *srv = servers_one(&c, &c.pairings[i]);
    if (!srv)
      return NULL;
    jset(ad->arena, servers, arena_printf(ad->arena, "srv%zu", i), srv);
  }
  return server_options_apply(ad, servers);
}
