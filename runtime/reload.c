/* Reload (reload.h): blob references and the worker-side swap. The main
 * thread validates a new blob completely before it is published, so a
 * worker only has to build a cage for it; a worker that cannot (out of
 * memory) keeps its old blob and logs why. */
#include "reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2/h2.h"
#include "helpers.h"
#include "log.h"
#include "loop.h"
#include "proxy.h"

struct blob_ref *blob_ref_open(const char *path, char *err, size_t err_len)
{
  struct blob_ref *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(err, err_len, "%s: out of memory", path);
    return NULL;
  }
  if (blob_open(path, &r->blob, err, err_len) < 0) {
    free(r);
    return NULL;
  }
  atomic_init(&r->refs, 1);
  return r;
}

struct blob_ref *blob_ref_borrow(const struct blob *b)
{
  struct blob_ref *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->blob = *b;
  r->borrowed = 1;
  atomic_init(&r->refs, 1);
  return r;
}

void blob_ref_get(struct blob_ref *r)
{
  atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void blob_ref_put(struct blob_ref *r)
{
  if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
    if (!r->borrowed)
      blob_close(&r->blob);
    free(r);
  }
}

void reload_state_init(struct reload_state *s, struct blob_ref *first)
{
  pthread_mutex_init(&s->lock, NULL);
  s->current = first;
  atomic_init(&s->gen, 0);
}

void reload_state_fini(struct reload_state *s)
{
  blob_ref_put(s->current);
  s->current = NULL;
  pthread_mutex_destroy(&s->lock);
}

struct blob_ref *reload_current(struct reload_state *s)
{
  pthread_mutex_lock(&s->lock);
  struct blob_ref *r = s->current;
  blob_ref_get(r);
  pthread_mutex_unlock(&s->lock);
  return r;
}

void reload_publish(struct reload_state *s, struct blob_ref *next)
{
  pthread_mutex_lock(&s->lock);
  struct blob_ref *old = s->current;
  s->current = next;
  atomic_fetch_add_explicit(&s->gen, 1, memory_order_release);
  pthread_mutex_unlock(&s->lock);
  blob_ref_put(old);
}

int reload_same_listeners(const struct blob *cur, const struct blob *next, char *why, size_t len)
{
  unsigned n = cur->config->listener_count;
  if (next->config->listener_count != n) {
    snprintf(why, len, "the new blob has %u listeners, the running one %u",
             next->config->listener_count, n);
    return -1;
  }
  for (unsigned i = 0; i < n; i++) {
    const struct zs_listener *a = &cur->listeners[i], *b = &next->listeners[i];
    const char *ha = blob_string(cur, a->host_str), *hb = blob_string(next, b->host_str);
    if (a->port != b->port || strcmp(ha, hb) != 0) {
      snprintf(why, len, "listener %u is %s:%u in the new blob, %s:%u in the running one",
               i, hb, b->port, ha, a->port);
      return -1;
    }
  }
  return 0;
}

/* two LIST fields hold the same strings */
static int reload_same_list(const struct blob *a, uint32_t la, const struct blob *b, uint32_t lb)
{
  const char *x, *y;
  do {
    x = blob_string(a, la), y = blob_string(b, lb);
    if (strcmp(x, y) != 0)
      return 0;
    la += (uint32_t)strlen(x) + 1, lb += (uint32_t)strlen(y) + 1;
  } while (x[0]);
  return 1;
}

#define RELOAD_SAME_NUM(a, b, fa, fb) ((fa) == (fb))
#define RELOAD_SAME_OPTNUM RELOAD_SAME_NUM
#define RELOAD_SAME_FLAGS RELOAD_SAME_NUM
#define RELOAD_SAME_INDEX RELOAD_SAME_NUM
#define RELOAD_SAME_RESERVED RELOAD_SAME_NUM
#define RELOAD_SAME_STR(a, b, fa, fb) (strcmp(blob_string(a, fa), blob_string(b, fb)) == 0)
#define RELOAD_SAME_LIST(a, b, fa, fb) reload_same_list(a, fa, b, fb)

/* every table of config.def whose name starts with prefix, field by field */
static int reload_same_tables(const struct blob *a, const struct blob *b, const char *prefix)
{
  int same = 1;
  size_t n = strlen(prefix);
#define ZS_TABLE_BEGIN(table, plural, doc)                                                                \
  if (strncmp(#table, prefix, n) == 0) {                                                                  \
    same = same && a->config->table##_count == b->config->table##_count;                                  \
    for (unsigned i = 0; same && i < a->config->table##_count; i++) {                                     \
      const struct zs_##table *ra = &a->plural[i], *rb = &b->plural[i];
#define ZS_FIELD(table, type, name, kind, x, y, doc) same = same && RELOAD_SAME_##kind(a, b, ra->name, rb->name);
#define ZS_TABLE_END(table)                                                                               \
    }                                                                                                     \
  }
#include "abi/config.def"
  return same;
}

int reload_same_tls(const struct blob *a, const struct blob *b, char *why, size_t len)
{
  int same = a->config->server_count == b->config->server_count;
  for (unsigned i = 0; same && i < a->config->server_count; i++)
    same = (a->servers[i].flags & (ZS_SERVER_TLS | ZS_SERVER_STRICT_SNI)) ==
           (b->servers[i].flags & (ZS_SERVER_TLS | ZS_SERVER_STRICT_SNI));
  same = same && reload_same_tables(a, b, "tls_") && reload_same_tables(a, b, "acme_");
  if (!same)
    snprintf(why, len, "the new blob changes TLS settings (servers, policies, certificates, ACME issuers): restart zsrt "
                       "to apply them");
  return same ? 0 : -1;
}

/* the access log outputs were opened at start, before the sandbox: a blob
 * that writes elsewhere needs a restart (the access_log rows may change) */
int reload_same_loggers(const struct blob *a, const struct blob *b, char *why, size_t len)
{
  int same = reload_same_tables(a, b, "logger");
  if (!same)
    snprintf(why, len, "the new blob changes the loggers (logging, log outputs): restart zsrt to apply them");
  return same ? 0 : -1;
}

/* the upstream pool holds the proxies' upstreams and transport settings by
 * proxy id: it can stay when every proxy and proxy_upstream row is the same */
static int reload_same_upstreams(const struct blob *a, const struct blob *b)
{
  return reload_same_tables(a, b, "proxy");
}

/* a client connection mid-exchange with an upstream, or an upstream busy */
static int reload_proxy_busy(struct worker *w)
{
  for (int i = 0; i < LOOP_MAX_CONNS; i++) {
    const struct conn *c = &w->conns[i];
    if (c->used && c->ex->phase == EXCHANGE_PROXY)
      return 1;
  }
  return proxy_busy(w) > 0 || h2_worker_proxy_busy(w);
}

/* listeners are the same addresses in the same order (checked before
 * publishing); the servers behind them may have other indices */
static void reload_remap_servers(struct worker *w, const struct blob *old, const struct blob *next)
{
  for (unsigned i = 0; i < w->listener_count && i < next->config->listener_count; i++)
    w->listeners[i].server = next->listeners[i].server;
  for (int i = 0; i < LOOP_MAX_CONNS; i++) {
    struct conn *c = &w->conns[i];
    if (!c->used)
      continue;
    for (unsigned j = 0; j < old->config->listener_count; j++)
      if (old->listeners[j].server == c->server && old->listeners[j].port == c->info.local_port) {
        c->server = next->listeners[j].server;
        break;
      }
  }
}

static int reload_worker_swap(struct worker *w, struct blob_ref *next)
{
  const struct blob *old = w->blob;
  proxy_on_reload(w);   /* Caddy's cleanup of the old handlers: tunnels close */
  int keep_pool = reload_same_upstreams(old, &next->blob);
  if (!keep_pool && reload_proxy_busy(w))
    return -EBUSY;   /* in-flight exchanges finish on the old pool first */
  struct cage fresh;
  const struct blob *nb = &next->blob;
  int rc = exec_cage_create(&fresh, nb);
  if (rc < 0)
    return rc;
  exec_cage_destroy(&w->cage);
  w->cage = fresh;
  w->cage.limits = w->limits;   /* the rate limiter's buckets outlive the blob */
  reload_remap_servers(w, old, &next->blob);
  w->blob = &next->blob;
  if (!keep_pool) {
    proxy_pool_destroy(w);
    rc = proxy_pool_create(w);   /* only fails for memory: a 502 for proxied requests */
  }
  return rc < 0 ? rc : 0;
}

void reload_worker_sync(struct worker *w)
{
  struct reload_slot *slot = w->reload;
  if (!slot)
    return;
  unsigned gen = atomic_load_explicit(&slot->state->gen, memory_order_acquire);
  if (gen == slot->gen)
    return;
  struct blob_ref *next = reload_current(slot->state);
  int rc = next == slot->ref ? 0 : reload_worker_swap(w, next);
  if (rc == -EBUSY) {
    blob_ref_put(next);   /* tried again after the next batch */
    return;
  }
  slot->gen = gen;
  if (rc < 0 && w->blob != &next->blob) {
    log_begin(&w->log, "error", "admin.api", "worker keeps the old blob");
    log_int(&w->log, "worker", w->id);
    log_cstr(&w->log, "error", strerror(-rc));
    log_end(&w->log);
    blob_ref_put(next);
    return;
  }
  blob_ref_put(slot->ref);
  slot->ref = next;
}
