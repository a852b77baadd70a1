/* The helpers guest code calls (abi/helpers.def). Every (ptr, len) from the
 * guest is checked against the cage's readable or writable regions before it
 * is touched; results go to the decision under construction, never to guest
 * memory except through var_read's checked destination. */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../abi/cage.h"
#include "../abi/request.h"
#include "cage.h"
#include "files.h"

#define HELPER_ERR(e) ((unsigned long long)(long long)-(e))

static struct helper_state *helper_state_of(struct zs_native_ctx *ctx)
{
  return ctx->host;
}

/* The poll budget counts back-edges, which cost nanoseconds; a helper can
 * copy kilobytes. So every helper call takes one poll plus one per
 * HELPER_BYTES_PER_POLL bytes it touches, and checks the request's wall-clock
 * deadline: lifted code between two helper calls is bounded by the budget
 * alone, so this is the one place a deadline needs checking. Out of either,
 * the request traps as a runaway loop does. */
static void helper_charge(struct zs_native_ctx *ctx, uint64_t bytes)
{
  struct helper_state *st = helper_state_of(ctx);
  ctx->budget -= 1 + (long long)(bytes / HELPER_BYTES_PER_POLL);
  if (ctx->budget < 0 || exec_clock_ms() > st->deadline_ms)
    ctx->trap(ctx, ZS_TRAP_BUDGET);
}

/* guest memory known to be readable: the window offset as a host pointer */
static const char *helper_guest(struct helper_state *st, uint64_t ptr)
{
  return (const char *)st->cage->base + ptr;
}

static unsigned long long helper_unknown(struct zs_native_ctx *ctx, unsigned long long r1,
                                         unsigned long long r2, unsigned long long r3,
                                         unsigned long long r4, unsigned long long r5)
{
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
  ctx->trap(ctx, ZS_TRAP_HELPER);
  return 0;
}

/* appends n bytes at *len in buf of cap bytes; -ENOSPC when they do not fit */
static int helper_put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
  if (n > cap - *len)
    return -ENOSPC;
  memcpy(buf + *len, s, n);
  *len += n;
  return 0;
}

/* Caddy splits the Host with net.SplitHostPort: "[v6]:port" or "name:port";
 * anything else (no port, bare IPv6) fails and the Host is used whole */
static int helper_split_hostport(const char *h, size_t n, size_t *host_at, size_t *host_len,
                                 size_t *port_at)
{
  if (n > 0 && h[0] == '[') {
    const char *end = memchr(h, ']', n);
    if (!end || (size_t)(end - h) + 1 >= n || end[1] != ':')
      return -1;
    *host_at = 1;
    *host_len = (size_t)(end - h) - 1;
    *port_at = (size_t)(end - h) + 2;
    return 0;
  }
  const char *c = memchr(h, ':', n);
  if (!c || memchr(c + 1, ':', n - (size_t)(c - h) - 1))
    return -1;
  *host_at = 0;
  *host_len = (size_t)(c - h);
  *port_at = (size_t)(c - h) + 1;
  return 0;
}

static int helper_put_host(const struct helper_state *st, char *buf, size_t cap, size_t *len)
{
  size_t at, n, port_at;
  if (helper_split_hostport(st->hostport, st->hostport_len, &at, &n, &port_at) < 0)
    return helper_put(buf, cap, len, st->hostport, st->hostport_len);
  return helper_put(buf, cap, len, st->hostport + at, n);
}

static int helper_put_port(const struct helper_state *st, char *buf, size_t cap, size_t *len)
{
  size_t at, n, port_at;
  if (helper_split_hostport(st->hostport, st->hostport_len, &at, &n, &port_at) < 0)
    return 0;
  return helper_put(buf, cap, len, st->hostport + port_at, st->hostport_len - port_at);
}

static int helper_put_remote(const struct helper_state *st, unsigned id, char *buf, size_t cap,
                             size_t *len)
{
  const char *ip = st->conn->remote_ip;
  char port[8];
  int port_len = snprintf(port, sizeof port, "%u", st->conn->remote_port);
  if (id == ZS_VAR_remote_host)
    return helper_put(buf, cap, len, ip, strlen(ip));
  if (id == ZS_VAR_remote_port)
    return helper_put(buf, cap, len, port, (size_t)port_len);
  int v6 = strchr(ip, ':') != NULL;
  if ((v6 && helper_put(buf, cap, len, "[", 1) < 0) || helper_put(buf, cap, len, ip, strlen(ip)) < 0 ||
      (v6 && helper_put(buf, cap, len, "]", 1) < 0) || helper_put(buf, cap, len, ":", 1) < 0)
    return -ENOSPC;
  return helper_put(buf, cap, len, port, (size_t)port_len);
}

static int helper_put_uri(const struct helper_state *st, unsigned id, char *buf, size_t cap,
                          size_t *len)
{
  if (id == ZS_VAR_uri && helper_put(buf, cap, len, st->path_raw, st->path_raw_len) < 0)
    return -ENOSPC;
  if (st->query_len == 0)
    return 0;
  if (helper_put(buf, cap, len, "?", 1) < 0)
    return -ENOSPC;
  return helper_put(buf, cap, len, st->query, st->query_len);
}

/* what the TLS handshake settled, as Caddy's http.request.tls.* give it; ""
 * on a connection without TLS */
static int helper_put_tls(const struct conn_info *c, unsigned id, char *buf, size_t cap, size_t *len)
{
  const char *s = "";
  if (c->tls) {
    switch (id) {
    case ZS_VAR_tls_version: s = c->tls_version; break;
    case ZS_VAR_tls_cipher: s = c->tls_cipher; break;
    case ZS_VAR_tls_proto: s = c->tls_alpn; break;
    case ZS_VAR_tls_resumed: s = c->tls_resumed ? "true" : "false"; break;
    case ZS_VAR_tls_client_subject: s = c->tls_client_subject; break;
    case ZS_VAR_tls_client_issuer: s = c->tls_client_issuer; break;
    case ZS_VAR_tls_client_serial: s = c->tls_client_serial; break;
    case ZS_VAR_tls_client_fingerprint: s = c->tls_client_fingerprint; break;
    default: s = c->tls_sni; break;
    }
  }
  return helper_put(buf, cap, len, s, strnlen(s, 256));
}

static int helper_put_var(const struct helper_state *st, unsigned id, char *buf, size_t cap,
                          size_t *len)
{
  const struct exec_decision *dec = st->dec;
  switch (id) {
  case ZS_VAR_method: return helper_put(buf, cap, len, st->req->method, st->req->method_len);
  case ZS_VAR_uri: case ZS_VAR_prefixed_query: return helper_put_uri(st, id, buf, cap, len);
  case ZS_VAR_path: return helper_put(buf, cap, len, dec->path, dec->path_len);
  case ZS_VAR_query: return helper_put(buf, cap, len, st->query, st->query_len);
  case ZS_VAR_host: return helper_put_host(st, buf, cap, len);
  case ZS_VAR_hostport: return helper_put(buf, cap, len, st->hostport, st->hostport_len);
  case ZS_VAR_port: return helper_put_port(st, buf, cap, len);
  case ZS_VAR_scheme: return helper_put(buf, cap, len, st->conn->tls ? "https" : "http", st->conn->tls ? 5 : 4);
  case ZS_VAR_remote: case ZS_VAR_remote_host: case ZS_VAR_remote_port:
    return helper_put_remote(st, id, buf, cap, len);
  case ZS_VAR_proto:
    return helper_put(buf, cap, len, st->req->http2 ? "HTTP/2.0" : st->req->version_minor ? "HTTP/1.1" : "HTTP/1.0", 8);
  case ZS_VAR_orig_uri: return helper_put(buf, cap, len, st->orig_uri, st->orig_uri_len);
  case ZS_VAR_root: return helper_put(buf, cap, len, dec->root, dec->root ? dec->root_len : 0);
  case ZS_VAR_tls_version: case ZS_VAR_tls_cipher: case ZS_VAR_tls_proto: case ZS_VAR_tls_resumed:
  case ZS_VAR_tls_server_name: case ZS_VAR_tls_client_subject: case ZS_VAR_tls_client_issuer:
  case ZS_VAR_tls_client_serial: case ZS_VAR_tls_client_fingerprint:
    return helper_put_tls(st->conn, id, buf, cap, len);
  default: return -EINVAL;
  }
}

long helper_var_value(const struct helper_state *st, unsigned id, char *buf, size_t cap)
{
  size_t len = 0;
  int rc = helper_put_var(st, id, buf, cap, &len);
  return rc < 0 ? rc : (long)len;
}

static unsigned long long helper_resp_status(struct zs_native_ctx *ctx, unsigned long long status,
                                             unsigned long long r2, unsigned long long r3,
                                             unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  helper_charge(ctx, 0);
  if (status < 100 || status > 999)
    return HELPER_ERR(EINVAL);
  helper_state_of(ctx)->dec->status = (int)status;
  return 0;
}

/* the buffer of a slot: its bytes, current length and capacity */
static int helper_slot(struct helper_state *st, uint64_t slot, char **buf, size_t **len, size_t *cap)
{
  if (slot == ZS_BUF_BODY) {
    *buf = st->dec->body;
    *len = &st->dec->body_len;
    *cap = EXEC_MAX_BODY;
  } else if (slot == ZS_BUF_VALUE) {
    *buf = st->value;
    *len = &st->value_len;
    *cap = sizeof st->value;
  } else {
    return -EINVAL;
  }
  return 0;
}

static unsigned long long helper_buf_reset(struct zs_native_ctx *ctx, unsigned long long slot,
                                           unsigned long long r2, unsigned long long r3,
                                           unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  helper_charge(ctx, 0);
  char *buf;
  size_t *len, cap;
  if (helper_slot(helper_state_of(ctx), slot, &buf, &len, &cap) < 0)
    return HELPER_ERR(EINVAL);
  *len = 0;
  return 0;
}

static unsigned long long helper_buf_lit(struct zs_native_ctx *ctx, unsigned long long slot,
                                         unsigned long long ptr, unsigned long long n,
                                         unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n);
  char *buf;
  size_t *len, cap;
  if (helper_slot(st, slot, &buf, &len, &cap) < 0 || !cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  if (n > cap - *len)
    return HELPER_ERR(ENOSPC);
  memcpy(buf + *len, helper_guest(st, ptr), n);
  *len += n;
  return 0;
}

static unsigned long long helper_buf_var(struct zs_native_ctx *ctx, unsigned long long slot,
                                         unsigned long long id, unsigned long long r3,
                                         unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  char *buf;
  size_t *len, cap;
  if (helper_slot(st, slot, &buf, &len, &cap) < 0)
    return HELPER_ERR(EINVAL);
  long n = helper_var_value(st, (unsigned)id, buf + *len, cap - *len);
  helper_charge(ctx, n > 0 ? (uint64_t)n : 0);
  if (n < 0)
    return (unsigned long long)(long long)n;
  *len += (size_t)n;
  return 0;
}

/* copies bytes into the decision's storage; NULL when it is full */
static char *helper_store(struct exec_decision *dec, const char *s, size_t n)
{
  if (n > sizeof dec->storage - dec->storage_used)
    return NULL;
  char *p = dec->storage + dec->storage_used;
  memcpy(p, s, n);
  dec->storage_used += n;
  return p;
}

/* a header field name is a token (RFC 9110 5.1) */
static int helper_is_token(const char *s, size_t n)
{
  static const char extra[] = "!#$%&'*+-.^_`|~";
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    int alnum = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
    if (!alnum && (ch == '\0' || !strchr(extra, ch)))
      return 0;
  }
  return 1;
}

/* an op, at most one target, and an index only on a proxy's replace */
static int helper_header_op_valid(unsigned long long op)
{
  unsigned long long kind = op & ZS_HDR_OP_MASK, target = op & (ZS_HDR_UP | ZS_HDR_DOWN);
  unsigned long long index = op >> ZS_HDR_INDEX_SHIFT;
  if ((op & ~(ZS_HDR_OP_MASK | ZS_HDR_UP | ZS_HDR_DOWN | ((unsigned long long)ZS_HDR_MAX_INDEX << ZS_HDR_INDEX_SHIFT))) ||
      kind > ZS_HDR_REPLACE || target == (ZS_HDR_UP | ZS_HDR_DOWN))
    return 0;
  return kind == ZS_HDR_REPLACE ? target != 0 : index == 0;
}

static unsigned long long helper_resp_header(struct zs_native_ctx *ctx, unsigned long long op,
                                             unsigned long long ptr, unsigned long long n,
                                             unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  struct exec_decision *dec = st->dec;
  size_t value_len = st->value_len;
  helper_charge(ctx, n + value_len);
  st->value_len = 0;
  if (!helper_header_op_valid(op) || !cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  if (!helper_is_token(helper_guest(st, ptr), n) && !(n == 1 && *(const char *)helper_guest(st, ptr) == '*'))
    return HELPER_ERR(EINVAL);
  if (dec->op_count >= EXEC_MAX_HEADER_OPS)
    return HELPER_ERR(ENOSPC);
  struct exec_header_op *o = &dec->ops[dec->op_count];
  o->name = helper_store(dec, helper_guest(st, ptr), n);
  o->value = helper_store(dec, st->value, value_len);
  if (!o->name || !o->value)
    return HELPER_ERR(ENOSPC);
  o->op = (enum zs_header_op)(op & ZS_HDR_OP_MASK);
  o->target = (unsigned)(op & (ZS_HDR_UP | ZS_HDR_DOWN));
  o->index = (unsigned)(op >> ZS_HDR_INDEX_SHIFT);
  o->name_len = n;
  o->value_len = value_len;
  dec->op_count++;
  return 0;
}

static int helper_hex(int ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  ch |= 0x20;
  return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* the longest escaped path strip_path_prefix cleans (the request target limit) */
#define HELPER_PATH_MAX 8192

static int helper_fold(int ch)
{
  return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

long helper_prefix_match(const char *raw, size_t raw_len, const char *prefix, size_t prefix_len,
                         size_t *decoded)
{
  size_t i = 0, k = 0, dec = 0;
  while (i < raw_len && k < prefix_len) {
    int ch = (unsigned char)raw[i];
    size_t step = 1, pstep = 1;
    if (ch == '%') {
      int hi = i + 2 < raw_len ? helper_hex(raw[i + 1]) : -1;
      int lo = i + 2 < raw_len ? helper_hex(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return -1;
      step = 3;
      if (prefix[k] == '%') {
        /* an escape in the prefix is compared as written */
        if (k + 2 >= prefix_len || helper_hex(prefix[k + 1]) != hi || helper_hex(prefix[k + 2]) != lo)
          return -1;
        pstep = 3;
      }
      ch = hi << 4 | lo;
    }
    if (pstep == 1 && helper_fold(ch) != helper_fold((unsigned char)prefix[k]))
      return -1;
    i += step;
    k += pstep;
    dec++;
  }
  if (k < prefix_len)
    return -1;
  *decoded = dec;
  return (long)i;
}

/* Caddy's CleanPath on the escaped path before strip_path_prefix: dot
 * segments resolved, a trailing slash kept, and consecutive slashes merged
 * unless the prefix itself holds "//" (then empty segments survive: they are
 * marked with a byte no URI holds while cleaning, as Caddy does). */
static int helper_clean_path(struct helper_state *st, int merge_slashes)
{
  char marked[2 * HELPER_PATH_MAX], clean[2 * HELPER_PATH_MAX + 2];
  size_t m = 0;
  if (st->path_raw_len > HELPER_PATH_MAX)
    return -E2BIG;
  for (size_t i = 0; i < st->path_raw_len; i++) {
    marked[m++] = st->path_raw[i];
    if (!merge_slashes && st->path_raw[i] == '/' && i + 1 < st->path_raw_len && st->path_raw[i + 1] == '/')
      marked[m++] = '\x01';
  }
  clean[0] = '/';
  int n = files_clean_path(marked, m, clean + 1, sizeof clean - 1);
  if (n < 0)
    return n;
  size_t len = 0;
  for (int i = 0; i < n + 1; i++)
    if (clean[i] != '\x01')
      clean[len++] = clean[i];
  if (len == st->path_raw_len && memcmp(clean, st->path_raw, len) == 0)
    return 0;
  return exec_path_replace(st, clean, len);
}

static void helper_view_advance(struct zs_str *s, size_t n)
{
  s->ptr += (uint32_t)n;
  s->len -= (uint32_t)n;
}

static unsigned long long helper_path_strip_prefix(struct zs_native_ctx *ctx, unsigned long long ptr,
                                                   unsigned long long n, unsigned long long r3,
                                                   unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n + 4 * st->path_raw_len);   /* cleaned, copied, decoded, matched */
  if (!cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  if (helper_clean_path(st, memmem(helper_guest(st, ptr), n, "//", 2) == NULL) < 0)
    return HELPER_ERR(E2BIG);
  size_t decoded;
  long raw = helper_prefix_match(st->path_raw, st->path_raw_len, helper_guest(st, ptr), n, &decoded);
  if (raw < 0 || decoded > st->dec->path_len)
    return 0;   /* no such prefix: the path stays as it is, as in Caddy */
  struct zs_req *view = (struct zs_req *)st->cage->req_host;
  helper_view_advance(&view->path, decoded);
  helper_view_advance(&view->path_lc, decoded);
  helper_view_advance(&view->path_raw, (size_t)raw);
  st->path_raw += raw;
  st->path_raw_len -= (size_t)raw;
  st->dec->path += decoded;
  st->dec->path_len -= decoded;
  return 1;
}

static unsigned long long helper_var_set(struct zs_native_ctx *ctx, unsigned long long id,
                                         unsigned long long slot, unsigned long long r3,
                                         unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  char *buf;
  size_t *len, cap;
  helper_charge(ctx, 0);
  if (id != ZS_VAR_root || helper_slot(st, slot, &buf, &len, &cap) < 0)
    return HELPER_ERR(EINVAL);
  helper_charge(ctx, *len);
  char *root = helper_store(st->dec, buf, *len + 1);
  if (!root)
    return HELPER_ERR(ENOSPC);
  root[*len] = '\0';
  st->dec->root = root;
  st->dec->root_len = *len;
  *len = 0;
  return 0;
}

static unsigned long long helper_var_len(struct zs_native_ctx *ctx, unsigned long long id,
                                         unsigned long long r2, unsigned long long r3,
                                         unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  char scratch[EXEC_MAX_VALUE];
  long n = helper_var_value(helper_state_of(ctx), (unsigned)id, scratch, sizeof scratch);
  helper_charge(ctx, n > 0 ? (uint64_t)n : 0);
  return (unsigned long long)(long long)n;
}

static unsigned long long helper_var_read(struct zs_native_ctx *ctx, unsigned long long id,
                                          unsigned long long dst, unsigned long long dst_len,
                                          unsigned long long offset, unsigned long long r5)
{
  (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  if (!cage_writable(st->cage, dst, dst_len))
    return HELPER_ERR(EFAULT);
  char scratch[EXEC_MAX_VALUE];
  long n = helper_var_value(st, (unsigned)id, scratch, sizeof scratch);
  helper_charge(ctx, n > 0 ? (uint64_t)n : 0);
  if (n < 0)
    return (unsigned long long)(long long)n;
  if (offset >= (unsigned long long)n)
    return 0;
  size_t copy = (size_t)n - offset < dst_len ? (size_t)n - offset : dst_len;
  memcpy(st->cage->base + dst, scratch + offset, copy);
  cage_note_heap_write(st->cage, dst, copy);
  return copy;
}

/* ids in helpers.def are dense, so every slot but 0 has its helper */
const zs_helper_fn helper_table[ZS_HELPER_COUNT] = {
  [0] = helper_unknown,
#define ZS_HELPER(id, name, args, doc) [id] = helper_##name,
#include "../abi/helpers.def"
#undef ZS_HELPER
};
