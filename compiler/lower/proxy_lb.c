/* reverse_proxy's upstreams, load_balancing, health_checks and transport
 * members into a struct lowered_proxy_lb, with Caddy's defaults filled in.
 * What zsrt does not do (dynamic upstreams, TLS or h2 upstreams, matchers
 * other than method in lb_retry_match, ...) is refused at its token. */
#include <stdlib.h>
#include <string.h>

#include "lower_parts.h"

#define LB_MS_MAX 0x7fffffffLL

static struct lowered_proxy_lb *lb_of(void *record)
{
  return &((struct lowered_reverse_proxy *)record)->lb;
}

/* a JSON integer in [min, max] */
static int lb_uint(struct lower *l, const struct json *v, const char *what, long long min, long long max,
                   unsigned *out)
{
  char *end = NULL;
  long long n = v->kind == JSON_NUMBER ? strtoll(v->text, &end, 10) : -1;
  if (v->kind != JSON_NUMBER || *end || n < min || n > max) {
    lower_refuse(l, v, "%s '%s'", what, v->kind == JSON_NUMBER || v->kind == JSON_STRING ? v->text : "");
    return -1;
  }
  *out = (unsigned)n;
  return 0;
}

/* a caddy.Duration in whole milliseconds (what zsrt's timers count) */
static int lb_ms(struct lower *l, const struct json *v, const char *what, unsigned *out)
{
  long long ns;
  if (lower_duration_ns(v, &ns) < 0 || ns < 0 || ns / 1000000 > LB_MS_MAX || ns % 1000000) {
    lower_refuse(l, v, "%s '%s'", what, v->kind == JSON_NUMBER || v->kind == JSON_STRING ? v->text : "");
    return -1;
  }
  *out = (unsigned)(ns / 1000000);
  return 0;
}

/* ---- upstreams ---- */

/* "host:port" with a numeric port, or "unix//path": what zsrt dials; an
 * empty host (":8080") is the local system, as Go's dialer takes it */
static bool lb_dial_ok(const char *addr)
{
  if (strncmp(addr, "unix/", 5) == 0)
    return addr[5] == '/' && strlen(addr) < 5 + 108 && !strpbrk(addr, "{}");
  const char *colon = strrchr(addr, ':');
  return !strpbrk(addr, "{}/") && colon && colon[1] &&
         strspn(colon + 1, "0123456789") == strlen(colon + 1) && atoi(colon + 1) <= 65535;
}

static int lb_upstream_dial(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_upstream *u = record;
  const char *addr = lower_string(l, v, "reverse_proxy dial");
  if (!addr)
    return -1;
  if (!lb_dial_ok(addr)) {
    lower_refuse(l, v, "reverse_proxy upstream '%s'", addr);
    return -1;
  }
  u->dial = addr;
  return 0;
}

static int lb_upstream_max(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "max_requests", 0, LB_MS_MAX, &((struct lowered_proxy_upstream *)record)->max_requests);
}

static const struct lower_key lb_upstream_keys[] = {
  {"dial", NULL, lb_upstream_dial}, {"max_requests", "max_requests", lb_upstream_max}, {NULL, NULL, NULL},
};

int lower_proxy_upstreams(struct lower *l, const struct json *ups, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (ups->kind != JSON_ARRAY || ups->count == 0) {
    lower_refuse(l, ups, "reverse_proxy without upstreams");
    return -1;
  }
  lb->upstreams = arena_alloc(l->a, ups->count * sizeof *lb->upstreams);
  lb->upstream_count = ups->count;
  int bad = 0;
  for (size_t i = 0; i < ups->count; i++) {
    struct lowered_proxy_upstream *u = &lb->upstreams[i];
    *u = (struct lowered_proxy_upstream){0};
    if (lower_object_keys(l, ups->items[i], lb_upstream_keys, "reverse_proxy upstream", u) < 0)
      bad = -1;
    else if (!u->dial) {
      lower_refuse(l, ups->items[i], "reverse_proxy upstream without dial");
      bad = -1;
    }
  }
  if (!bad)
    ((struct lowered_reverse_proxy *)record)->dial = lb->upstreams[0].dial;
  return bad;
}

/* ---- load_balancing ---- */

static const char *const lb_policy_names[] = {
#define LB_NAME(constant, value, name) [value] = name,
  ZS_LB_POLICIES(LB_NAME)
#undef LB_NAME
};

static int lb_policy_id(const char *name)
{
  for (size_t i = 0; i < sizeof lb_policy_names / sizeof lb_policy_names[0]; i++)
    if (strcmp(lb_policy_names[i], name) == 0)
      return (int)i;
  return -1;
}

/* the members of one selection policy object (the top one or a fallback) */
struct lb_policy_rec {
  struct lowered_proxy_lb *lb;
  const struct json *weights;
  bool is_fallback;
};

static int lb_sel_choose(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "random_choose", 0, LB_MS_MAX, &((struct lb_policy_rec *)record)->lb->choose);
}

static int lb_sel_weights(struct lower *l, const struct json *v, void *record)
{
  if (v->kind != JSON_ARRAY) {
    lower_refuse(l, v, "weighted_round_robin weights that are not a list");
    return -1;
  }
  ((struct lb_policy_rec *)record)->weights = v;
  return 0;
}

static int lb_sel_key(struct lower *l, const struct json *v, void *record)
{
  const char *s = lower_string(l, v, "lb_policy key");
  if (s && strpbrk(s, "{}")) {
    lower_refuse(l, v, "placeholder in lb_policy '%s'", s);
    return -1;
  }
  ((struct lb_policy_rec *)record)->lb->policy_key = s;
  return s ? 0 : -1;
}

static int lb_sel_secret(struct lower *l, const struct json *v, void *record)
{
  const char *s = lower_string(l, v, "lb_policy cookie secret");
  ((struct lb_policy_rec *)record)->lb->cookie_secret = s;
  return s ? 0 : -1;
}

static int lb_sel_max_age(struct lower *l, const struct json *v, void *record)
{
  unsigned ms;
  if (lb_ms(l, v, "lb_policy cookie max_age", &ms) < 0)
    return -1;
  ((struct lb_policy_rec *)record)->lb->cookie_max_age = ms / 1000;   /* Go: int(Seconds()) */
  return 0;
}

static int lb_sel_fallback(struct lower *l, const struct json *v, void *record);

static const struct lower_key lb_selection_keys[] = {
  {"policy", NULL, NULL}, {"choose", NULL, lb_sel_choose}, {"weights", NULL, lb_sel_weights},
  {"key", NULL, lb_sel_key}, {"field", NULL, lb_sel_key}, {"name", NULL, lb_sel_key},
  {"secret", NULL, lb_sel_secret}, {"max_age", "max_age", lb_sel_max_age},
  {"fallback", "fallback", lb_sel_fallback}, {NULL, NULL, NULL},
};

/* the members a policy may have besides "policy" */
static bool lb_member_ok(int policy, const char *key, bool fallback)
{
  static const char *const own[] = {
    [ZS_LB_RANDOM_CHOOSE] = " choose ", [ZS_LB_WEIGHTED_ROUND_ROBIN] = " weights ",
    [ZS_LB_QUERY] = " key fallback ", [ZS_LB_HEADER] = " field fallback ",
    [ZS_LB_COOKIE] = " name secret max_age fallback ",
  };
  if (strcmp(key, "policy") == 0 || strcmp(key, "@id") == 0)
    return true;
  if (fallback && strcmp(key, "choose") != 0)
    return false;   /* a fallback with state of its own (nested fallbacks, a key) is not kept */
  const char *list = (size_t)policy < sizeof own / sizeof own[0] ? own[policy] : NULL;
  char word[32];
  snprintf(word, sizeof word, " %s ", key);
  return list && strstr(list, word);
}

static int lb_selection(struct lower *l, const struct json *v, struct lb_policy_rec *rec, unsigned *policy_out)
{
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "lb_policy that is not an object");
    return -1;
  }
  const struct json *name = json_object_get(v, "policy");
  const char *s = name ? lower_string(l, name, "lb_policy") : NULL;
  int policy = s ? lb_policy_id(s) : -1;
  if (policy < 0) {
    lower_refuse(l, name ? name : v, "lb_policy '%s'", s ? s : "");
    return -1;
  }
  for (size_t i = 0; i < v->count; i++)
    if (!lb_member_ok(policy, v->members[i].key, rec->is_fallback)) {
      lower_refuse(l, v->members[i].value, "lb_policy %s option '%s'", s, v->members[i].key);
      return -1;
    }
  *policy_out = (unsigned)policy;
  return lower_keys(l, v, lb_selection_keys, "lb_policy", rec);
}

static int lb_sel_fallback(struct lower *l, const struct json *v, void *record)
{
  struct lb_policy_rec *top = record;
  struct lb_policy_rec rec = {.lb = top->lb, .is_fallback = true};
  if (lb_selection(l, v, &rec, &top->lb->fallback) < 0)
    return -1;
  if (top->lb->fallback == ZS_LB_WEIGHTED_ROUND_ROBIN) {
    lower_refuse(l, v, "lb_policy fallback 'weighted_round_robin'");
    return -1;
  }
  return 0;
}

/* Caddy's provisioning and validation of the chosen policy */
static int lb_selection_check(struct lower *l, const struct json *v, struct lb_policy_rec *rec)
{
  struct lowered_proxy_lb *lb = rec->lb;
  if (lb->policy == ZS_LB_RANDOM_CHOOSE || lb->fallback == ZS_LB_RANDOM_CHOOSE) {
    if (lb->choose == 0)
      lb->choose = 2;
    if (lb->choose < 2) {
      lower_refuse(l, v, "random_choose: choose must be at least 2");
      return -1;
    }
  }
  if ((lb->policy == ZS_LB_QUERY || lb->policy == ZS_LB_HEADER) && (!lb->policy_key || !*lb->policy_key)) {
    lower_refuse(l, v, "lb_policy %s without a %s", lb_policy_names[lb->policy],
                 lb->policy == ZS_LB_QUERY ? "key" : "field");
    return -1;
  }
  if (lb->policy == ZS_LB_COOKIE && (!lb->policy_key || !*lb->policy_key))
    lb->policy_key = "lb";
  if (lb->policy != ZS_LB_WEIGHTED_ROUND_ROBIN)
    return 0;
  const struct json *w = rec->weights;
  unsigned total = 0;
  if (!w || w->count != lb->upstream_count) {
    lower_refuse(l, w ? w : v, "weighted_round_robin with %zu weights for %zu upstreams", w ? w->count : 0,
                 lb->upstream_count);
    return -1;
  }
  for (size_t i = 0; i < w->count; i++) {
    if (lb_uint(l, w->items[i], "weighted_round_robin weight", 0, 1000000, &lb->upstreams[i].weight) < 0)
      return -1;
    total += lb->upstreams[i].weight;
  }
  if (total == 0) {
    lower_refuse(l, w, "weighted_round_robin requires at least one upstream with a positive weight");
    return -1;
  }
  return 0;
}

static int lb_selection_policy(struct lower *l, const struct json *v, void *record)
{
  struct lb_policy_rec rec = {.lb = lb_of(record)};
  rec.lb->fallback = ZS_LB_RANDOM;
  if (lb_selection(l, v, &rec, &rec.lb->policy) < 0)
    return -1;
  return lb_selection_check(l, v, &rec);
}

static int lb_retries(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "lb_retries", 0, LB_MS_MAX, &lb_of(record)->retries);
}

static int lb_try_duration(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "lb_try_duration", &lb_of(record)->try_duration_ms);
}

static int lb_try_interval(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "lb_try_interval", &lb_of(record)->try_interval_ms);
}

/* lb_retry_match: matcher sets of method matchers only (zsrt decides
 * retries outside the program, from the method) */
static int lb_retry_match(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (v->kind != JSON_ARRAY) {
    lower_refuse(l, v, "lb_retry_match that is not a list");
    return -1;
  }
  lb->retry_match = true;
  size_t n = 0;
  for (size_t i = 0; i < v->count; i++)
    if (v->items[i]->kind == JSON_OBJECT)
      for (size_t k = 0; k < v->items[i]->count; k++)
        if (v->items[i]->members[k].value->kind == JSON_ARRAY)
          n += v->items[i]->members[k].value->count;
  lb->retry_methods = arena_alloc(l->a, (n + 1) * sizeof *lb->retry_methods);
  for (size_t i = 0; i < v->count; i++) {
    const struct json *set = v->items[i];
    if (set->kind != JSON_OBJECT || set->count != 1 || strcmp(set->members[0].key, "method") != 0) {
      const char *name = set->kind == JSON_OBJECT && set->count ? set->members[0].key : "";
      if (set->kind == JSON_OBJECT && set->count == 2)
        name = strcmp(set->members[0].key, "method") ? set->members[0].key : set->members[1].key;
      lower_refuse_matcher(l, set->kind == JSON_OBJECT && set->count ? json_object_get(set, name) : set, name);
      return -1;
    }
    const struct json *methods = set->members[0].value;
    for (size_t k = 0; methods->kind == JSON_ARRAY && k < methods->count; k++) {
      const char *m = lower_string(l, methods->items[k], "lb_retry_match method");
      if (!m)
        return -1;
      lb->retry_methods[lb->retry_method_count++] = m;
    }
  }
  return 0;
}

static const struct lower_key lb_keys[] = {
  {"selection_policy", "lb_policy", lb_selection_policy}, {"retries", "lb_retries", lb_retries},
  {"try_duration", "lb_try_duration", lb_try_duration}, {"try_interval", "lb_try_interval", lb_try_interval},
  {"retry_match", "lb_retry_match", lb_retry_match}, {NULL, NULL, NULL},
};

int lower_proxy_load_balancing(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, lb_keys, "reverse_proxy load_balancing", record);
}

/* ---- health_checks ---- */

static int hc_string(struct lower *l, const struct json *v, const char *what, const char **out)
{
  const char *s = lower_string(l, v, what);
  if (s && strpbrk(s, "{}")) {
    lower_refuse(l, v, "placeholder in %s '%s'", what, s);
    return -1;
  }
  *out = s;
  return s ? 0 : -1;
}

static int hc_uri(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (hc_string(l, v, "health_uri", &lb->health_uri) < 0)
    return -1;
  if (lb->health_uri[0] != '/' || strpbrk(lb->health_uri, " \r\n\t#")) {
    lower_refuse(l, v, "health_uri '%s'", lb->health_uri);
    return -1;
  }
  return 0;
}

static int hc_port(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "health_port", 1, 65535, &lb_of(record)->health_port);
}

static int hc_method(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (hc_string(l, v, "health_method", &lb->health_method) < 0)
    return -1;
  if (!*lb->health_method || strpbrk(lb->health_method, " \r\n\t")) {
    lower_refuse(l, v, "health_method '%s'", lb->health_method);
    return -1;
  }
  return 0;
}

static int hc_headers(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "health_headers that are not an object");
    return -1;
  }
  size_t n = 0;
  for (size_t i = 0; i < v->count; i++)
    n += v->members[i].value->kind == JSON_ARRAY ? v->members[i].value->count : 0;
  lb->health_headers = arena_alloc(l->a, (2 * n + 1) * sizeof *lb->health_headers);
  for (size_t i = 0; i < v->count; i++) {
    const struct json *vals = v->members[i].value;
    const char *name = lower_header_name(l, v->members[i].key, vals);
    if (!name || vals->kind != JSON_ARRAY) {
      if (name)
        lower_refuse(l, vals, "health_headers '%s'", v->members[i].key);
      return -1;
    }
    for (size_t k = 0; k < vals->count; k++) {
      const char *val;
      if (hc_string(l, vals->items[k], "health_headers value", &val) < 0)
        return -1;
      lb->health_headers[lb->health_header_count++] = name;
      lb->health_headers[lb->health_header_count++] = val;
    }
  }
  return 0;
}

static int hc_interval(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "health_interval", &lb_of(record)->health_interval_ms);
}

static int hc_timeout(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "health_timeout", &lb_of(record)->health_timeout_ms);
}

static int hc_passes(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "health_passes", -0x7fffffffLL, 65535, &lb_of(record)->health_passes);
}

static int hc_fails(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "health_fails", -0x7fffffffLL, 65535, &lb_of(record)->health_fails);
}

static int hc_status(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "health_status", 0, 999, &lb_of(record)->health_status);
}

/* health_body: Go's RE2 syntax, run by PCRE2 in zsrt */
static int hc_body(struct lower *l, const struct json *v, void *record)
{
  const char *re = lower_string(l, v, "health_body");
  if (!re || lower_proxy_regexp(l, v, re, "health_body") < 0)
    return -1;
  lb_of(record)->health_body = re;
  return 0;
}

static int hc_follow(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  if (lower_is_true(v)) {
    lower_refuse(l, v, "health_follow_redirects");
    return -1;
  }
  return 0;
}

static const struct lower_key hc_active_keys[] = {
  {"uri", "health_uri", hc_uri}, {"path", "health_path", hc_uri}, {"port", "health_port", hc_port},
  {"method", "health_method", hc_method}, {"headers", "health_headers", hc_headers},
  {"interval", "health_interval", hc_interval}, {"timeout", "health_timeout", hc_timeout},
  {"passes", "health_passes", hc_passes}, {"fails", "health_fails", hc_fails},
  {"expect_status", "health_status", hc_status}, {"expect_body", "health_body", hc_body},
  {"follow_redirects", "health_follow_redirects", hc_follow},
  {"upstream", "health_upstream", lower_key_refused}, {"body", "health_request_body", lower_key_refused},
  {NULL, NULL, NULL},
};

static int hc_active(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (lower_object_keys(l, v, hc_active_keys, "reverse_proxy active health checks", record) < 0)
    return -1;
  lb->active = lb->health_uri || lb->health_port;
  return 0;
}

static int hc_fail_duration(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "fail_duration", &lb_of(record)->fail_duration_ms);
}

static int hc_max_fails(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "max_fails", 0, LB_MS_MAX, &lb_of(record)->max_fails);
}

static int hc_request_count(struct lower *l, const struct json *v, void *record)
{
  unsigned n;
  if (lb_uint(l, v, "unhealthy_request_count", 0, LB_MS_MAX, &n) < 0)
    return -1;
  /* Caddy copies it into every upstream without max_requests */
  struct lowered_proxy_lb *lb = lb_of(record);
  for (size_t i = 0; i < lb->upstream_count; i++)
    if (!lb->upstreams[i].max_requests)
      lb->upstreams[i].max_requests = n;
  return 0;
}

static int hc_unhealthy_status(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (v->kind != JSON_ARRAY) {
    lower_refuse(l, v, "unhealthy_status that is not a list");
    return -1;
  }
  lb->unhealthy_status = arena_alloc(l->a, (v->count + 1) * sizeof *lb->unhealthy_status);
  for (size_t i = 0; i < v->count; i++) {
    unsigned code;
    if (lb_uint(l, v->items[i], "unhealthy_status", 1, 999, &code) < 0)
      return -1;
    lb->unhealthy_status[lb->unhealthy_status_count++] = arena_printf(l->a, "%u", code);
  }
  return 0;
}

static int hc_latency(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "unhealthy_latency", &lb_of(record)->unhealthy_latency_ms);
}

static const struct lower_key hc_passive_keys[] = {
  {"fail_duration", "fail_duration", hc_fail_duration}, {"max_fails", "max_fails", hc_max_fails},
  {"unhealthy_request_count", "unhealthy_request_count", hc_request_count},
  {"unhealthy_status", "unhealthy_status", hc_unhealthy_status},
  {"unhealthy_latency", "unhealthy_latency", hc_latency}, {NULL, NULL, NULL},
};

static int hc_passive(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_lb *lb = lb_of(record);
  if (lower_object_keys(l, v, hc_passive_keys, "reverse_proxy passive health checks", record) < 0)
    return -1;
  if (lb->max_fails == 0)
    lb->max_fails = 1;
  return 0;
}

static const struct lower_key hc_keys[] = {
  {"active", NULL, hc_active}, {"passive", NULL, hc_passive}, {NULL, NULL, NULL},
};

int lower_proxy_health_checks(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, hc_keys, "reverse_proxy health_checks", record);
}

/* ---- transport http ---- */

static int tr_protocol(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  return lower_only(l, v, "reverse_proxy transport", "http");
}

static int tr_dial_timeout(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "dial_timeout", &lb_of(record)->dial_timeout_ms);
}

static int tr_header_timeout(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "response_header_timeout", &lb_of(record)->response_header_timeout_ms);
}

static int tr_read_timeout(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "read_timeout", &lb_of(record)->read_timeout_ms);
}

static int tr_write_timeout(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "write_timeout", &lb_of(record)->write_timeout_ms);
}

static int tr_max_conns(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "max_conns_per_host", 0, LB_MS_MAX, &lb_of(record)->max_conns_per_host);
}

/* HTTP/1.1 only: "2" is accepted beside it because Go speaks HTTP/2 to a
 * plain-HTTP upstream only as h2c, which is its own version */
static int tr_versions(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  bool h1 = false;
  for (size_t i = 0; v->kind == JSON_ARRAY && i < v->count; i++) {
    const char *s = lower_string(l, v->items[i], "versions");
    if (!s)
      return -1;
    if (strcmp(s, "1.1") == 0)
      h1 = true;
    else if (strcmp(s, "2") != 0) {
      lower_refuse(l, v->items[i], "versions '%s'", s);
      return -1;
    }
  }
  if (!h1) {
    lower_refuse(l, v, "versions without 1.1");
    return -1;
  }
  return 0;
}

static int ka_enabled(struct lower *l, const struct json *v, void *record)
{
  bool on;
  if (lower_bool(l, v, "keepalive", &on) < 0)
    return -1;
  lb_of(record)->no_keepalive = !on;
  return 0;
}

static int ka_idle(struct lower *l, const struct json *v, void *record)
{
  return lb_ms(l, v, "keepalive", &lb_of(record)->idle_timeout_ms);
}

static int ka_idle_conns(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "keepalive_idle_conns", 0, LB_MS_MAX, &lb_of(record)->idle_conns);
}

static int ka_idle_per_host(struct lower *l, const struct json *v, void *record)
{
  return lb_uint(l, v, "keepalive_idle_conns_per_host", 0, LB_MS_MAX, &lb_of(record)->idle_conns_per_host);
}

static const struct lower_key ka_keys[] = {
  {"enabled", "keepalive", ka_enabled}, {"idle_timeout", "keepalive", ka_idle},
  {"probe_interval", "keepalive_interval", lower_key_refused}, {"max_idle_conns", "keepalive_idle_conns", ka_idle_conns},
  {"max_idle_conns_per_host", "keepalive_idle_conns_per_host", ka_idle_per_host}, {NULL, NULL, NULL},
};

static int tr_keep_alive(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, ka_keys, "reverse_proxy transport keepalive", record);
}

/* compression off: Go's transport then asks no gzip of its own, which is what
 * zsrt does; asking for it and decoding the answer is not ours yet */
static int tr_compression(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  if (v->kind != JSON_BOOL || v->boolean) {
    lower_refuse(l, v, "reverse_proxy transport compression (gzip asked of the upstream and decoded)");
    return -1;
  }
  return 0;
}

/* read_buffer / write_buffer: the size of Go's connection buffers, which
 * change no byte on the wire; zsrt's buffers are its own */
static int tr_buffer_size(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  if (v->kind != JSON_NUMBER || json_int(v, -1) < 0) {
    lower_refuse(l, v, "reverse_proxy transport buffer size that is not a byte count");
    return -1;
  }
  return 0;
}

static const struct lower_key tr_keys[] = {
  {"protocol", "transport", tr_protocol}, {"dial_timeout", "dial_timeout", tr_dial_timeout},
  {"response_header_timeout", "response_header_timeout", tr_header_timeout},
  {"read_timeout", "read_timeout", tr_read_timeout}, {"write_timeout", "write_timeout", tr_write_timeout},
  {"max_conns_per_host", "max_conns_per_host", tr_max_conns}, {"versions", "versions", tr_versions},
  {"keep_alive", "keepalive keepalive_idle_conns keepalive_idle_conns_per_host keepalive_interval", tr_keep_alive},
  {"tls", "tls tls_client_auth tls_insecure_skip_verify tls_timeout tls_trust_pool tls_server_name tls_renegotiation "
          "tls_except_ports tls_curves", lower_key_refused},
  {"compression", "compression", tr_compression}, {"proxy_protocol", "proxy_protocol", lower_key_refused},
  {"max_response_header_size", "max_response_header", lower_key_refused},
  {"dial_fallback_delay", "dial_fallback_delay", lower_key_refused},
  {"expect_continue_timeout", "expect_continue_timeout", lower_key_refused},
  {"read_buffer_size", "read_buffer", tr_buffer_size}, {"write_buffer_size", "write_buffer", tr_buffer_size},
  {"resolver", "resolvers", lower_key_refused}, {"local_address", "local_address", lower_key_refused},
  {"forward_proxy_url", "forward_proxy_url", lower_key_refused}, {"network_proxy", "network_proxy", lower_key_refused},
  {NULL, NULL, NULL},
};

/* another transport (fastcgi) is refused as the whole transport option */
int lower_proxy_transport(struct lower *l, const struct json *v, void *record)
{
  static const struct lower_key other = {"transport", "transport", lower_key_refused};
  const struct json *protocol = v->kind == JSON_OBJECT ? json_object_get(v, "protocol") : NULL;
  const char *name = protocol && protocol->kind == JSON_STRING ? protocol->text : "";
  if (strcmp(name, "http") != 0 && lb_of(record)->handler) {
    lower_refuse_key(l, lb_of(record)->handler, &other, "transport", "reverse_proxy");
    return -1;
  }
  return lower_object_keys(l, v, tr_keys, "reverse_proxy transport", record);
}

/* Caddy's defaults for what the handler left unset (reverseproxy.go,
 * healthchecks.go, httptransport.go) */
void lower_proxy_lb_defaults(struct lowered_proxy_lb *lb, bool has_keep_alive)
{
  if (lb->try_duration_ms && !lb->try_interval_ms)
    lb->try_interval_ms = 250;
  if (!lb->dial_timeout_ms)
    lb->dial_timeout_ms = 3000;
  if (!has_keep_alive) {
    lb->idle_timeout_ms = 120000;
    lb->idle_conns_per_host = 32;
  } else if (!lb->idle_conns_per_host) {
    lb->idle_conns_per_host = 2;   /* Go's DefaultMaxIdleConnsPerHost */
  }
  if (lb->active) {
    lb->health_method = lb->health_method ? lb->health_method : "GET";
    lb->health_interval_ms = lb->health_interval_ms ? lb->health_interval_ms : 30000;
    lb->health_timeout_ms = lb->health_timeout_ms ? lb->health_timeout_ms : 5000;
    lb->health_passes = (int)lb->health_passes < 1 ? 1 : lb->health_passes;
    lb->health_fails = (int)lb->health_fails < 1 ? 1 : lb->health_fails;
  }
}
