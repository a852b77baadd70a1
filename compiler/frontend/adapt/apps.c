/* The top of the config: the http app (ports, grace period, servers), the
 * tls/pki apps and logging built from global options and site values, in
 * the key order Go's structs give them. */
#include <string.h>

#include "adapt.h"

static const char *const apps_server_order[] = {
  "listen", "listener_wrappers", "read_timeout", "read_header_timeout", "write_timeout", "idle_timeout",
  "keepalive_interval", "keepalive_idle", "keepalive_count", "max_header_bytes", "enable_full_duplex",
  "routes", "errors", "named_routes", "tls_connection_policies", "automatic_https", "strict_sni_host",
  "trusted_proxies", "client_ip_headers", "trusted_proxies_strict", "logs", "protocols", "listen_protocols",
  "allow_0rtt", "trusted_proxies_unix", "metrics", NULL,
};
static const char *const apps_route_order[] = {"group", "match", "handle", "terminal", NULL};

/* The one place handlers get their module-object key order, once, over the
 * finished tree: sorting at every level as routes nest visited each handler
 * once per level. */
static void apps_shape_routes(struct adapt *ad, struct json *routes)
{
  for (size_t i = 0; routes && i < routes->count; i++) {
    struct json *r = routes->items[i];
    json_reorder(ad->arena, r, apps_route_order);
    struct json *handle = json_object_get(r, "handle");
    for (size_t k = 0; handle && k < handle->count; k++)
      json_sort_deep(handle->items[k]);
  }
}

static void apps_shape_server(struct adapt *ad, struct json *srv)
{
  json_reorder(ad->arena, srv, apps_server_order);
  apps_shape_routes(ad, json_object_get(srv, "routes"));
  apps_shape_routes(ad, json_object_get(json_object_get(srv, "errors"), "routes"));
  struct json *named = json_object_get(srv, "named_routes");
  for (size_t i = 0; named && i < named->count; i++) {
    struct json *one = jarr(ad->arena);
    jpush(ad->arena, one, named->members[i].value);
    apps_shape_routes(ad, one);
  }
}

struct json *tls_app_build(struct adapt *ad, struct site_list *sites, struct json *servers);
struct json *pki_app_build(struct adapt *ad, struct site_list *sites);
struct json *logging_build(struct adapt *ad, struct site_list *sites, struct json *servers);

static struct json *apps_http(struct adapt *ad, struct json *servers)
{
  struct arena *a = ad->arena;
  struct json *http = jobj(a);
  static const char *const opts[] = {"http_port", "https_port", "grace_period", "shutdown_delay", NULL};
  for (const char *const *o = opts; *o; o++) {
    struct json *v = json_object_get(ad->options, *o);
    if (v)
      jset(a, http, *o, v);
  }
  for (size_t i = 0; i < servers->count; i++)
    apps_shape_server(ad, servers->members[i].value);
  jset(a, http, "servers", servers);
  struct json *metrics = json_object_get(ad->options, "metrics");
  if (metrics)
    jset(a, http, "metrics", metrics);
  return http;
}

struct json *apps_build(struct adapt *ad, struct site_list *sites, struct json *servers)
{
  struct arena *a = ad->arena;
  struct json *cfg = jobj(a), *apps = jobj(a);
  struct json *admin = json_object_get(ad->options, "admin");
  if (admin)
    jset(a, cfg, "admin", admin);
  struct json *logging = logging_build(ad, sites, servers);
  if (!logging && ad->err->msg)
    return NULL;
  if (logging)
    jset(a, cfg, "logging", logging);
  struct json *storage = json_object_get(ad->options, "storage");
  if (storage)
    jset(a, cfg, "storage", storage);
  struct json *tls = tls_app_build(ad, sites, servers);
  if (!tls && ad->err->msg)
    return NULL;
  struct json *pki = pki_app_build(ad, sites);
  if (servers->count)
    jset(a, apps, "http", apps_http(ad, servers));
  if (tls) {
    static const char *const tls_order[] = {"certificates", "automation", "session_tickets", "cache",
                                            "disable_ocsp_stapling", "disable_storage_check", "disable_storage_clean",
                                            "dns", "resolvers", "ech", NULL};
    json_reorder(a, tls, tls_order);
    jset(a, apps, "tls", tls);
  }
  if (pki)
    jset(a, apps, "pki", pki);
  struct json *events = json_object_get(ad->options, "events");
  if (events)
    jset(a, apps, "events", events);
  json_object_sort(apps);
  if (apps->count)
    jset(a, cfg, "apps", apps);
  struct json *persist = json_object_get(ad->options, "persist_config");
  if (persist) {
    struct json *adm = jget_or_new(a, cfg, "admin", JSON_OBJECT), *config = jobj(a);
    jset(a, config, "persist", jbool(a, false));
    jset(a, adm, "config", config);
  }
  static const char *const top[] = {"admin", "logging", "storage", "apps", NULL};
  json_reorder(a, cfg, top);
  return cfg;
}
