/* Route ordering: Go's sort.SliceStable reproduced step for step (insertion
 * sort over blocks of 20, then SymMerge), because Caddy's comparator is not a
 * strict order for `vars` and the exact algorithm decides the output; plus
 * Caddy's route comparator, the consolidation of adjacent equal routes, and
 * the directive order the comparator reads (the `order` option edits a copy). */
#include <string.h>

#include "adapt.h"

static const char *const directive_default_order[] = {
  "tracing", "map", "vars", "fs", "root", "log_append", "skip_log", "log_skip", "log_name",
  "header", "copy_response_headers", "request_body", "timeouts", "redir", "method", "rewrite",
  "uri", "try_files", "basicauth", "basic_auth", "forward_auth", "request_header", "encode",
  "push", "intercept", "templates", "invoke", "handle", "handle_path", "route", "abort", "error",
  "copy_response", "ebpf", "respond", "metrics", "reverse_proxy", "php_fastcgi", "file_server", "acme_server",
};

void directive_order_init(struct adapt *ad)
{
  for (size_t i = 0; i < sizeof directive_default_order / sizeof directive_default_order[0]; i++)
    *ARENA_PUSH(ad->arena, ad->order, ad->norder, ad->ordercap) = directive_default_order[i];
}

/* Go's map lookup: a missing directive sorts at position 0. */
int directive_order_index(struct adapt *ad, const char *name)
{
  for (size_t i = 0; i < ad->norder; i++)
    if (strcmp(ad->order[i], name) == 0)
      return (int)i;
  return 0;
}

bool directive_is_ordered(struct adapt *ad, const char *name)
{
  for (size_t i = 0; i < ad->norder; i++)
    if (strcmp(ad->order[i], name) == 0)
      return true;
  return false;
}

static void go_insertion_sort(void *ctx, size_t a, size_t b, less_fn less, swap_fn swap)
{
  for (size_t i = a + 1; i < b; i++)
    for (size_t j = i; j > a && less(ctx, j, j - 1); j--)
      swap(ctx, j, j - 1);
}

static void go_swap_range(void *ctx, size_t a, size_t b, size_t n, swap_fn swap)
{
  for (size_t i = 0; i < n; i++)
    swap(ctx, a + i, b + i);
}

static void go_rotate(void *ctx, size_t a, size_t m, size_t b, swap_fn swap)
{
  size_t i = m - a, j = b - m;
  while (i != j) {
    if (i > j) {
      go_swap_range(ctx, m - i, m, j, swap);
      i -= j;
    } else {
      go_swap_range(ctx, m - i, m + j - i, i, swap);
      j -= i;
    }
  }
  go_swap_range(ctx, m - i, m, i, swap);
}

static void go_sym_merge(void *ctx, size_t a, size_t m, size_t b, less_fn less, swap_fn swap)
{
  if (m - a == 1) {
    size_t i = m, j = b;
    while (i < j) {
      size_t h = (i + j) >> 1;
      if (less(ctx, h, a))
        i = h + 1;
      else
        j = h;
    }
    for (size_t k = a; k + 1 < i; k++)
      swap(ctx, k, k + 1);
    return;
  }
  if (b - m == 1) {
    size_t i = a, j = m;
    while (i < j) {
      size_t h = (i + j) >> 1;
      if (!less(ctx, m, h))
        i = h + 1;
      else
        j = h;
    }
    for (size_t k = m; k > i; k--)
      swap(ctx, k, k - 1);
    return;
  }
  size_t mid = (a + b) >> 1, n = mid + m, start, r;
  if (m > mid) {
    start = n - b;
    r = mid;
  } else {
    start = a;
    r = m;
  }
  size_t p = n - 1;
  while (start < r) {
    size_t c = (start + r) >> 1;
    if (!less(ctx, p - c, c))
      start = c + 1;
    else
      r = c;
  }
  size_t end = n - start;
  if (start < m && m < end)
    go_rotate(ctx, start, m, end, swap);
  if (a < start && start < mid)
    go_sym_merge(ctx, a, start, mid, less, swap);
  if (mid < end && end < b)
    go_sym_merge(ctx, mid, end, b, less, swap);
}

void go_sort_stable(void *ctx, size_t n, less_fn less, swap_fn swap)
{
  size_t block = 20, a = 0, b = block;
  for (; b <= n; a = b, b += block)
    go_insertion_sort(ctx, a, b, less, swap);
  go_insertion_sort(ctx, a, n, less, swap);
  for (; block < n; block *= 2) {
    for (a = 0, b = 2 * block; b <= n; a = b, b += 2 * block)
      go_sym_merge(ctx, a, a + block, b, less, swap);
    if (a + block < n)
      go_sym_merge(ctx, a, a + block, n, less, swap);
  }
}

struct route_sort {
  struct adapt *ad;
  struct config_values *routes;
};

/* The single path of a route's single matcher set, or NULL. */
static const char *sort_single_path(const struct json *route, size_t *nsets)
{
  struct json *match = json_object_get(route, "match");
  *nsets = match ? match->count : 0;
  if (*nsets != 1)
    return NULL;
  struct json *path = json_object_get(match->items[0], "path");
  return path && path->kind == JSON_ARRAY && path->count == 1 ? json_str(path->items[0]) : NULL;
}

static bool sort_by_path(const struct json *ri, const struct json *rj)
{
  size_t ni, nj;
  const char *pi = sort_single_path(ri, &ni), *pj = sort_single_path(rj, &nj);
  if (pi && pj && *pi && *pj) {
    size_t li = strlen(pi), lj = strlen(pj);
    size_t ti = li - (li && pi[li - 1] == '*'), tj = lj - (lj && pj[lj - 1] == '*');
    if (ti == tj && memcmp(pi, pj, ti) == 0)
      return li < lj;
    if (ti == tj)
      return memcmp(pi, pj, ti) < 0;
    return ti > tj;
  }
  return ni > 0 && nj == 0;
}

static bool sort_routes_less(void *ctx, size_t i, size_t j)
{
  struct route_sort *rs = ctx;
  struct config_value *vi = &rs->routes->items[i], *vj = &rs->routes->items[j];
  if (strcmp(vi->directive, vj->directive) != 0)
    return directive_order_index(rs->ad, vi->directive) < directive_order_index(rs->ad, vj->directive);
  if (vi->is_subroute || vj->is_subroute)
    return false;
  bool by_path = sort_by_path(vi->value, vj->value);
  return strcmp(vi->directive, "vars") == 0 ? !by_path : by_path;
}

static void sort_routes_swap(void *ctx, size_t i, size_t j)
{
  struct route_sort *rs = ctx;
  struct config_value t = rs->routes->items[i];
  rs->routes->items[i] = rs->routes->items[j];
  rs->routes->items[j] = t;
}

void sort_routes(struct adapt *ad, struct config_values *routes)
{
  struct route_sort rs = {ad, routes};
  go_sort_stable(&rs, routes->count, sort_routes_less, sort_routes_swap);
}

static bool routes_field_equal(const struct json *x, const struct json *y, const char *key)
{
  const struct json *a = json_object_get(x, key), *b = json_object_get(y, key);
  if (!a || !b)
    return !a && !b;
  return json_equal(a, b);
}

/* A copy of route r whose handle list can grow without touching r's: the
 * other members are shared, as consolidation changes only the handlers. */
static struct json *route_own_handlers(struct arena *a, const struct json *r)
{
  struct json *c = jobj(a), *handle = jarr(a);
  c->pos = r->pos;
  c->origin = r->origin;
  for (size_t i = 0; i < r->count; i++)
    jset(a, c, r->members[i].key, r->members[i].value);
  const struct json *old = json_object_get(r, "handle");
  for (size_t k = 0; old && k < old->count; k++)
    jpush(a, handle, old->items[k]);
  jset(a, c, "handle", handle);
  return c;
}

/* Adjacent routes with equal match, group and terminal become one. Routes
 * are copied only when one absorbs another (deep copies of every route were
 * most of the adapter's memory). */
struct json *routes_consolidate(struct arena *a, struct json *routes)
{
  struct json *out = jarr(a);
  bool last_owned = false;
  for (size_t i = 0; i < routes->count; i++) {
    struct json *r = routes->items[i];
    struct json *last = out->count ? out->items[out->count - 1] : NULL;
    if (last && routes_field_equal(last, r, "match") && routes_field_equal(last, r, "group") &&
        routes_field_equal(last, r, "terminal")) {
      if (!last_owned)
        last = out->items[out->count - 1] = route_own_handlers(a, last);
      last_owned = true;
      struct json *handle = json_object_get(last, "handle");
      struct json *more = json_object_get(r, "handle");
      for (size_t k = 0; more && k < more->count; k++)
        jpush(a, handle, more->items[k]);
      continue;
    }
    jpush(a, out, r);
    last_owned = false;
  }
  return out;
}
