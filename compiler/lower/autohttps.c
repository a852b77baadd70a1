/* Automatic HTTPS as Caddy's modules/caddyhttp/autohttps.go applies it at
 * start, done at compile time on a copy of the HTTP app: which servers get a
 * TLS connection policy, which host names need a certificate and from which
 * issuer (the local CA or ACME), and the HTTP->HTTPS redirect routes
 * and server, built as IR so they are lowered like any other server. */
#include <stdlib.h>
#include <string.h>

#include "base/hostname.h"
#include "lower_parts.h"

struct ah_redirect {
  const char *domain;          /* "" for a server with TLS policies and no host names */
  struct lowered_listener *addrs;
  size_t count, cap;
};

struct ah_name {
  const char *name;
  const struct json *node;     /* the host matcher value: the site address */
};

struct ah {
  struct lower *l;
  struct lowered_config *cfg;
  long http_port, https_port;
  struct ah_redirect *redirs;
  size_t redir_count, redir_cap;
  struct ah_name *names;       /* names that need a certificate, in order found */
  size_t name_count, name_cap;
  long default_row;            /* acme_issuer row of certmagic's default issuer; -1 before use */
  struct srcpos key_type_refused;
};

static struct json *ah_copy(struct arena *a, const struct json *obj)
{
  struct json *c = json_new(a, JSON_OBJECT, obj->pos);
  c->origin = obj->origin;
  for (size_t i = 0; i < obj->count; i++)
    json_object_set(a, c, obj->members[i].key, obj->members[i].value);
  return c;
}

static bool ah_in_list(const struct json *list, const char *s)
{
  for (size_t i = 0; list && list->kind == JSON_ARRAY && i < list->count; i++)
    if (json_str(list->items[i]) && strcmp(json_str(list->items[i]), s) == 0)
      return true;
  return false;
}

/* the server's listen addresses, or 0 when one is unreadable (lowering refuses it) */
static size_t ah_listeners(struct ah *ah, const struct json *srv, struct lowered_listener **out)
{
  const struct json *listen = json_object_get(srv, "listen");
  if (!listen || listen->kind != JSON_ARRAY || listen->count == 0)
    return 0;
  *out = arena_alloc(ah->l->a, listen->count * sizeof **out);
  for (size_t i = 0; i < listen->count; i++)
    if (!json_str(listen->items[i]) || lower_listen_split(ah->l->a, json_str(listen->items[i]), &(*out)[i]) < 0)
      return 0;
  return listen->count;
}

static bool ah_any_port_other_than(const struct lowered_listener *ls, size_t n, long port)
{
  for (size_t i = 0; i < n; i++)
    if ((long)ls[i].port != port)
      return true;
  return false;
}

/* the host names of the server's top-level match sets not in skip, once each */
static size_t ah_domains(struct ah *ah, const struct json *srv, const struct json *skip, struct ah_name **out)
{
  size_t count = 0, cap = 0;
  *out = NULL;
  const struct json *routes = json_object_get(srv, "routes");
  for (size_t r = 0; routes && routes->kind == JSON_ARRAY && r < routes->count; r++) {
    const struct json *match = json_object_get(routes->items[r], "match");
    for (size_t s = 0; match && match->kind == JSON_ARRAY && s < match->count; s++) {
      const struct json *host = json_object_get(match->items[s], "host");
      for (size_t h = 0; host && host->kind == JSON_ARRAY && h < host->count; h++) {
        const char *d = json_str(host->items[h]);
        bool seen = !d || ah_in_list(skip, d);
        for (size_t k = 0; !seen && k < count; k++)
          seen = strcmp((*out)[k].name, d) == 0;
        if (!seen)
          *ARENA_PUSH(ah->l->a, *out, count, cap) = (struct ah_name){d, host->items[h]};
      }
    }
  }
  return count;
}

static bool ah_sni_covers(const struct json *sni, const char *d)
{
  if (!sni)
    return true;
  const char *dot = strchr(d, '.');
  for (size_t i = 0; sni->kind == JSON_ARRAY && i < sni->count; i++) {
    const char *s = json_str(sni->items[i]);
    if (s && (strcmp(s, d) == 0 || (strncmp(s, "*.", 2) == 0 && dot && strcmp(s + 1, dot) == 0)))
      return true;
  }
  return false;
}

/* is a loaded certificate selected for d by one of the server's policies
 * (`tls cert key`: a policy for the site's names picking the file by tag)? */
static bool ah_loaded_for(struct ah *ah, const struct json *policies, const char *d)
{
  for (size_t i = 0; policies && policies->kind == JSON_ARRAY && i < policies->count; i++) {
    const struct json *p = policies->items[i], *match = json_object_get(p, "match");
    const struct json *tags = json_object_get(json_object_get(p, "certificate_selection"), "any_tag");
    if (!tags || !ah_sni_covers(match ? json_object_get(match, "sni") : NULL, d))
      continue;
    for (size_t c = 0; c < ah->cfg->cert_count; c++)
      for (size_t t = 0; t < ah->cfg->certs[c].tag_count; t++)
        if (ah_in_list(tags, ah->cfg->certs[c].tags[t]))
          return true;
  }
  return false;
}

/* recordAutoHTTPSRedirectAddress: one port per domain, the HTTPS port preferred */
static void ah_record(struct ah *ah, const char *domain, struct lowered_listener addr)
{
  struct ah_redirect *r = NULL;
  for (size_t i = 0; i < ah->redir_count && !r; i++)
    r = strcmp(ah->redirs[i].domain, domain) == 0 ? &ah->redirs[i] : NULL;
  if (!r) {
    r = ARENA_PUSH(ah->l->a, ah->redirs, ah->redir_count, ah->redir_cap);
    r->domain = domain;
  }
  if (r->count && addr.port != r->addrs[0].port) {
    if ((long)addr.port == ah->https_port && (long)r->addrs[0].port != ah->https_port)
      r->count = 0;
    else
      return;
  }
  for (size_t i = 0; i < r->count; i++)
    if (r->addrs[i].port == addr.port && strcmp(r->addrs[i].host, addr.host) == 0)
      return;
  *ARENA_PUSH(ah->l->a, r->addrs, r->count, r->cap) = addr;
}

static const struct lower_key ah_keys[] = {
  {"disable", NULL, NULL}, {"disable_redirects", NULL, NULL}, {"disable_certificates", NULL, NULL},
  {"skip", NULL, NULL}, {"skip_certificates", NULL, NULL}, {"ignore_loaded_certificates", NULL, NULL},
  {"prefer_wildcard", "prefer_wildcard", lower_key_refused}, {NULL, NULL, NULL},
};

static struct json *ah_empty_policies(struct arena *a)
{
  struct json *list = json_new(a, JSON_ARRAY, (struct srcpos){0});
  json_array_push(a, list, json_new(a, JSON_OBJECT, (struct srcpos){0}));
  return list;
}

/* one server: its TLS policies, the names it needs certificates for, its redirects */
static int ah_server(struct ah *ah, struct json *srv)
{
  const struct json *cfg = json_object_get(srv, "automatic_https");
  if (cfg && cfg->kind == JSON_OBJECT && lower_keys(ah->l, cfg, ah_keys, "automatic_https", NULL) < 0)
    return -1;
  struct lowered_listener *ls = NULL;
  size_t n = ah_listeners(ah, srv, &ls);
  if (lower_is_true(json_object_get(cfg, "disable")) || !ah_any_port_other_than(ls, n, ah->http_port))
    return 0;
  const struct json *policies = json_object_get(srv, "tls_connection_policies");
  if (!policies && !ah_any_port_other_than(ls, n, ah->https_port))
    json_object_set(ah->l->a, srv, "tls_connection_policies", (struct json *)(policies = ah_empty_policies(ah->l->a)));
  struct ah_name *domains;
  size_t count = ah_domains(ah, srv, json_object_get(cfg, "skip"), &domains);
  if (count == 0 && (!policies || policies->count == 0))
    return 0;
  for (size_t i = 0; i < count && !lower_is_true(json_object_get(cfg, "disable_certificates")); i++) {
    const char *d = domains[i].name;
    if (!hostname_qualifies_for_cert(d) || ah_in_list(json_object_get(cfg, "skip_certificates"), d))
      continue;
    if (!lower_is_true(json_object_get(cfg, "ignore_loaded_certificates")) &&
        (ah_loaded_for(ah, policies, d) || lower_loaded_covers(ah->l, ah->cfg, d)))
      continue;
    bool seen = false;
    for (size_t k = 0; k < ah->name_count && !seen; k++)
      seen = strcmp(ah->names[k].name, d) == 0;
    if (!seen)
      *ARENA_PUSH(ah->l->a, ah->names, ah->name_count, ah->name_cap) = domains[i];
  }
  if (!policies)
    json_object_set(ah->l->a, srv, "tls_connection_policies", ah_empty_policies(ah->l->a));
  if (lower_is_true(json_object_get(cfg, "disable_redirects")))
    return 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < (count ? count : 1); k++)
      ah_record(ah, count ? domains[k].name : "", ls[i]);
  return 0;
}

/* ---- which issuer: the local CA, or ACME (refused) ---- */

static struct lower_auto_policy *ah_policy_for(struct lower *l, const char *d)
{
  for (size_t i = 0; i < l->auto_policy_count; i++)
    for (size_t k = 0; k < l->auto_policies[i].subject_count; k++)
      if (strcmp(l->auto_policies[i].subjects[k], d) == 0)
        return &l->auto_policies[i];
  return NULL;
}

static struct lower_auto_policy *ah_catch_all(struct lower *l)
{
  for (size_t i = 0; i < l->auto_policy_count; i++)
    if (l->auto_policies[i].node->kind == JSON_OBJECT && !json_object_get(l->auto_policies[i].node, "subjects"))
      return &l->auto_policies[i];
  return NULL;
}

static bool ah_all_internal(const struct lower_auto_policy *ap)
{
  for (size_t i = 0; i < ap->subject_count; i++)
    if (hostname_qualifies_for_public_cert(ap->subjects[i]))
      return false;
  return true;
}

/* the policy that decides d's issuer (NULL: none, certmagic's defaults), and
 * whether that issuer is the local CA (else ACME) */
static struct lower_auto_policy *ah_issuer(struct ah *ah, const struct ah_name *name, bool *internal)
{
  struct lower *l = ah->l;
  struct lower_auto_policy *ap = ah_policy_for(l, name->name), *base = ah_catch_all(l);
  if (ap)
    *internal = ap->internal || (!ap->has_issuers && ah_all_internal(ap));
  else if (!hostname_qualifies_for_public_cert(name->name) ||
           (hostname_is_ip(name->name) && l->auto_policy_count == 0))
    *internal = true, ap = base && base->internal ? base : NULL;
  else
    *internal = base && base->internal, ap = base;
  return ap;
}

/* a challenge on another port than zsrt's listener for it would need a solver of its own */
static int ah_check_ports(struct ah *ah, const struct lower_acme_issuer *iss)
{
  int bad = 0;
  if (iss->http_port && (long)iss->http_port != ah->http_port) {
    lower_refuse(ah->l, iss->http_port_node, "HTTP challenge alternate_port %u other than the http_port (%ld)",
                 iss->http_port, ah->http_port);
    bad = -1;
  }
  if (iss->alpn_port && (long)iss->alpn_port != ah->https_port) {
    lower_refuse(ah->l, iss->alpn_port_node, "TLS-ALPN challenge alternate_port %u other than the https_port (%ld)",
                 iss->alpn_port, ah->https_port);
    bad = -1;
  }
  if (iss->rec.no_http01 && iss->rec.no_tlsalpn01) {
    /* certmagic would have no solver left: the order fails at every try */
    lower_refuse(ah->l, iss->alpn_off_node, "an ACME issuer with both the HTTP and the TLS-ALPN challenge disabled "
                 "(zsrt has no DNS challenge)");
    bad = -1;
  }
  return bad;
}

/* the policy's ACME issuers as acme_issuer rows, once per policy */
static int ah_acme_rows(struct ah *ah, struct lower_auto_policy *ap, unsigned *first, unsigned *count)
{
  struct lowered_config *cfg = ah->cfg;
  bool own = ap && ap->acme_count;
  long *row = own ? &ap->acme_row : &ah->default_row;
  size_t n = own ? ap->acme_count : 1;
  if (*row == -2)
    return -1;   /* refused at the first name */
  if (*row < 0) {
    struct lower_acme_issuer *list = own ? ap->acme : arena_alloc(ah->l->a, sizeof *list);
    if (!own)
      lower_acme_default(list);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
      bad |= ah_check_ports(ah, &list[i]);
    if (cfg->acme_issuer_count + n > 4096) {   /* tls_cert.issuer's range */
      lower_refuse(ah->l, list[0].node ? list[0].node : ah->names[0].node, "more than 4096 ACME issuers");
      bad = -1;
    }
    if (bad) {
      *row = -2;
      return -1;
    }
    *row = (long)cfg->acme_issuer_count;
    for (size_t i = 0; i < n; i++)
      *ARENA_PUSH(ah->l->a, cfg->acme_issuers, cfg->acme_issuer_count, cfg->acme_issuer_cap) = list[i].rec;
  }
  *first = (unsigned)*row;
  *count = (unsigned)n;
  return 0;
}

/* one certificate per name: from the local CA (all with one lifetime) or by ACME */
static int ah_certs(struct ah *ah)
{
  struct lower *l = ah->l;
  int bad = 0;
  const struct json *lifetime_from = NULL;
  size_t internal_count = 0;
  for (size_t i = 0; i < ah->name_count; i++) {
    bool internal;
    struct lower_auto_policy *ap = ah_issuer(ah, &ah->names[i], &internal);
    unsigned first = 0, count = 0;
    if (!internal && ah_acme_rows(ah, ap, &first, &count) < 0) {
      bad = -1;
      continue;
    }
    if (!internal && ap && ap->key_type != ZS_KEY_P256) {
      struct srcpos at = lower_pos(l, ap->key_type_node);
      if (at.line != ah->key_type_refused.line || at.col != ah->key_type_refused.col)
        lower_refuse(l, ap->key_type_node, "key_type other than p256 for an ACME certificate");
      ah->key_type_refused = at;   /* the global option reaches every policy: refused once */
      bad = -1;
      continue;
    }
    unsigned lifetime = ap && internal ? ap->lifetime : 0;
    if (internal && internal_count++ > 0 && lifetime != ah->cfg->tls_app.leaf_lifetime &&
        (lifetime_from || (ap && ap->lifetime_node))) {
      lower_refuse(l, ap && ap->lifetime_node ? ap->lifetime_node : lifetime_from,
                   "internal certificates with different lifetimes (zsrt has one leaf lifetime)");
      bad = -1;
    }
    if (internal) {
      ah->cfg->tls_app.leaf_lifetime = lifetime;
      lifetime_from = ap && ap->lifetime_node ? ap->lifetime_node : lifetime_from;
    }
    struct lowered_tls_cert *c = ARENA_PUSH(l->a, ah->cfg->certs, ah->cfg->cert_count, ah->cfg->cert_cap);
    c->pos = lower_pos(l, ah->names[i].node);
    c->internal = internal;
    c->acme = !internal;
    c->issuer = first;
    c->issuer_count = count;
    c->key_type = ap ? ap->key_type : 0;
    c->names = arena_alloc(l->a, sizeof *c->names);
    c->names[0] = ah->names[i].name;
    c->name_count = 1;
    ah->cfg->tls_app.present = true;
  }
  return bad;
}

/* ---- the redirects ---- */

static struct json *ah_str(struct arena *a, const char *s)
{
  return json_string(a, s, (struct srcpos){0});
}

static const char *ah_addr_string(struct arena *a, const struct lowered_listener *addr, long port)
{
  return arena_printf(a, strchr(addr->host, ':') ? "[%s]:%ld" : "%s:%ld", addr->host, port);
}

/* makeRedirRoute: 308 to https://{host}[:port]{uri}, then the connection closes */
static struct json *ah_redirect_route(struct ah *ah, long port, const char **hosts, size_t host_count)
{
  struct arena *a = ah->l->a;
  const char *to = port != ah->http_port && port != ah->https_port && port != 80 && port != 443
                     ? arena_printf(a, "https://{http.request.host}:%ld{http.request.uri}", port)
                     : "https://{http.request.host}{http.request.uri}";
  struct json *set = json_new(a, JSON_OBJECT, (struct srcpos){0}), *match = json_new(a, JSON_ARRAY, set->pos);
  json_object_set(a, set, "protocol", ah_str(a, "http"));
  if (host_count) {
    struct json *list = json_new(a, JSON_ARRAY, set->pos);
    for (size_t i = 0; i < host_count; i++)
      json_array_push(a, list, ah_str(a, hosts[i]));
    json_object_set(a, set, "host", list);
  }
  json_array_push(a, match, set);
  struct json *resp = json_new(a, JSON_OBJECT, set->pos), *headers = json_new(a, JSON_OBJECT, set->pos);
  struct json *loc = json_new(a, JSON_ARRAY, set->pos), *handle = json_new(a, JSON_ARRAY, set->pos);
  json_array_push(a, loc, ah_str(a, to));
  json_object_set(a, headers, "Location", loc);
  json_object_set(a, resp, "handler", ah_str(a, "static_response"));
  json_object_set(a, resp, "status_code", json_number_int(a, 308, set->pos));
  json_object_set(a, resp, "headers", headers);
  json_object_set(a, resp, "close", json_bool(a, true, set->pos));
  json_array_push(a, handle, resp);
  struct json *route = json_new(a, JSON_OBJECT, set->pos);
  json_object_set(a, route, "match", match);
  json_object_set(a, route, "handle", handle);
  return route;
}

static int ah_cmp_str(const void *x, const void *y)
{
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* the first host of a redirect route's match set, "" for the catch-all */
static const char *ah_route_host(const struct json *route)
{
  const struct json *host = json_object_get(json_object_get(route, "match")->items[0], "host");
  return host && host->count ? json_str(host->items[0]) : "";
}

/* Caddy's order: exact names before wildcards, longer before shorter, then
 * alphabetical; the catch-all last */
static int ah_cmp_routes(const void *x, const void *y)
{
  const char *a = ah_route_host(*(const struct json *const *)x), *b = ah_route_host(*(const struct json *const *)y);
  if (!*a != !*b)
    return !*a ? 1 : -1;
  bool wa = strchr(a, '*') != NULL, wb = strchr(b, '*') != NULL;
  if (wa != wb)
    return wa ? 1 : -1;
  if (strlen(a) != strlen(b))
    return strlen(a) < strlen(b) ? 1 : -1;
  return strcmp(a, b);
}

/* one redirect server address (host:http_port) and its routes */
struct ah_target {
  const char *addr;
  struct lowered_listener listener;
  struct json **routes;
  size_t count, cap;
};

static struct ah_target *ah_target(struct ah *ah, struct ah_target **list, size_t *n, size_t *cap,
                                   const struct lowered_listener *from)
{
  const char *key = ah_addr_string(ah->l->a, from, ah->http_port);
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i].addr, key) == 0)
      return &(*list)[i];
  struct ah_target *t = ARENA_PUSH(ah->l->a, *list, *n, *cap);
  t->addr = key;
  t->listener = (struct lowered_listener){from->host, (unsigned)ah->http_port};
  return t;
}

/* domainsByAddr, then one route per HTTPS address under its HTTP address */
static size_t ah_targets(struct ah *ah, struct ah_target **out)
{
  size_t n = 0, cap = 0;
  *out = NULL;
  struct lowered_listener *seen = NULL;
  size_t seen_count = 0, seen_cap = 0;
  for (size_t r = 0; r < ah->redir_count; r++)
    for (size_t i = 0; i < ah->redirs[r].count; i++) {
      const struct lowered_listener *addr = &ah->redirs[r].addrs[i];
      bool done = false;
      for (size_t k = 0; k < seen_count && !done; k++)
        done = seen[k].port == addr->port && strcmp(seen[k].host, addr->host) == 0;
      if (done)
        continue;
      *ARENA_PUSH(ah->l->a, seen, seen_count, seen_cap) = *addr;
      const char **hosts = arena_alloc(ah->l->a, (ah->redir_count + 1) * sizeof *hosts);
      size_t host_count = 0;
      for (size_t d = 0; d < ah->redir_count; d++)
        for (size_t k = 0; k < ah->redirs[d].count; k++)
          if (ah->redirs[d].addrs[k].port == addr->port && strcmp(ah->redirs[d].addrs[k].host, addr->host) == 0)
            hosts[host_count++] = ah->redirs[d].domain;
      qsort(hosts, host_count, sizeof *hosts, ah_cmp_str);
      bool catch_all = host_count == 1 && !*hosts[0];
      struct ah_target *t = ah_target(ah, out, &n, &cap, addr);
      *ARENA_PUSH(ah->l->a, t->routes, t->count, t->cap) =
        ah_redirect_route(ah, addr->port, hosts, catch_all ? 0 : host_count);
    }
  return n;
}

/* findLastRouteWithHostMatcher */
static size_t ah_insert_index(const struct json *routes)
{
  size_t last = 0;
  for (size_t i = 0; routes && i < routes->count; i++) {
    const struct json *match = json_object_get(routes->items[i], "match");
    for (size_t s = 0; match && match->kind == JSON_ARRAY && s < match->count; s++)
      if (json_object_get(match->items[s], "host"))
        last = i + 1;
  }
  return last;
}

/* the redirects into the server already on that port, else into a new one */
static void ah_add_redirects(struct ah *ah, struct json *servers, const struct json_member *sorted, size_t server_count)
{
  struct arena *a = ah->l->a;
  struct ah_target *targets;
  size_t n = ah_targets(ah, &targets);
  struct json *rest_listen = json_new(a, JSON_ARRAY, (struct srcpos){0});
  struct json *rest_routes = json_new(a, JSON_ARRAY, rest_listen->pos);
  const char **rest_addrs = arena_alloc(a, (n + 1) * sizeof *rest_addrs);
  size_t rest_count = 0;
  for (size_t i = 0; i < n; i++) {
    struct ah_target *t = &targets[i];
    qsort(t->routes, t->count, sizeof *t->routes, ah_cmp_routes);
    struct json *into = NULL;
    for (size_t s = 0; s < server_count && !into; s++) {
      struct lowered_listener *ls = NULL;
      size_t ln = ah_listeners(ah, sorted[s].value, &ls);
      for (size_t k = 0; k < ln && !into; k++)
        into = (long)ls[k].port == ah->http_port ? json_object_get(servers, sorted[s].key) : NULL;
    }
    if (!into) {
      rest_addrs[rest_count++] = t->addr;
      for (size_t k = 0; k < t->count; k++)
        json_array_push(a, rest_routes, t->routes[k]);
      continue;
    }
    const struct json *old = json_object_get(into, "routes");
    struct json *routes = json_new(a, JSON_ARRAY, old ? old->pos : into->pos);
    size_t at = ah->name_count ? ah_insert_index(old) : (old ? old->count : 0);
    for (size_t k = 0; old && k < at; k++)
      json_array_push(a, routes, old->items[k]);
    for (size_t k = 0; ah->name_count && k < t->count; k++)
      json_array_push(a, routes, t->routes[k]);
    for (size_t k = at; old && k < old->count; k++)
      json_array_push(a, routes, old->items[k]);
    json_array_push(a, routes, ah_redirect_route(ah, ah->https_port, NULL, 0));
    json_object_set(a, into, "routes", routes);
  }
  if (!rest_count)
    return;
  qsort(rest_addrs, rest_count, sizeof *rest_addrs, ah_cmp_str);
  for (size_t i = 0; i < rest_count; i++)
    json_array_push(a, rest_listen, ah_str(a, rest_addrs[i]));
  json_array_push(a, rest_routes, ah_redirect_route(ah, ah->https_port, NULL, 0));
  struct json *srv = json_new(a, JSON_OBJECT, rest_listen->pos);
  json_object_set(a, srv, "listen", rest_listen);
  json_object_set(a, srv, "routes", rest_routes);
  json_object_set(a, servers, "remaining_auto_https_redirects", srv);
}

static int ah_cmp_members(const void *x, const void *y)
{
  return strcmp(((const struct json_member *)x)->key, ((const struct json_member *)y)->key);
}

const struct json *lower_auto_https(struct lower *l, const struct json *http, struct lowered_config *cfg, int *bad)
{
  const struct json *servers = json_object_get(http, "servers");
  if (!servers || servers->kind != JSON_OBJECT)
    return http;
  struct ah ah = {.l = l, .cfg = cfg, .http_port = json_int(json_object_get(http, "http_port"), 80),
                  .https_port = json_int(json_object_get(http, "https_port"), 443), .default_row = -1};
  struct json *copy = ah_copy(l->a, http), *srvs = ah_copy(l->a, servers);
  json_object_set(l->a, copy, "servers", srvs);
  struct json_member *sorted = arena_alloc(l->a, (srvs->count + 1) * sizeof *sorted);
  for (size_t i = 0; i < srvs->count; i++) {
    if (srvs->members[i].value->kind == JSON_OBJECT)
      srvs->members[i].value = ah_copy(l->a, srvs->members[i].value);
    sorted[i] = srvs->members[i];
  }
  size_t count = srvs->count;
  qsort(sorted, count, sizeof *sorted, ah_cmp_members);
  for (size_t i = 0; i < count; i++) {
    l->pos = l->server_pos = lower_pos(l, sorted[i].value);
    if (sorted[i].value->kind == JSON_OBJECT)
      *bad |= ah_server(&ah, sorted[i].value);
  }
  *bad |= ah_certs(&ah);
  if (ah.redir_count)
    ah_add_redirects(&ah, srvs, sorted, count);
  return copy;
}
