/* The reverse_proxy records of the runtime config: one proxy row per
 * distinct handler (identical handlers share one, and so their balancing
 * state) and its proxy_upstream rows. */
#include <string.h>

#include "cg.h"

/* the searches of header_up's replaces, then header_down's: 's' or 'r', then the text */
static void config_proxy_replaces(struct cg *cg, const struct lowered_headers *h, const char **out, size_t *n)
{
  for (size_t i = 0; h && i < h->replace_count; i++)
    out[(*n)++] = arena_printf(cg->a, "%c%s", h->replace[i].regexp ? 'r' : 's', h->replace[i].search);
}

static bool config_lists_same(const char *const *a, size_t an, const char *const *b, size_t bn)
{
  if (an != bn)
    return false;
  for (size_t i = 0; i < an; i++)
    if (strcmp(a[i], b[i]) != 0)
      return false;
  return true;
}

/* two rows of a table, field by field (STR: NULL is "") */
#define SAME_NUM(a, b, f) ((a)->f == (b)->f)
#define SAME_OPTNUM SAME_NUM
#define SAME_FLAGS SAME_NUM
#define SAME_INDEX SAME_NUM
#define SAME_RESERVED(a, b, f) true
#define SAME_STR(a, b, f) (strcmp((a)->f ? (a)->f : "", (b)->f ? (b)->f : "") == 0)
#define SAME_LIST(a, b, f) config_lists_same((a)->f, (a)->f##_count, (b)->f, (b)->f##_count)
#define ZS_TABLE_BEGIN(table, plural, doc)                                             \
  static inline bool config_same_##table(const struct site_##table *a, const struct site_##table *b) \
  {                                                                                    \
    return true
#define ZS_FIELD(table, type, name, kind, x, y, doc) && SAME_##kind(a, b, name)
#define ZS_TABLE_END(table) ; }
#include "../../abi/config.def"

/* rows already written for proxy i equal the candidate's */
static bool config_upstreams_same(struct cg *cg, unsigned proxy, const struct site_proxy_upstream *rows, size_t n)
{
  size_t k = 0;
  for (size_t i = 0; i < cg->config->proxy_upstream_count; i++) {
    const struct site_proxy_upstream *r = &cg->config->proxy_upstreams[i];
    if (r->proxy != proxy)
      continue;
    struct site_proxy_upstream want = rows[k];
    want.proxy = proxy;
    if (k >= n || !config_same_proxy_upstream(r, &want))
      return false;
    k++;
  }
  return k == n;
}

static void config_proxy_fill(struct cg *cg, const struct lowered_reverse_proxy *rp, struct site_proxy *p)
{
  const struct lowered_proxy_lb *lb = &rp->lb;
  size_t n = 0, cap = (rp->up ? rp->up->replace_count : 0) + (rp->down ? rp->down->replace_count : 0);
  const char **replace = arena_alloc(cg->a, (cap + 1) * sizeof *replace);
  config_proxy_replaces(cg, rp->up, replace, &n);
  config_proxy_replaces(cg, rp->down, replace, &n);
  *p = (struct site_proxy){
    .upstream_str = rp->dial, .replace_str = replace, .replace_str_count = n,
    .trusted_str = rp->trusted, .trusted_str_count = rp->trusted_count,
    .flags = (lb->retry_match ? ZS_PROXY_RETRY_MATCH : 0) | (lb->no_keepalive ? ZS_PROXY_NO_KEEPALIVE : 0) |
             (lb->active ? ZS_PROXY_ACTIVE : 0),
    .policy = (uint16_t)lb->policy, .fallback = (uint16_t)lb->fallback, .choose = lb->choose,
    .policy_key_str = lb->policy_key, .cookie_secret_str = lb->cookie_secret, .cookie_max_age = lb->cookie_max_age,
    .retries = lb->retries, .try_duration_ms = lb->try_duration_ms, .try_interval_ms = lb->try_interval_ms,
    .retry_methods_str = lb->retry_methods, .retry_methods_str_count = lb->retry_method_count,
    .fail_duration_ms = lb->fail_duration_ms, .max_fails = lb->max_fails,
    .unhealthy_latency_ms = lb->unhealthy_latency_ms,
    .unhealthy_status_str = lb->unhealthy_status, .unhealthy_status_str_count = lb->unhealthy_status_count,
    .health_uri_str = lb->health_uri, .health_method_str = lb->health_method,
    .health_header_str = lb->health_headers, .health_header_str_count = lb->health_header_count,
    .health_body_str = lb->health_body, .health_port = lb->health_port,
    .health_status = lb->health_status, .health_interval_ms = lb->health_interval_ms,
    .health_timeout_ms = lb->health_timeout_ms, .health_passes = lb->health_passes,
    .health_fails = lb->health_fails, .dial_timeout_ms = lb->dial_timeout_ms,
    .response_header_timeout_ms = lb->response_header_timeout_ms, .read_timeout_ms = lb->read_timeout_ms,
    .write_timeout_ms = lb->write_timeout_ms, .idle_timeout_ms = lb->idle_timeout_ms,
    .idle_conns = lb->idle_conns, .idle_conns_per_host = lb->idle_conns_per_host,
    .max_conns_per_host = lb->max_conns_per_host,
    .request_buffers = rp->request_buffers, .stream_timeout_ms = rp->stream_timeout_ms,
    .stream_close_delay_ms = rp->stream_close_delay_ms,
  };
}

/* the handler's record, shared by identical handlers; its index */
unsigned config_proxy(struct cg *cg, const struct lowered_reverse_proxy *rp)
{
  struct site_proxy p;
  config_proxy_fill(cg, rp, &p);
  size_t n = rp->lb.upstream_count;
  struct site_proxy_upstream *rows = arena_alloc(cg->a, (n + 1) * sizeof *rows);
  for (size_t i = 0; i < n; i++)
    rows[i] = (struct site_proxy_upstream){.dial_str = rp->lb.upstreams[i].dial,
                                           .weight = rp->lb.upstreams[i].weight,
                                           .max_requests = rp->lb.upstreams[i].max_requests};
  for (size_t i = 0; i < cg->config->proxy_count; i++)
    if (config_same_proxy(&cg->config->proxies[i], &p) && config_upstreams_same(cg, (unsigned)i, rows, n))
      return (unsigned)i;
  struct site_proxy *slot = ARENA_PUSH(cg->a, cg->config->proxies, cg->config->proxy_count, cg->config->proxy_cap);
  *slot = p;
  unsigned id = (unsigned)(cg->config->proxy_count - 1);
  for (size_t i = 0; i < n; i++) {
    struct site_proxy_upstream *u = ARENA_PUSH(cg->a, cg->config->proxy_upstreams, cg->config->proxy_upstream_count,
                                               cg->config->proxy_upstream_cap);
    *u = rows[i];
    u->proxy = id;
  }
  return id;
}
