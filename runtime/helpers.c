/* The helpers guest code calls (abi/helpers.def). Every (ptr, len) from the
 * guest is checked against the cage's readable or writable regions before it
 * is touched; results go to the decision under construction, never to guest
 * memory except through var_read's checked destination. */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../abi/cage.h"
#include "../abi/request.h"
#include "cage.h"
#include "auth.h"
#include "files.h"
#include "query_match.h"
#include "regex.h"
#include "request_headers.h"
#include "response.h"
#include "rewrite.h"

#define HELPER_ERR(e) ((unsigned long long)(long long)-(e))

struct helper_state *helper_state_of(struct zs_native_ctx *ctx)
{
  return ctx->host;
}

/* The poll budget counts back-edges, which cost nanoseconds; a helper can
 * copy kilobytes. So every helper call takes one poll plus one per
 * HELPER_BYTES_PER_POLL bytes it touches, and checks the request's wall-clock
 * deadline: lifted code between two helper calls is bounded by the budget
 * alone, so this is the one place a deadline needs checking. Out of either,
 * the request traps as a runaway loop does. */
void helper_charge(struct zs_native_ctx *ctx, uint64_t bytes)
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

/* the query as sent: what follows the first '?' of the original target
 * (prefixed: with the '?', when it is not empty) */
static int helper_put_orig_query(const struct helper_state *st, unsigned id, char *buf, size_t cap, size_t *len)
{
  const char *q = memchr(st->orig_uri, '?', st->orig_uri_len);
  size_t n = q ? st->orig_uri_len - (size_t)(q - st->orig_uri) - 1 : 0;
  if (n == 0)
    return 0;
  return helper_put(buf, cap, len, id == ZS_VAR_orig_prefixed_query ? q : q + 1, id == ZS_VAR_orig_prefixed_query ? n + 1 : n);
}

static int helper_put_var(const struct helper_state *st, unsigned id, char *buf, size_t cap, size_t *len);

/* the error being handled (error routes only: lowering refuses the
 * variables elsewhere, and they are empty there) */
static int helper_put_error(const struct exec_decision *dec, unsigned id, char *buf, size_t cap, size_t *len)
{
  if (!dec->error_status)
    return 0;
  if (id == ZS_VAR_error_status_code) {
    char code[8];
    int n = snprintf(code, sizeof code, "%d", dec->error_status);
    return helper_put(buf, cap, len, code, (size_t)n);
  }
  if (id == ZS_VAR_error_status_text) {
    const char *text = response_status_text(dec->error_status);
    return helper_put(buf, cap, len, text, strlen(text));
  }
  if (id == ZS_VAR_error_id)
    return helper_put(buf, cap, len, dec->error_id, strlen(dec->error_id));
  return helper_put(buf, cap, len, dec->error_message, dec->error_message_len);
}

/* the *_escaped placeholders: Caddy query-escapes the value */
static int helper_put_escaped(const struct helper_state *st, unsigned id, char *buf, size_t cap, size_t *len)
{
  char raw[EXEC_MAX_VALUE];
  size_t n = 0;
  unsigned of = id == ZS_VAR_uri_escaped ? ZS_VAR_uri : id == ZS_VAR_path_escaped ? ZS_VAR_path : ZS_VAR_query;
  int rc = helper_put_var(st, of, raw, sizeof raw, &n);
  if (rc < 0)
    return rc;
  long e = rewrite_query_escape(raw, n, buf + *len, cap - *len);
  if (e < 0)
    return -ENOSPC;
  *len += (size_t)e;
  return 0;
}

static int helper_put_var(const struct helper_state *st, unsigned id, char *buf, size_t cap,
                          size_t *len)
{
  const struct exec_decision *dec = st->dec;
  switch (id) {
  case ZS_VAR_method: return helper_put(buf, cap, len, st->req->method, st->req->method_len);
  case ZS_VAR_uri: case ZS_VAR_prefixed_query: return helper_put_uri(st, id, buf, cap, len);
  case ZS_VAR_path: return helper_put(buf, cap, len, dec->path, dec->path_len);
  case ZS_VAR_path_raw: return helper_put(buf, cap, len, st->path_raw, st->path_raw_len);
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
  case ZS_VAR_orig_path: return helper_put(buf, cap, len, dec->orig_path, dec->orig_path_len);
  case ZS_VAR_orig_query: case ZS_VAR_orig_prefixed_query: return helper_put_orig_query(st, id, buf, cap, len);
  case ZS_VAR_orig_method: return helper_put(buf, cap, len, st->req->method, st->req->method_len);
  case ZS_VAR_path_file: case ZS_VAR_path_dir: case ZS_VAR_path_file_base: case ZS_VAR_path_file_ext:
    return helper_put_path_part(dec->path, dec->path_len, id, buf, cap, len);
  case ZS_VAR_orig_path_file: case ZS_VAR_orig_path_dir:
    return helper_put_path_part(dec->orig_path, dec->orig_path_len, id, buf, cap, len);
  case ZS_VAR_proto_name:
    return st->req->http2 ? helper_put(buf, cap, len, "HTTP/2", 6) : helper_put_var(st, ZS_VAR_proto, buf, cap, len);
  case ZS_VAR_uri_escaped: case ZS_VAR_path_escaped: case ZS_VAR_query_escaped:
    return helper_put_escaped(st, id, buf, cap, len);
  case ZS_VAR_root: return helper_put(buf, cap, len, dec->root, dec->root ? dec->root_len : 0);
  case ZS_VAR_log_skip: return dec->log_skip ? helper_put(buf, cap, len, "true", 4) : 0;
  case ZS_VAR_auth_user_id: return helper_put(buf, cap, len, dec->user_id, dec->user_id_len);
  case ZS_VAR_tls_version: case ZS_VAR_tls_cipher: case ZS_VAR_tls_proto: case ZS_VAR_tls_resumed:
  case ZS_VAR_tls_server_name: case ZS_VAR_tls_client_subject: case ZS_VAR_tls_client_issuer:
  case ZS_VAR_tls_client_serial: case ZS_VAR_tls_client_fingerprint:
    return helper_put_tls(st->conn, id, buf, cap, len);
  case ZS_VAR_file_relative: case ZS_VAR_file_absolute: case ZS_VAR_file_type: case ZS_VAR_file_remainder:
    return helper_put(buf, cap, len, dec->file_vars[id - ZS_VAR_file_relative],
                      dec->file_var_len[id - ZS_VAR_file_relative]);
  case ZS_VAR_error_status_code: case ZS_VAR_error_status_text: case ZS_VAR_error_message: case ZS_VAR_error_id:
    return helper_put_error(dec, id, buf, cap, len);
  default:
    if (id >= ZS_VAR_USER_FIRST && id < ZS_VAR_USER_FIRST + ZS_VAR_USER_COUNT)   /* unset: "", as in Caddy */
      return dec->user_vars[id - ZS_VAR_USER_FIRST]
               ? helper_put(buf, cap, len, dec->user_vars[id - ZS_VAR_USER_FIRST], dec->user_var_len[id - ZS_VAR_USER_FIRST])
               : 0;
    return -EINVAL;
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

int helper_slot(struct helper_state *st, uint64_t slot, char **buf, size_t **len, size_t *cap)
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

/* appends bytes to a build buffer (guest ones already checked readable) */
static unsigned long long helper_slot_append(struct helper_state *st, uint64_t slot, const char *s, size_t n)
{
  char *buf;
  size_t *len, cap;
  if (helper_slot(st, slot, &buf, &len, &cap) < 0)
    return HELPER_ERR(EFAULT);
  if (n > cap - *len)
    return HELPER_ERR(ENOSPC);
  memcpy(buf + *len, s, n);
  *len += n;
  return 0;
}

static unsigned long long helper_buf_lit(struct zs_native_ctx *ctx, unsigned long long slot,
                                         unsigned long long ptr, unsigned long long n,
                                         unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n);
  if (!cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  return helper_slot_append(st, slot, helper_guest(st, ptr), n);
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

char *helper_store(struct exec_decision *dec, const char *s, size_t n)
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

/* an op, at most one target, and an index only on a proxy's replace; the
 * request's own ops are add, set and delete, applied at once */
static int helper_header_op_valid(unsigned long long op)
{
  unsigned long long kind = op & ZS_HDR_OP_MASK, target = op & (ZS_HDR_UP | ZS_HDR_DOWN);
  unsigned long long index = op >> ZS_HDR_INDEX_SHIFT;
  if (op & ZS_HDR_REQ)
    return (op & ~(ZS_HDR_OP_MASK | ZS_HDR_REQ)) == 0 && kind <= ZS_HDR_DELETE;
  if ((op & ~(ZS_HDR_OP_MASK | ZS_HDR_UP | ZS_HDR_DOWN | ZS_HDR_DEFERRED | ZS_HDR_REQUIRED |
              ((unsigned long long)ZS_HDR_MAX_INDEX << ZS_HDR_INDEX_SHIFT))) ||
      kind > ZS_HDR_REQUIRE_STATUS || target == (ZS_HDR_UP | ZS_HDR_DOWN) || (target && (op & ZS_HDR_DEFERRED)))
    return 0;
  /* conditions and the ops they guard are the response's, deferred; a condition guards nothing itself */
  int cond = kind >= ZS_HDR_REQUIRE_ABSENT;
  if ((cond || (op & ZS_HDR_REQUIRED)) && (target || !(op & ZS_HDR_DEFERRED)))
    return 0;
  if (cond && (op & ZS_HDR_REQUIRED))
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
  if (op & ZS_HDR_REQ) {
    int rc = request_headers_apply(st, (enum zs_header_op)(op & ZS_HDR_OP_MASK), helper_guest(st, ptr), n,
                                   st->value, value_len);
    return rc < 0 ? HELPER_ERR(-rc) : 0;
  }
  if (dec->op_count >= EXEC_MAX_HEADER_OPS)
    return HELPER_ERR(ENOSPC);
  struct exec_header_op *o = &dec->ops[dec->op_count];
  o->name = helper_store(dec, helper_guest(st, ptr), n);
  o->value = helper_store(dec, st->value, value_len);
  if (!o->name || !o->value)
    return HELPER_ERR(ENOSPC);
  o->op = (enum zs_header_op)(op & ZS_HDR_OP_MASK);
  o->target = (unsigned)(op & (ZS_HDR_UP | ZS_HDR_DOWN));
  o->deferred = (op & ZS_HDR_DEFERRED) != 0;
  o->required = (op & ZS_HDR_REQUIRED) != 0;
  o->dropped = 0;
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

/* Caddy's CleanPath: dot segments resolved, a trailing slash kept, and
 * consecutive slashes merged unless merge_slashes is 0 (then empty segments
 * survive: they are marked with a byte no URI holds while cleaning, as Caddy
 * does). out needs 2 * HELPER_PATH_MAX + 2 bytes. */
static long helper_clean(const char *path, size_t n, int merge_slashes, char *out)
{
  char marked[2 * HELPER_PATH_MAX];
  size_t m = 0;
  if (n > HELPER_PATH_MAX)
    return -E2BIG;
  for (size_t i = 0; i < n; i++) {
    marked[m++] = path[i];
    if (!merge_slashes && path[i] == '/' && i + 1 < n && path[i + 1] == '/')
      marked[m++] = '\x01';
  }
  out[0] = '/';
  int c = files_clean_path(marked, m, out + 1, 2 * HELPER_PATH_MAX + 1);
  if (c < 0)
    return c;
  size_t len = 0;
  for (int i = 0; i < c + 1; i++)
    if (out[i] != '\x01')
      out[len++] = out[i];
  return (long)len;
}

/* the escaped path cleaned, as strip_path_prefix first does */
static int helper_clean_path(struct helper_state *st, int merge_slashes)
{
  char clean[2 * HELPER_PATH_MAX + 2];
  long len = helper_clean(st->path_raw, st->path_raw_len, merge_slashes, clean);
  if (len < 0)
    return (int)len;
  if ((size_t)len == st->path_raw_len && memcmp(clean, st->path_raw, (size_t)len) == 0)
    return 0;
  return exec_path_replace(st, clean, (size_t)len);
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

/* the longest URI part a rewrite builds: a build buffer, each byte escaped */
#define HELPER_URI_MAX (3 * EXEC_MAX_VALUE)

static unsigned long long helper_buf_var_escaped(struct zs_native_ctx *ctx, unsigned long long slot,
                                                 unsigned long long id, unsigned long long how,
                                                 unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  char *buf, scratch[EXEC_MAX_VALUE];
  size_t *len, cap;
  if ((how != ZS_ESC_QUERY && how != ZS_ESC_PATH && how != ZS_ESC_KNOWN) ||
      helper_slot(st, slot, &buf, &len, &cap) < 0)
    return HELPER_ERR(EINVAL);
  if (how == ZS_ESC_KNOWN) {
    static const char user_ph[] = "{http.auth.user.id}";
    helper_charge(ctx, sizeof user_ph);
    if (id != ZS_VAR_auth_user_id)
      return HELPER_ERR(EINVAL);
    if (st->dec->user_id)
      return helper_put(buf, cap, len, st->dec->user_id, st->dec->user_id_len) < 0 ? HELPER_ERR(ENOSPC) : 0;
    return helper_put(buf, cap, len, user_ph, sizeof user_ph - 1) < 0 ? HELPER_ERR(ENOSPC) : 0;
  }
  long n = helper_var_value(st, (unsigned)id, scratch, sizeof scratch);
  helper_charge(ctx, n > 0 ? 3 * (uint64_t)n : 0);
  if (n < 0)
    return (unsigned long long)(long long)n;
  long e = how == ZS_ESC_QUERY ? rewrite_query_escape(scratch, (size_t)n, buf + *len, cap - *len)
                               : rewrite_segments_escape(scratch, (size_t)n, buf + *len, cap - *len);
  if (e < 0)
    return HELPER_ERR(ENOSPC);
  *len += (size_t)e;
  return 0;
}

/* A decoded path set as Caddy's rewrite sets URL.Path with RawPath empty:
 * the escaped path becomes Go's escaping of it. */
static int helper_path_set_decoded(struct helper_state *st, const char *path, size_t n)
{
  char raw[HELPER_URI_MAX];
  long r = rewrite_path_escape(path, n, raw, sizeof raw);
  if (r < 0)
    return (int)r;
  return exec_path_replace(st, r > 0 ? raw : "/", r > 0 ? (size_t)r : 1);
}

/* uri's new path: what follows a '#' is dropped, a '?' brings in a query
 * (which an explicit one in the uri outranks); *query, *query_len get it */
static int helper_uri_path(struct helper_state *st, unsigned flags, char *query, size_t *query_len, int *has_query)
{
  char path[EXEC_MAX_VALUE];
  size_t n = st->value_len;
  const char *hash = memchr(st->value, '#', n), *q;
  n = hash ? (size_t)(hash - st->value) : n;
  if ((q = memchr(st->value, '?', n))) {
    size_t at = (size_t)(q - st->value) + 1;
    if (!(flags & ZS_URI_KEEP_QUERY)) {
      char marked[HELPER_URI_MAX];
      long m = rewrite_query_mark(st->value + at, n - at, marked, sizeof marked);
      if (m < 0)
        return (int)m;
      *query_len = rewrite_query_join(marked, (size_t)m, query);
      *has_query = 1;
    }
    n = at - 1;
  }
  long p = rewrite_path_unescape(st->value, n, path);
  if (p < 0)   /* Go keeps a path it cannot unescape as it is */
    return helper_path_set_decoded(st, st->value, n);
  return helper_path_set_decoded(st, path, (size_t)p);
}

static unsigned long long helper_uri_set(struct zs_native_ctx *ctx, unsigned long long flags,
                                         unsigned long long r2, unsigned long long r3,
                                         unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  char query[HELPER_URI_MAX];
  size_t query_len = 0;
  int has_query = 0, rc = 0;
  helper_charge(ctx, 4 * (st->value_len + st->dec->body_len));
  if ((flags & ZS_URI_QUERY) && st->dec->body_len <= sizeof query) {
    query_len = rewrite_query_join(st->dec->body, st->dec->body_len, query);
    has_query = 1;
  } else if (flags & ZS_URI_QUERY) {
    rc = -ENOSPC;
  }
  if (rc == 0 && (flags & ZS_URI_PATH))
    rc = helper_uri_path(st, (unsigned)flags, query, &query_len, &has_query);
  if (rc == 0 && has_query && (rc = exec_query_replace(st, query, query_len)) == 0) {
    st->dec->query = st->query;   /* what an upstream is sent (reverse_proxy rewrite) */
    st->dec->query_len = st->query_len;
    st->dec->query_set = 1;
  }
  st->value_len = 0;
  st->dec->body_len = 0;
  return rc < 0 ? HELPER_ERR(-rc) : 0;
}

static unsigned long long helper_path_strip_suffix(struct zs_native_ctx *ctx, unsigned long long ptr,
                                                   unsigned long long n, unsigned long long r3,
                                                   unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n + 4 * st->path_raw_len);
  if (!cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  const char *suffix = helper_guest(st, ptr);
  if (helper_clean_path(st, memmem(suffix, n, "//", 2) == NULL) < 0)
    return HELPER_ERR(E2BIG);
  long keep = rewrite_suffix_match(st->path_raw, st->path_raw_len, suffix, n);
  if (keep < 0)
    return 0;   /* no such suffix: the path stays as it is, as in Caddy */
  /* Caddy anchors what is left at "/" and cleans it again */
  char clean[2 * HELPER_PATH_MAX + 2];
  long len = helper_clean(st->path_raw, (size_t)keep, 0, clean);
  if (len < 0 || exec_path_replace(st, clean, (size_t)len) < 0)
    return HELPER_ERR(E2BIG);
  return 1;
}

/* uri replace: Caddy's changePath over the cleaned escaped path (the decoded
 * one when the result does not unescape), then the raw query */
static unsigned long long helper_uri_replace(struct zs_native_ctx *ctx, unsigned long long ptr,
                                             unsigned long long n, unsigned long long limit,
                                             unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  size_t with_len = st->value_len;
  st->value_len = 0;
  helper_charge(ctx, n + 4 * (st->path_raw_len + st->query_len) + with_len);
  if (n == 0 || !cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  const char *find = helper_guest(st, ptr);
  int merge = memmem(find, n, "//", 2) == NULL;
  char clean[2 * HELPER_PATH_MAX + 2], out[HELPER_URI_MAX];
  long c = helper_clean(st->path_raw, st->path_raw_len, merge, clean), r, rc = 0;
  if (c < 0 || (r = rewrite_replace(clean, (size_t)c, find, n, st->value, with_len, (long long)limit, out,
                                    sizeof out)) < 0)
    return HELPER_ERR(E2BIG);
  if (r == 0 || (rc = exec_path_replace(st, out, (size_t)r)) == -EINVAL) {
    c = helper_clean(st->dec->path, st->dec->path_len, merge, clean);
    if (c < 0 || (r = rewrite_replace(clean, (size_t)c, find, n, st->value, with_len, (long long)limit, out,
                                      sizeof out)) < 0)
      return HELPER_ERR(E2BIG);
    rc = helper_path_set_decoded(st, out, (size_t)r);
  }
  if (rc < 0)
    return HELPER_ERR(-rc);
  if (!memmem(st->query, st->query_len, find, n))
    return 0;
  r = rewrite_replace(st->query, st->query_len, find, n, st->value, with_len, (long long)limit, out, sizeof out);
  rc = r < 0 ? r : exec_query_replace(st, out, (size_t)r);
  return rc < 0 ? HELPER_ERR(-rc) : 0;
}

/* a file matcher's stat is a syscall: what it costs in polls */
#define HELPER_STAT_POLLS 64

static unsigned long long helper_file_begin(struct zs_native_ctx *ctx, unsigned long long policy,
                                            unsigned long long ptr, unsigned long long n,
                                            unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  size_t root_len = st->dec->body_len;
  st->dec->body_len = 0;
  st->file.active = 0;
  helper_charge(ctx, n + root_len);
  if (policy > ZS_FILE_FIRST_EXIST_FALLBACK || !cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EINVAL);
  int rc = file_match_begin(&st->file, (unsigned)policy, st->dec->body, root_len, helper_guest(st, ptr), n);
  return rc < 0 ? HELPER_ERR(-rc) : 0;
}

static unsigned long long helper_file_try(struct zs_native_ctx *ctx, unsigned long long flags,
                                          unsigned long long r2, unsigned long long r3,
                                          unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  size_t n = st->value_len;
  st->value_len = 0;
  helper_charge(ctx, HELPER_STAT_POLLS * HELPER_BYTES_PER_POLL + 4 * n);
  int rc = file_match_try(&st->file, st->value, n, (unsigned)flags);
  return rc < 0 ? HELPER_ERR(-rc) : 0;
}

/* the placeholders of the picked candidate, kept for the rest of the request */
static unsigned long long helper_file_end(struct zs_native_ctx *ctx, unsigned long long r1,
                                          unsigned long long r2, unsigned long long r3,
                                          unsigned long long r4, unsigned long long r5)
{
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  struct file_match *m = &st->file;
  int found = m->active && m->found;
  m->active = 0;
  helper_charge(ctx, found ? 2 * m->full_len + m->rest_len : 0);
  if (!found)
    return 0;
  size_t rel_len;
  const char *rel = file_match_relative(m, &rel_len);
  const char *type = m->dir ? "directory" : "file";
  const char *parts[4] = {rel, m->full, type, m->rest};
  size_t lens[4] = {rel_len, m->full_len, strlen(type), m->rest_len};
  for (int i = 0; i < 4; i++) {
    char *p = helper_store(st->dec, parts[i], lens[i]);
    if (!p && lens[i] > 0)
      return HELPER_ERR(ENOSPC);
    st->dec->file_vars[i] = p;
    st->dec->file_var_len[i] = lens[i];
  }
  return 1;
}

/* remote_ip: the peer's address (an IPv4-mapped one as IPv4, as Go's net
 * package gives it, a zone dropped) against prefixes; netip's Contains never
 * crosses families */
int helper_ip_in(const char *text, const unsigned char *ranges, size_t len)
{
  unsigned char ip[16];
  char addr[64];
  size_t n = strcspn(text, "%");
  int family = 0;
  if (n >= sizeof addr)
    return 0;
  memcpy(addr, text, n);
  addr[n] = '\0';
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (inet_pton(AF_INET, addr, ip) == 1) {
    family = 4;
  } else if (inet_pton(AF_INET6, addr, ip) == 1) {
    family = memcmp(ip, mapped, 12) == 0 ? 4 : 6;
    if (family == 4)
      memmove(ip, ip + 12, 4);
  }
  for (size_t at = 0; family && at + ZS_IP_RANGE_SIZE <= len; at += ZS_IP_RANGE_SIZE) {
    const unsigned char *r = ranges + at;
    unsigned bits = r[1], full = bits / 8, rest = bits % 8;
    if (r[0] != family || bits > (family == 4 ? 32u : 128u) || memcmp(ip, r + 2, full) != 0)
      continue;
    if (rest == 0 || ((ip[full] ^ r[2 + full]) & (0xff00 >> rest) & 0xff) == 0)
      return 1;
  }
  return 0;
}

static unsigned long long helper_ip_match(struct zs_native_ctx *ctx, unsigned long long ptr,
                                          unsigned long long n, unsigned long long r3,
                                          unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n);
  if (!cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  return (unsigned long long)helper_ip_in(st->conn->remote_ip, (const unsigned char *)helper_guest(st, ptr), n);
}

static unsigned long long helper_query_match(struct zs_native_ctx *ctx, unsigned long long ptr,
                                             unsigned long long n, unsigned long long r3,
                                             unsigned long long r4, unsigned long long r5)
{
  (void)r3, (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n + (2 + n / 4) * st->query_len);   /* the query is read once per key */
  if (!cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  int r = query_match(st->query, st->query_len, (const unsigned char *)helper_guest(st, ptr), n);
  return r < 0 ? HELPER_ERR(-r) : (unsigned long long)r;
}

/* the record is checked against the blob's table once the program returns */
static unsigned long long helper_encode(struct zs_native_ctx *ctx, unsigned long long id,
                                        unsigned long long r2, unsigned long long r3,
                                        unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  helper_charge(ctx, 0);
  if (id >= 0xffffff)
    return HELPER_ERR(EINVAL);
  helper_state_of(ctx)->dec->encode = (unsigned)id + 1;
  return 0;
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
  int user = id >= ZS_VAR_USER_FIRST && id < ZS_VAR_USER_FIRST + ZS_VAR_USER_COUNT;
  int proxy = id == ZS_VAR_upstream_method || id == ZS_VAR_upstream_no_body;
  if ((id != ZS_VAR_root && id != ZS_VAR_log_skip && !user && !proxy) || helper_slot(st, slot, &buf, &len, &cap) < 0)
    return HELPER_ERR(EINVAL);
  if (proxy) {
    helper_charge(ctx, 2 * (*len + st->path_raw_len + st->query_len));
    int rc = helper_proxy_var_set(st, (unsigned)id, buf, len);
    return rc < 0 ? HELPER_ERR(-rc) : 0;
  }
  if (id == ZS_VAR_log_skip) {   /* Caddy sets it true; its value is not read */
    st->dec->log_skip = 1;
    *len = 0;
    return 0;
  }
  helper_charge(ctx, *len);
  if (user) {
    const char *v = helper_store(st->dec, buf, *len);
    if (!v && *len > 0)
      return HELPER_ERR(ENOSPC);
    st->dec->user_vars[id - ZS_VAR_USER_FIRST] = v;
    st->dec->user_var_len[id - ZS_VAR_USER_FIRST] = *len;
    *len = 0;
    return 0;
  }
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

/* nested request_body handlers each wrap the body: the smallest limit holds */
static unsigned long long helper_body_limit(struct zs_native_ctx *ctx, unsigned long long n,
                                            unsigned long long r2, unsigned long long r3,
                                            unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  helper_charge(ctx, 0);
  struct exec_decision *dec = helper_state_of(ctx)->dec;
  if (n == 0 || n > INT64_MAX)
    return HELPER_ERR(EINVAL);
  if (dec->max_body == 0 || (int64_t)n < dec->max_body)
    dec->max_body = (int64_t)n;
  return 0;
}

/* path_regexp (len 0: the cleaned path) or header_regexp (each value of the
 * field whose lowercased name is at ptr, the first that matches) */
static unsigned long long helper_regex_match(struct zs_native_ctx *ctx, unsigned long long id,
                                            unsigned long long ptr, unsigned long long n,
                                            unsigned long long r4, unsigned long long r5)
{
  (void)r4, (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  helper_charge(ctx, n);
  if (n == 0) {
    char clean[EXEC_MAX_VALUE];
    long len = regex_clean_path(st->dec->path, st->dec->path_len, clean, sizeof clean);
    if (len < 0)
      return HELPER_ERR(ENOSPC);
    helper_charge(ctx, (uint64_t)len);
    long rc = regex_match(st->cage->regexes, (unsigned)id, clean, (size_t)len, st->dec);
    return (unsigned long long)rc;
  }
  if (!cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  const char *name = helper_guest(st, ptr);
  for (size_t i = 0; i < st->req->header_count; i++) {
    const struct http_header *h = &st->req->headers[i];
    if (h->name_len != n || strncasecmp(h->name, name, n) != 0)
      continue;
    helper_charge(ctx, h->value_len);
    long rc = regex_match(st->cage->regexes, (unsigned)id, h->value, h->value_len, st->dec);
    if (rc != 0)
      return (unsigned long long)rc;
  }
  return 0;
}

/* {http.regexp.NAME.GROUP}: the kept capture, or the unset text */
static unsigned long long helper_buf_capture(struct zs_native_ctx *ctx, unsigned long long slot,
                                            unsigned long long key, unsigned long long ptr,
                                            unsigned long long n, unsigned long long r5)
{
  (void)r5;
  struct helper_state *st = helper_state_of(ctx);
  const struct exec_capture *c = regex_capture(st->dec, (unsigned)key);
  helper_charge(ctx, c ? c->len : n);
  if (c)
    return helper_slot_append(st, slot, c->text, c->len);
  if (!cage_readable(st->cage, ptr, n))
    return HELPER_ERR(EFAULT);
  return helper_slot_append(st, slot, helper_guest(st, ptr), n);
}

/* every slot traps as an unknown helper unless helpers.def gives it one (the
 * ids have gaps: the generated code's from 1, ebpf programs' from 60) */
#pragma GCC diagnostic push
#ifdef __clang__
#pragma GCC diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
const zs_helper_fn helper_table[ZS_HELPER_COUNT] = {
  [0 ... ZS_HELPER_COUNT - 1] = helper_unknown,
#define ZS_HELPER(id, name, args, doc) [id] = helper_##name,
#include "../abi/helpers.def"
#undef ZS_HELPER
};
#pragma GCC diagnostic pop
