/* lower_run: the config, its HTTP app and servers (in sorted name order) and
 * their route lists to lowered records. Everything else in the IR is
 * refused here; so are the listener forms and automatic HTTPS that the
 * runtime cannot honour. Handlers and matchers: handlers.c, match.c. */
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "lower_parts.h"

int lower_key_refused(struct lower *l, const struct json *v, void *record)
{
  (void)l, (void)v, (void)record;
  return -1;   /* never called: lower_keys refuses the row itself */
}

/* Each member of obj through its row's function; a member without a row,
 * or with a refused one, is refused. "@id" is a config id for Caddy's admin
 * API and changes nothing about serving. */
int lower_keys(struct lower *l, const struct json *obj, const struct lower_key *table, const char *what,
               void *record)
{
  int bad = 0;
  for (size_t i = 0; i < obj->count; i++) {
    const char *key = obj->members[i].key;
    const struct lower_key *row = table;
    while (row->key && strcmp(row->key, key) != 0)
      row++;
    if (strcmp(key, "@id") == 0)
      continue;
    if (!row->key || row->fn == lower_key_refused) {
      lower_refuse_key(l, obj, row->key ? row : NULL, key, what);
      bad = -1;
    } else if (row->fn) {
      bad |= row->fn(l, obj->members[i].value, record) < 0 ? -1 : 0;
    }
  }
  return bad;
}

/* lower_keys on an object; anything else is refused as "WHAT that is not an object" */
int lower_object_keys(struct lower *l, const struct json *v, const struct lower_key *table, const char *what,
                      void *record)
{
  if (v->kind == JSON_OBJECT)
    return lower_keys(l, v, table, what, record);
  lower_refuse(l, v, "%s that is not an object", what);
  return -1;
}

/* lower_object_keys with the object's directive as the origin of refusals */
int lower_object_keys_at(struct lower *l, const struct json *v, const struct lower_key *table, const char *what,
                         void *record)
{
  struct srcpos saved = l->origin;
  l->origin = v->origin.line > 0 ? v->origin : l->origin;
  int bad = lower_object_keys(l, v, table, what, record);
  l->origin = saved;
  return bad;
}

/* a JSON boolean into out; refuses anything else */
int lower_bool(struct lower *l, const struct json *v, const char *what, bool *out)
{
  if (v->kind == JSON_BOOL) {
    *out = v->boolean;
    return 0;
  }
  lower_refuse(l, v, "%s that is not a boolean", what);
  return -1;
}

/* a string that must be `only` (the one value zsrt supports); refuses others
 * as "WHAT 'value'" */
int lower_only(struct lower *l, const struct json *v, const char *what, const char *only)
{
  const char *s = lower_string(l, v, what);
  if (s && strcmp(s, only) != 0) {
    lower_refuse(l, v, "%s '%s'", what, s);
    return -1;
  }
  return s ? 0 : -1;
}

/* a JSON string's bytes; refuses anything else */
const char *lower_string(struct lower *l, const struct json *v, const char *what)
{
  if (v && v->kind == JSON_STRING)
    return v->text;
  lower_refuse(l, v, "%s that is not a string", what);
  return NULL;
}

int lower_duration_ns(const struct json *v, long long *ns)
{
  if (v && v->kind == JSON_NUMBER) {
    char *end;
    *ns = strtoll(v->text, &end, 10);
    return *end ? -1 : 0;
  }
  return v && v->kind == JSON_STRING ? go_parse_duration(v->text, ns) : -1;
}

bool lower_is_true(const struct json *v)
{
  return v && v->kind == JSON_BOOL && v->boolean;
}

/* room for list's items as records of size bytes (and a zeroed spare), or
 * NULL after refusing list with the words `refusal` when it is no list */
void *lower_items(struct lower *l, const struct json *list, size_t size, const char *refusal)
{
  if (list->kind != JSON_ARRAY) {
    lower_refuse(l, list, "%s", refusal);
    return NULL;
  }
  return arena_alloc(l->a, (list->count + 1) * size);
}

/* a status code given as a number or a numeric string: 100..999, 0 when
 * absent, -1 after refusing (placeholders need a request) */
int lower_status(struct lower *l, const struct json *v, const char *what)
{
  if (!v)
    return 0;
  const char *text = v->kind == JSON_NUMBER || v->kind == JSON_STRING ? v->text : NULL;
  char *end = NULL;
  long n = text && *text ? strtol(text, &end, 10) : -1;
  if (v->kind == JSON_STRING && v->len == 0)
    return 0;
  if (!end || *end || n < 100 || n > 999) {
    lower_refuse(l, v, "%s '%s'", what, text ? text : "?");
    return -1;
  }
  return (int)n;
}

/* ---- routes ---- */

static int lower_group(struct lower *l, const struct json *group, struct lowered_route *r)
{
  const char *name = lower_string(l, group, "route group");
  if (!name)
    return -1;
  r->group = name;
  for (size_t i = 0; i < l->group_count; i++)
    if (strcmp(l->groups[i], name) == 0)
      return 0;
  if (l->group_count == LOWER_MAX_GROUPS) {
    lower_refuse(l, group, "more than %d route groups in one server", LOWER_MAX_GROUPS);
    return -1;
  }
  *ARENA_PUSH(l->a, l->groups, l->group_count, l->group_cap) = name;
  return 0;
}

static int lower_route_handlers(struct lower *l, const struct json *handle, struct lowered_route *r)
{
  if (!(r->handlers = lower_items(l, handle, sizeof *r->handlers, "route handle that is not a list")))
    return -1;
  r->handler_count = handle->count;
  int bad = 0;
  for (size_t i = 0; i < handle->count; i++)
    bad |= lower_handler(l, handle->items[i], &r->handlers[i]);
  return bad;
}

static const struct lower_key lower_route_keys[] = {
  {"match", NULL, NULL}, {"handle", NULL, NULL}, {"terminal", NULL, NULL}, {"group", NULL, NULL},
  {NULL, NULL, NULL},
};

/* one route; positions as its code will carry them: the match and group are
 * placed in the enclosing construct, the rest in the route */
/* a file matcher's "=404" ends the handler chain with that error, which
 * zsrt raises where the route's one matcher is that file matcher */
static int lower_route_match_error(struct lower *l, struct lowered_route *r)
{
  const struct lowered_matcher *m = r->set_count == 1 && r->sets[0].count == 1 ? &r->sets[0].matchers[0] : NULL;
  if (!m || m->kind != LOWERED_MATCH_FILE) {
    lower_refuse(l, l->file_status_node, "try_files status '%s' beside other matchers", l->file_status_node->text);
    return -1;
  }
  r->match_error = true;
  return 0;
}

static int lower_route(struct lower *l, const struct json *route, struct lowered_route *r)
{
  if (route->kind != JSON_OBJECT) {
    lower_refuse(l, route, "route that is not an object");
    return -1;
  }
  struct srcpos saved = l->pos, saved_origin = l->origin;
  l->origin = route->origin.line > 0 ? route->origin : l->origin;
  int bad = lower_keys(l, route, lower_route_keys, "route", NULL);
  r->pos = lower_pos(l, route);
  const struct json *match = json_object_get(route, "match"), *v;
  l->file_status_node = NULL;
  if (match)
    bad |= lower_match(l, match, r);
  if (l->file_status_node)
    bad |= lower_route_match_error(l, r);
  if ((v = json_object_get(route, "group")))
    bad |= lower_group(l, v, r);
  l->pos = r->pos;
  r->match_pos = lower_pos(l, match);
  if ((v = json_object_get(route, "handle")))
    bad |= lower_route_handlers(l, v, r);
  if ((v = json_object_get(route, "terminal")) && lower_is_true(v)) {
    r->terminal = true;
    r->terminal_pos = lower_pos(l, v);
  }
  l->pos = saved;
  l->origin = saved_origin;
  return bad;
}

int lower_routes(struct lower *l, const struct json *routes, struct lowered_route **out, size_t *count)
{
  *out = NULL;
  *count = 0;
  if (!(*out = lower_items(l, routes, sizeof **out, "routes that are not a list")))
    return -1;
  *count = routes->count;
  int bad = 0;
  for (size_t i = 0; i < routes->count; i++)
    bad |= lower_route(l, routes->items[i], &(*out)[i]);
  return bad;
}

/* ---- servers: listeners and automatic HTTPS ---- */

int lower_listen_split(struct arena *a, const char *addr, struct lowered_listener *out)
{
  const char *slash = strchr(addr, '/');
  if (slash && strncmp(addr, "tcp/", 4) != 0)
    return -1;
  const char *hostport = slash ? slash + 1 : addr, *colon = strrchr(hostport, ':');
  char *end = NULL;
  long port = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || !end || *end || end == colon + 1 || port <= 0 || port > 65535)
    return -1;
  size_t host_len = (size_t)(colon - hostport);
  if (host_len >= 2 && hostport[0] == '[' && hostport[host_len - 1] == ']')
    hostport++, host_len -= 2;
  out->host = arena_strndup(a, hostport, host_len);
  out->port = (unsigned)port;
  return 0;
}

/* "[tcp/]host:port" as Caddy writes listen addresses, into out */
static int lower_listen(struct lower *l, const struct json *v, struct lowered_listener *out)
{
  const char *addr = lower_string(l, v, "listen address");
  if (!addr)
    return -1;
  if (lower_listen_split(l->a, addr, out) == 0)
    return 0;
  const char *slash = strchr(addr, '/');
  if (slash && strncmp(addr, "tcp/", 4) != 0)
    lower_refuse(l, v, "listen address '%s' (network other than tcp)", addr);
  else
    lower_refuse(l, v, "listen address '%s'", addr);
  return -1;
}

/* a timeout in milliseconds, 1 ms .. 24 days (what the blob holds) */
static int lower_timeout_ms(struct lower *l, const struct json *v, const char *what, unsigned *out)
{
  long long ns;
  if (lower_duration_ns(v, &ns) < 0 || ns < 1000000 || ns / 1000000 > 0x7fffffff) {
    lower_refuse(l, v, "%s that is not between 1ms and 24 days", what);
    return -1;
  }
  *out = (unsigned)(ns / 1000000);
  return 0;
}

static int lower_read_header_timeout(struct lower *l, const struct json *v, void *record)
{
  return lower_timeout_ms(l, v, "timeouts read_header", &((struct lowered_server *)record)->read_header_ms);
}

static int lower_idle_timeout(struct lower *l, const struct json *v, void *record)
{
  return lower_timeout_ms(l, v, "timeouts idle", &((struct lowered_server *)record)->idle_ms);
}

/* Caddy's protocols: h1 and h2 zsrt always has, h2c on request; HTTP/3 it
 * does not serve, and a server without HTTP/1.1 it does not offer */
static int lower_protocols(struct lower *l, const struct json *v, void *record)
{
  struct lowered_server *s = record;
  if (!lower_items(l, v, 1, "protocols that are not a list"))
    return -1;
  bool h1 = false, h2 = false;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const char *p = lower_string(l, v->items[i], "protocol");
    if (!p)
      return -1;
    if (strcmp(p, "h1") == 0)
      h1 = true;
    else if (strcmp(p, "h2") == 0)
      h2 = true;
    else if (strcmp(p, "h2c") == 0)
      s->h2c = true;
    else {
      lower_refuse(l, v->items[i], "protocol '%s'", p);
      bad = -1;
    }
  }
  if (!h1 && !bad) {
    lower_refuse(l, v, "protocols without h1");
    bad = -1;
  }
  s->no_h2 = !h2;
  return bad;
}

static int lower_strict_sni(struct lower *l, const struct json *v, void *record)
{
  struct lowered_server *s = record;
  s->strict_sni_set = true;
  return lower_bool(l, v, "strict_sni_host", &s->strict_sni);
}

/* handle_errors: its routes are lowered after the server's own */
static int lower_server_errors(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  l->errors_node = v;
  return 0;
}

static const struct lower_key lower_errors_keys[] = {{"routes", NULL, NULL}, {NULL, NULL, NULL}};

/* the errors entry is an entry of its own: groups and deferred headers anew */
static int lower_error_routes(struct lower *l, struct lowered_server *s)
{
  if (lower_keys(l, l->errors_node, lower_errors_keys, "errors", NULL) < 0)
    return -1;
  const struct json *routes = json_object_get(l->errors_node, "routes");
  if (!routes)
    return 0;
  s->has_errors = true;
  l->group_count = l->deferred_count = 0;
  l->in_errors = true;
  int bad = lower_routes(l, routes, &s->error_routes, &s->error_route_count);
  l->in_errors = false;
  if (!bad && l->proxy && l->error_message) {
    /* zsrt's reasons for a 502 are not the Go errors Caddy puts there */
    lower_refuse(l, l->error_message, "placeholder {http.error.message} in a server with reverse_proxy");
    bad = -1;
  }
  return bad;
}

/* the server options users reach from a Caddyfile, named as they write them */
static const struct lower_key lower_server_keys[] = {
  {"listen", NULL, NULL}, {"routes", NULL, NULL}, {"automatic_https", NULL, NULL},
  {"logs", NULL, NULL}, {"errors", "handle_errors", lower_server_errors},
  {"tls_connection_policies", NULL, NULL}, {"strict_sni_host", "strict_sni_host", lower_strict_sni},
  {"read_header_timeout", "read_header", lower_read_header_timeout}, {"idle_timeout", "idle", lower_idle_timeout},
  {"protocols", "protocols", lower_protocols}, {"trusted_proxies", "trusted_proxies", lower_server_trusted},
  /* Go's whole-request and whole-response deadlines: zsrt times reads and sends per step */
  {"read_timeout", "read_body", lower_key_refused}, {"write_timeout", "write", lower_key_refused},
  {NULL, NULL, NULL},
};

/* Caddy's listeners speak TLS when the server has connection policies,
 * except on the HTTP port; zsrt's TLS is per server, so a server with both
 * is refused. A server with client auth gets strict SNI unless it says. */
static int lower_server_tls(struct lower *l, const struct json *http, const struct json *srv, struct lowered_server *s)
{
  const struct json *policies = json_object_get(srv, "tls_connection_policies");
  long http_port = json_int(json_object_get(http, "http_port"), 80);
  size_t on_http = 0;
  for (size_t i = 0; i < s->listener_count; i++)
    on_http += s->listeners[i].port == http_port;
  if (!policies || (policies->kind == JSON_ARRAY && policies->count == 0) || on_http == s->listener_count)
    return 0;
  int bad = 0;
  if (on_http) {
    lower_refuse(l, json_object_get(srv, "listen"), "a TLS server that also listens on the HTTP port %ld", http_port);
    bad = -1;
  }
  s->tls = true;
  bool strict = s->strict_sni, set = s->strict_sni_set;
  bad |= lower_tls_policies(l, policies, s);
  if (set)
    s->strict_sni = strict;
  return bad;
}

static int lower_server_listen(struct lower *l, const struct json *http, const struct json *srv,
                               struct lowered_server *s)
{
  int bad = lower_keys(l, srv, lower_server_keys, "server", s);
  const struct json *listen = json_object_get(srv, "listen");
  if (!listen || listen->kind != JSON_ARRAY || listen->count == 0) {
    lower_refuse(l, listen ? listen : srv, "a server without listen addresses");
    return -1;
  }
  s->listeners = arena_alloc(l->a, listen->count * sizeof *s->listeners);
  s->listener_count = listen->count;
  for (size_t i = 0; i < listen->count; i++)
    bad |= lower_listen(l, listen->items[i], &s->listeners[i]);
  return bad ? bad : lower_server_tls(l, http, srv, s);
}

static int lower_server(struct lower *l, const struct json *http, const struct json_member *m, unsigned index,
                        const struct lowered_config *cfg, struct lowered_server *s)
{
  const struct json *srv = m->value;
  s->name = m->key;
  s->index = index;
  if (srv->kind != JSON_OBJECT) {
    lower_refuse(l, srv, "server '%s' that is not an object", m->key);
    return -1;
  }
  l->pos = s->pos = srv->pos;
  l->server_pos = s->server_pos = lower_pos(l, srv);   /* refusals of what has no position of its own */
  l->group_count = l->deferred_count = 0;
  l->query_rewrite = (struct srcpos){0};
  l->has_proxy = l->has_browse = false;
  l->proxy = l->errors_node = l->error_message = NULL;
  l->ebpf_seen = false;
  int bad = lower_server_listen(l, http, srv, s);
  if (json_object_get(srv, "logs"))
    bad |= lower_server_logs(l, json_object_get(srv, "logs"), cfg, s);
  const struct json *routes = json_object_get(srv, "routes");
  if (routes) {
    s->has_routes = true;
    bad |= lower_routes(l, routes, &s->routes, &s->route_count);
  }
  if (l->errors_node)
    bad |= lower_error_routes(l, s);
  if (l->query_rewrite.line > 0 && l->has_proxy) {
    lower_refuse_at(l, l->query_rewrite, "rewrite of the query in a server with reverse_proxy");
    bad = -1;
  } else if (l->query_rewrite.line > 0 && l->has_browse) {
    lower_refuse_at(l, l->query_rewrite, "rewrite of the query in a server with file_server browse");
    bad = -1;
  }
  return bad;
}

static int lower_cmp_names(const void *x, const void *y)
{
  return strcmp(((const struct json_member *)x)->key, ((const struct json_member *)y)->key);
}

/* grace_period, shutdown_delay: Caddy acts on a positive duration only;
 * zsrt's timers count whole milliseconds, up to 24 days */
static int lower_stop_ms(struct lower *l, const struct json *v, const char *what, unsigned *out)
{
  long long ns;
  if (lower_duration_ns(v, &ns) < 0 || ns / 1000000 >= 0x7fffffff) {
    lower_refuse(l, v, "%s that is not a duration up to 24 days", what);
    return -1;
  }
  *out = ns <= 0 ? 0 : (unsigned)((ns + 999999) / 1000000);
  return 0;
}

static int lower_grace_period(struct lower *l, const struct json *v, void *record)
{
  return lower_stop_ms(l, v, "grace_period", &((struct lowered_config *)record)->http_app.grace_ms);
}

static int lower_shutdown_delay(struct lower *l, const struct json *v, void *record)
{
  return lower_stop_ms(l, v, "shutdown_delay", &((struct lowered_config *)record)->http_app.shutdown_delay_ms);
}

static const struct lower_key lower_http_keys[] = {
  {"servers", NULL, NULL}, {"http_port", NULL, NULL}, {"https_port", NULL, NULL},
  {"metrics", "metrics", lower_key_refused}, {"grace_period", "grace_period", lower_grace_period},
  {"shutdown_delay", "shutdown_delay", lower_shutdown_delay}, {NULL, NULL, NULL},
};

static int lower_http(struct lower *l, const struct json *http, struct lowered_config *out)
{
  int bad = lower_keys(l, http, lower_http_keys, "http app", out);
  http = lower_auto_https(l, http, out, &bad);
  const struct json *servers = json_object_get(http, "servers");
  if (!servers)
    return bad;
  if (servers->kind != JSON_OBJECT) {
    lower_refuse(l, servers, "servers that are not an object");
    return -1;
  }
  struct json_member *sorted = arena_alloc(l->a, (servers->count + 1) * sizeof *sorted);
  memcpy(sorted, servers->members, servers->count * sizeof *sorted);
  qsort(sorted, servers->count, sizeof *sorted, lower_cmp_names);
  out->servers = arena_alloc(l->a, (servers->count + 1) * sizeof *out->servers);
  out->server_count = servers->count;
  for (size_t i = 0; i < servers->count; i++)
    bad |= lower_server(l, http, &sorted[i], (unsigned)i, out, &out->servers[i]);
  return bad;
}

static const struct lower_key lower_top_keys[] = {
  {"apps", NULL, NULL}, {"admin", NULL, NULL}, {"logging", NULL, NULL}, {"storage", NULL, NULL},
  {NULL, NULL, NULL},
};

/* does a server of the http app log requests? Then the loggers are lowered */
static bool lower_any_logs(const struct json *http)
{
  const struct json *servers = http && http->kind == JSON_OBJECT ? json_object_get(http, "servers") : NULL;
  for (size_t i = 0; servers && servers->kind == JSON_OBJECT && i < servers->count; i++)
    if (servers->members[i].value->kind == JSON_OBJECT && json_object_get(servers->members[i].value, "logs"))
      return true;
  return false;
}

/* top level: apps.http is what we compile; admin is zsrt's business (it
 * has no admin endpoint), so only a disabled admin is accepted silently */
static int lower_top(struct lower *l, const struct json *ir, struct lowered_config *out)
{
  if (ir->kind != JSON_OBJECT) {
    lower_refuse(l, ir, "a config that is not a JSON object");
    return -1;
  }
  int bad = lower_keys(l, ir, lower_top_keys, "config", NULL);
  const struct json *admin = json_object_get(ir, "admin");
  if (admin && !lower_is_true(json_object_get(admin, "disabled")))
    diag_warning(l->d, lower_pos(l, admin), "zsrt has no admin endpoint: 'admin' is ignored");
  if (json_object_get(ir, "storage"))
    bad |= lower_storage(l, json_object_get(ir, "storage"), out);
  const struct json *apps = json_object_get(ir, "apps");
  if (!apps)
    return bad;
  if (apps->kind != JSON_OBJECT) {
    lower_refuse(l, apps, "apps that are not an object");
    return -1;
  }
  for (size_t i = 0; i < apps->count; i++)
    if (strcmp(apps->members[i].key, "http") != 0 && strcmp(apps->members[i].key, "tls") != 0 &&
        strcmp(apps->members[i].key, "pki") != 0) {
      lower_refuse(l, apps->members[i].value, "app '%s'", apps->members[i].key);
      bad = -1;
    }
  bad |= lower_tls_app(l, json_object_get(apps, "tls"), json_object_get(apps, "pki"), out);
  const struct json *http = json_object_get(apps, "http");
  if (json_object_get(ir, "logging") || lower_any_logs(http))
    bad |= lower_logging(l, json_object_get(ir, "logging"), out);
  if (http && http->kind == JSON_OBJECT)
    bad |= lower_http(l, http, out);
  return bad;
}

int lower_run(struct arena *a, const struct json *ir, const char *input, struct lowered_config *out,
              struct diag *d)
{
  memset(out, 0, sizeof *out);
  struct lower l = {.a = a, .d = d, .input = input, .cfg = out};
  int bad = lower_top(&l, ir, out);
  out->plugins = l.plugins;
  out->plugin_count = l.plugin_count;
  out->user_vars = l.user_vars;
  out->user_var_count = l.user_var_count;
  return bad || l.errors ? -1 : 0;
}
