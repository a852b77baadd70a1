/* Caddy's selection policies (selectionpolicies.go), upstream availability
 * (hosts.go: healthy and not full) and tryAgain (reverseproxy.go), over the
 * shared host slots: reads are atomic loads, the round-robin counters atomic
 * adds, nothing locks. Hash policies are rendezvous hashing with XXH64 of
 * the upstream's dial address followed by the key, as Caddy hashes. */
#include "proxy_lb.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "http1.h"
#include "loader.h"

int proxy_lb_available(const struct proxy_hosts *h, const struct zs_proxy *p, const struct proxy_target *t)
{
  if (!h || t->host < 0)
    return t->resolved;
  const struct proxy_host *s = &h->hosts[t->host];
  if ((p->flags & ZS_PROXY_ACTIVE) && atomic_load_explicit(&s->down, memory_order_relaxed))
    return 0;
  if (p->max_fails && atomic_load_explicit(&s->fails, memory_order_relaxed) >= (int)p->max_fails)
    return 0;
  if (t->max_requests && atomic_load_explicit(&s->requests, memory_order_relaxed) >= (int)t->max_requests)
    return 0;
  return t->resolved;
}

static int lb_requests(const struct proxy_lb *lb, const struct proxy_target *t)
{
  return lb->hosts && t->host >= 0 ? atomic_load_explicit(&lb->hosts->hosts[t->host].requests, memory_order_relaxed)
                                   : 0;
}

/* a uniform number in [0, n) */
static unsigned lb_rand(struct proxy_lb *lb, unsigned n)
{
  uint64_t x = lb->rng ? lb->rng : 0x9e3779b97f4a7c15ull;
  x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  lb->rng = x;
  return (unsigned)((x >> 11) % n);
}

#define LB_AVAILABLE(i) proxy_lb_available(lb->hosts, p, &t[i])

static int lb_random(struct proxy_lb *lb, const struct zs_proxy *p, const struct proxy_target *t, size_t n)
{
  int chosen = -1;
  unsigned count = 0;
  for (size_t i = 0; i < n; i++)
    if (LB_AVAILABLE(i) && lb_rand(lb, ++count) == 0)
      chosen = (int)i;
  return chosen;
}

/* fewest requests in flight; a tie is broken at random */
static int lb_least(struct proxy_lb *lb, const struct proxy_target *t, const int *pick, size_t n)
{
  int best = -1, best_reqs = -1;
  unsigned ties = 0;
  for (size_t i = 0; i < n; i++) {
    int reqs = lb_requests(lb, &t[pick[i]]);
    if (reqs == 0)
      return pick[i];
    if (best_reqs < 0 || reqs < best_reqs)
      best_reqs = reqs, best = pick[i], ties = 1;
    else if (reqs == best_reqs && lb_rand(lb, ++ties) == 0)
      best = pick[i];
  }
  return best;
}

static int lb_random_choose(struct proxy_lb *lb, const struct zs_proxy *p, const struct proxy_target *t, size_t n)
{
  int pick[64];
  size_t k = p->choose < n ? p->choose : n, have = 0;
  k = k > 64 ? 64 : k;
  unsigned available = 0;
  for (size_t i = 0; i < n; i++) {
    if (!LB_AVAILABLE(i))
      continue;
    available++;
    if (have < k) {
      pick[have++] = (int)i;
      continue;
    }
    unsigned j = lb_rand(lb, available);
    if (j < k)
      pick[j] = (int)i;
  }
  return have ? lb_least(lb, t, pick, have) : -1;
}

static int lb_least_conn(struct proxy_lb *lb, const struct zs_proxy *p, const struct proxy_target *t, size_t n)
{
  int best = -1, least = -1;
  unsigned count = 0;
  for (size_t i = 0; i < n; i++) {
    if (!LB_AVAILABLE(i))
      continue;
    int reqs = lb_requests(lb, &t[i]);
    if (least < 0 || reqs < least)
      least = reqs, count = 0;
    if (reqs == least && (++count == 1 || lb_rand(lb, count) == 0))
      best = (int)i;
  }
  return best;
}

static int lb_first(struct proxy_lb *lb, const struct zs_proxy *p, const struct proxy_target *t, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (LB_AVAILABLE(i))
      return (int)i;
  return -1;
}

/* the proxy's shared counter (proxies past the table share one by their id) */
static atomic_uint *lb_counter(struct proxy_lb *lb, unsigned proxy_id, int weighted)
{
  unsigned i = proxy_id % PROXY_HOSTS_ROBINS;
  return weighted ? &lb->hosts->weighted[i] : &lb->hosts->robin[i];
}

static int lb_round_robin(struct proxy_lb *lb, const struct zs_proxy *p, unsigned proxy_id,
                          const struct proxy_target *t, size_t n)
{
  atomic_uint *robin = lb_counter(lb, proxy_id, 0);
  for (size_t k = 0; k < n; k++) {
    unsigned i = (atomic_fetch_add_explicit(robin, 1, memory_order_relaxed) + 1) % (unsigned)n;
    if (LB_AVAILABLE(i))
      return (int)i;
  }
  return -1;
}

/* Caddy's weighted round robin, quirks included: with fewer than two
 * weights the first upstream, available or not */
static int lb_weighted(struct proxy_lb *lb, const struct zs_proxy *p, unsigned proxy_id,
                       const struct proxy_target *t, size_t n)
{
  if (n < 2)
    return n ? 0 : -1;
  unsigned total = 0, positive = 0;
  for (size_t i = 0; i < n; i++)
    total += t[i].weight, positive += t[i].weight > 0;
  if (!total)
    return -1;   /* zsc refuses it; a blob that has it chooses nothing */
  unsigned current = (atomic_fetch_add_explicit(lb_counter(lb, proxy_id, 1), 1, memory_order_relaxed) + 1) % total;
  unsigned index = 0, sum = 0, k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!t[i].weight)
      continue;
    sum += t[i].weight;
    if (current < sum) {
      index = k;
      break;
    }
    k++;
  }
  int avail[64];
  unsigned have = 0;
  for (size_t i = 0; i < n && have < positive && have < 64; i++)
    if (LB_AVAILABLE(i) && t[i].weight)
      avail[have++] = (int)i;
  return have ? avail[index % have] : -1;
}

static int lb_hash(struct proxy_lb *lb, const struct zs_proxy *p, const struct proxy_target *t, size_t n,
                   const char *key, size_t key_len)
{
  uint64_t highest = 0;
  int chosen = -1;
  if (key_len > PROXY_LB_KEY_CAP - PROXY_DIAL_CAP)
    key_len = PROXY_LB_KEY_CAP - PROXY_DIAL_CAP;
  for (size_t i = 0; i < n; i++) {
    if (!LB_AVAILABLE(i))
      continue;
    size_t dl = strlen(t[i].dial);
    memcpy(lb->key, t[i].dial, dl);
    memcpy(lb->key + dl, key, key_len);
    uint64_t h = XXH64(lb->key, dl + key_len, 0);
    if (h > highest)
      highest = h, chosen = (int)i;
  }
  return chosen;
}

/* ---- keys of the hash policies ---- */

static int lb_hex(int ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  ch |= 32;
  return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Go's QueryUnescape into out; -1 for a bad escape */
static int lb_unescape(const char *s, size_t len, char *out, size_t *out_len)
{
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '%') {
      if (i + 2 >= len || lb_hex(s[i + 1]) < 0 || lb_hex(s[i + 2]) < 0)
        return -1;
      out[o++] = (char)(lb_hex(s[i + 1]) * 16 + lb_hex(s[i + 2]));
      i += 2;
    } else {
      out[o++] = s[i] == '+' ? ' ' : s[i];
    }
  }
  *out_len = o;
  return 0;
}

/* url.Query()[key] joined with ",", as QueryHashSelection hashes it */
static size_t lb_query_values(const struct http_request *req, const char *key, char *out, size_t cap)
{
  const char *q = memchr(req->target, '?', req->target_len);
  if (!q)
    return 0;
  const char *end = req->target + req->target_len, *frag = memchr(q, '#', (size_t)(end - q));
  end = frag ? frag : end;
  size_t used = 0, klen = strlen(key);
  char name[1024], value[2048];
  for (const char *s = q + 1; s < end;) {
    const char *amp = memchr(s, '&', (size_t)(end - s));
    const char *pe = amp ? amp : end;
    const char *eq = memchr(s, '=', (size_t)(pe - s));
    const char *ke = eq ? eq : pe;
    size_t nl, vl = 0;
    int ok = !memchr(s, ';', (size_t)(pe - s)) && (size_t)(ke - s) < sizeof name &&
             lb_unescape(s, (size_t)(ke - s), name, &nl) == 0 &&
             (!eq || ((size_t)(pe - eq - 1) < sizeof value && lb_unescape(eq + 1, (size_t)(pe - eq - 1), value, &vl) == 0));
    if (ok && nl == klen && memcmp(name, key, klen) == 0 && used + vl + 1 < cap) {
      if (used)
        out[used++] = ',';
      memcpy(out + used, value, vl);
      used += vl;
    }
    s = pe + 1;
  }
  return used;
}

static const struct http_header *lb_header(const struct http_request *req, const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; i < req->header_count; i++)
    if (req->headers[i].name_len == n && strncasecmp(req->headers[i].name, name, n) == 0)
      return &req->headers[i];
  return NULL;
}

/* the first cookie named name in the Cookie fields (Go's readCookies: pairs
 * split at ';', spaces trimmed, one pair of quotes around the value dropped) */
static const char *lb_cookie(const struct http_request *req, const char *name, size_t *len)
{
  size_t nl = strlen(name);
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (!http1_token_eq(h->name, h->name_len, "cookie"))
      continue;
    const char *s = h->value, *end = h->value + h->value_len;
    while (s < end) {
      const char *semi = memchr(s, ';', (size_t)(end - s)), *pe = semi ? semi : end;
      while (s < pe && *s == ' ')
        s++;
      const char *e = pe;
      while (e > s && e[-1] == ' ')
        e--;
      const char *eq = memchr(s, '=', (size_t)(e - s));
      if (eq && (size_t)(eq - s) == nl && memcmp(s, name, nl) == 0) {
        const char *v = eq + 1;
        if (e - v >= 2 && *v == '"' && e[-1] == '"')
          v++, e--;
        *len = (size_t)(e - v);
        return v;
      }
      s = pe + 1;
    }
  }
  return NULL;
}

/* hex HMAC-SHA256 of the dial address with the secret (Caddy's hashCookie) */
static void lb_cookie_hash(const char *secret, const char *dial, char out[65])
{
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)dial, strlen(dial), mac, &len);
  for (unsigned i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static int lb_policy(struct proxy_lb *lb, const struct blob *b, const struct zs_proxy *p, unsigned policy,
                     unsigned proxy_id, const struct proxy_target *t, size_t n, const struct proxy_lb_request *r,
                     char *cookie);

static int lb_fallback(struct proxy_lb *lb, const struct blob *b, const struct zs_proxy *p, unsigned proxy_id,
                       const struct proxy_target *t, size_t n, const struct proxy_lb_request *r)
{
  return lb_policy(lb, b, p, p->fallback, proxy_id, t, n, r, NULL);
}

/* the cookie policy: the upstream whose hash the cookie holds, else the
 * fallback's choice and a cookie naming it */
static int lb_sticky(struct proxy_lb *lb, const struct blob *b, const struct zs_proxy *p, unsigned proxy_id,
                     const struct proxy_target *t, size_t n, const struct proxy_lb_request *r, char *cookie)
{
  const char *name = blob_string(b, p->policy_key_str), *secret = blob_string(b, p->cookie_secret_str);
  size_t vlen;
  const char *v = lb_cookie(r->req, name, &vlen);
  char hash[65];
  for (size_t i = 0; v && i < n; i++) {
    if (!LB_AVAILABLE(i))
      continue;
    lb_cookie_hash(secret, t[i].dial, hash);
    if (vlen == 64 && CRYPTO_memcmp(hash, v, 64) == 0)
      return (int)i;
  }
  int chosen = lb_fallback(lb, b, p, proxy_id, t, n, r);
  if (chosen < 0 || !cookie)
    return chosen;
  lb_cookie_hash(secret, t[chosen].dial, hash);
  int len = snprintf(cookie, PROXY_LB_COOKIE_CAP, "%s=%s; Path=/", name, hash);
  if (p->cookie_max_age)
    len += snprintf(cookie + len, PROXY_LB_COOKIE_CAP - (size_t)len, "; Max-Age=%u", p->cookie_max_age);
  snprintf(cookie + len, PROXY_LB_COOKIE_CAP - (size_t)len, "; HttpOnly%s",
           r->secure ? "; Secure; SameSite=None" : "; SameSite=Lax");
  return chosen;
}

static int lb_policy(struct proxy_lb *lb, const struct blob *b, const struct zs_proxy *p, unsigned policy,
                     unsigned proxy_id, const struct proxy_target *t, size_t n, const struct proxy_lb_request *r,
                     char *cookie)
{
  const struct http_request *req = r->req;
  switch (policy) {
  case ZS_LB_RANDOM_CHOOSE: return lb_random_choose(lb, p, t, n);
  case ZS_LB_FIRST: return lb_first(lb, p, t, n);
  case ZS_LB_ROUND_ROBIN: return lb_round_robin(lb, p, proxy_id, t, n);
  case ZS_LB_WEIGHTED_ROUND_ROBIN: return lb_weighted(lb, p, proxy_id, t, n);
  case ZS_LB_LEAST_CONN: return lb_least_conn(lb, p, t, n);
  case ZS_LB_IP_HASH: return lb_hash(lb, p, t, n, r->remote_ip, strlen(r->remote_ip));
  case ZS_LB_CLIENT_IP_HASH: return lb_hash(lb, p, t, n, r->client_ip, r->client_ip_len);
  case ZS_LB_URI_HASH: return lb_hash(lb, p, t, n, req->target, req->target_len);
  case ZS_LB_QUERY: {
    size_t len = lb_query_values(req, blob_string(b, p->policy_key_str), lb->query, PROXY_LB_KEY_CAP);
    return len ? lb_hash(lb, p, t, n, lb->query, len) : lb_fallback(lb, b, p, proxy_id, t, n, r);
  }
  case ZS_LB_HEADER: {
    const char *field = blob_string(b, p->policy_key_str);
    if (strcmp(field, "Host") == 0 && req->host && req->host_len)
      return lb_hash(lb, p, t, n, req->host, req->host_len);
    const struct http_header *h = http1_token_eq(field, strlen(field), "host") ? NULL : lb_header(req, field);
    return h && h->value_len ? lb_hash(lb, p, t, n, h->value, h->value_len) : lb_fallback(lb, b, p, proxy_id, t, n, r);
  }
  case ZS_LB_COOKIE: return lb_sticky(lb, b, p, proxy_id, t, n, r, cookie);
  default: return lb_random(lb, p, t, n);
  }
}

int proxy_lb_select(struct proxy_lb *lb, const struct blob *b, const struct zs_proxy *p, unsigned proxy_id,
                    const struct proxy_target *t, size_t n, const struct proxy_lb_request *r, char *cookie)
{
  if (cookie)
    cookie[0] = 0;
  return lb_policy(lb, b, p, p->policy, proxy_id, t, n, r, cookie);
}

static int lb_method_in(const struct blob *b, uint32_t list, const struct http_request *req)
{
  for (const char *m = blob_string(b, list); *m; m += strlen(m) + 1)
    if (strlen(m) == req->method_len && memcmp(m, req->method, req->method_len) == 0)
      return 1;
  return 0;
}

int proxy_lb_try_again(const struct blob *b, const struct zs_proxy *p, const struct proxy_try *t,
                       const struct http_request *req, uint64_t now_ms)
{
  if (!p->try_duration_ms && !p->retries)
    return 0;
  if (p->try_duration_ms && now_ms - t->start_ms >= p->try_duration_ms)
    return 0;
  if (p->retries && t->retries >= p->retries)
    return 0;
  if (t->err == PROXY_ERR_DIAL || t->err == PROXY_ERR_NO_UPSTREAM)
    return 1;   /* nothing reached an upstream: safe to send again */
  if (!(p->flags & ZS_PROXY_RETRY_MATCH))
    return req->method_len == 3 && memcmp(req->method, "GET", 3) == 0;
  return lb_method_in(b, p->retry_methods_str, req);
}

/* Caddy's StatusCodeMatches: a class digit or a code */
int proxy_lb_unhealthy(const struct blob *b, const struct zs_proxy *p, int status, uint64_t latency_ms)
{
  if (!p->fail_duration_ms)
    return 0;
  if (p->unhealthy_latency_ms && latency_ms >= p->unhealthy_latency_ms)
    return 1;
  for (const char *s = blob_string(b, p->unhealthy_status_str); *s; s += strlen(s) + 1) {
    int code = 0;
    for (const char *d = s; *d; d++)
      code = code * 10 + (*d - '0');
    if (code < 100 ? status / 100 == code : status == code)
      return 1;
  }
  return 0;
}
