/* Running one request through the blob: lays out the request view (abi/request.h)
 * in the cage's request region, calls the server's entry with the helpers
 * pointed at this request's decision, and reads the action from r0.
 * The view is written through req_host; the program only ever sees it read-only. */
#include "exec.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../abi/cage.h"
#include "../abi/request.h"
#include "auth.h"
#include "cage.h"
#include "helpers.h"
#include "loader.h"
#include "regex.h"
#include "response.h"
#include "rewrite.h"
#include "http01.h"
#include "request_headers.h"

/* the request region being filled: bytes used so far */
struct exec_view {
  uint8_t *host;
  uint32_t used;
};

static int exec_lower(int ch)
{
  return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* reserves n bytes (4-aligned start) in the view; the guest offset, or 0 */
static uint32_t exec_view_alloc(struct exec_view *v, size_t n)
{
  uint32_t at = (v->used + 3u) & ~3u;
  if (n > ZS_CAGE_REQ_SIZE || at > ZS_CAGE_REQ_SIZE - n)
    return 0;
  v->used = at + (uint32_t)n;
  return ZS_CAGE_REQ_OFF + at;
}

static char *exec_view_ptr(struct exec_view *v, uint32_t guest)
{
  return (char *)v->host + (guest - ZS_CAGE_REQ_OFF);
}

/* copies bytes into the view, lowercased when asked */
static int exec_view_put(struct exec_view *v, const char *s, size_t n, int lower, struct zs_str *out)
{
  uint32_t at = exec_view_alloc(v, n);
  if (at == 0)
    return -E2BIG;
  char *dst = exec_view_ptr(v, at);
  for (size_t i = 0; i < n; i++)
    dst[i] = lower ? (char)exec_lower((unsigned char)s[i]) : s[i];
  out->ptr = at;
  out->len = (uint32_t)n;
  return 0;
}

/* Go's path unescaping: every '%' must start a two-digit hex escape, or the
 * request is bad (Go's server answers 400 before Caddy sees it) */
static int exec_view_decode(struct exec_view *v, const char *s, size_t n, struct zs_str *out)
{
  uint32_t at = exec_view_alloc(v, n);
  if (at == 0)
    return -E2BIG;
  long len = rewrite_path_unescape(s, n, exec_view_ptr(v, at));
  if (len < 0)
    return (int)len;
  out->ptr = at;
  out->len = (uint32_t)len;
  return 0;
}

static int exec_starts_with_ci(const char *s, size_t n, const char *prefix)
{
  size_t k = strlen(prefix);
  if (n < k)
    return 0;
  for (size_t i = 0; i < k; i++)
    if (exec_lower((unsigned char)s[i]) != prefix[i])
      return 0;
  return 1;
}

/* Splits the request target into path and query, as Go's url.ParseRequestURI
 * does for the forms HTTP/1.1 allows; the parser found where an absolute-form
 * target's authority ends (req->origin_at). An empty path is "/", as Go sends it. */
static int exec_split_target(struct helper_state *st)
{
  const char *t = st->req->target + st->req->origin_at;
  size_t n = st->req->target_len - st->req->origin_at;
  if (st->req->origin_at == 0 && (n == 0 || (t[0] != '/' && !(n == 1 && t[0] == '*'))))
    return -EINVAL;
  const char *q = memchr(t, '?', n);
  st->path_raw = t;
  st->path_raw_len = q ? (size_t)(q - t) : n;
  if (st->path_raw_len == 0) {
    st->path_raw = "/";
    st->path_raw_len = 1;
  }
  st->query = q ? q + 1 : "";
  st->query_len = q ? (size_t)(t + n - q) - 1 : 0;
  st->orig_uri = t;
  st->orig_uri_len = n;
  return 0;
}

/* the Host the parser chose: an absolute-form authority over the field (RFC
 * 9112 3.2.2), so matchers, placeholders and the proxy see one host */
static int exec_pick_host(struct helper_state *st)
{
  if (st->req->host) {
    st->hostport = st->req->host;
    st->hostport_len = st->req->host_len;
  } else if (st->req->version_minor >= 1) {
    return -EINVAL;   /* HTTP/1.1 requires Host (Go answers 400) */
  } else {
    st->hostport = "";
    st->hostport_len = 0;
  }
  return 0;
}

/* the view's host: lowercased, without the port, IPv6 literals without brackets */
static int exec_view_host(struct exec_view *v, const struct helper_state *st, struct zs_str *out)
{
  const char *h = st->hostport;
  size_t n = st->hostport_len;
  if (n > 0 && h[0] == '[') {
    const char *end = memchr(h, ']', n);
    return exec_view_put(v, h + 1, end ? (size_t)(end - h) - 1 : n - 1, 1, out);
  }
  const char *colon = memchr(h, ':', n);
  if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - h) - 1))
    n = (size_t)(colon - h);
  return exec_view_put(v, h, n, 1, out);
}

/* the header fields as sent, but Host is the request's Host: an absolute-form
 * target's authority replaces the field for header matchers too */
static int exec_view_headers(struct exec_view *v, const struct helper_state *st, struct zs_req *view)
{
  const struct http_request *req = st->req;
  uint32_t at = exec_view_alloc(v, req->header_count * sizeof(struct zs_req_header));
  if (at == 0 && req->header_count > 0)
    return -E2BIG;
  struct zs_req_header *hdrs = (struct zs_req_header *)exec_view_ptr(v, at);
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    struct zs_req_header out;
    int host = h->name_len == 4 && exec_starts_with_ci(h->name, 4, "host");
    if (exec_view_put(v, h->name, h->name_len, 0, &out.name) < 0 ||
        exec_view_put(v, h->name, h->name_len, 1, &out.name_lc) < 0 ||
        exec_view_put(v, host ? st->hostport : h->value, host ? st->hostport_len : h->value_len,
                      0, &out.value) < 0)
      return -E2BIG;
    memcpy(&hdrs[i], &out, sizeof out);
  }
  view->header_count = (uint32_t)req->header_count;
  view->headers = at;
  return 0;
}

static int exec_view_build(struct helper_state *st, struct exec_view *v, unsigned server)
{
  struct zs_req view = { .abi_version = ZS_ABI_VERSION, .server = server };
  int rc = exec_split_target(st);
  if (rc == 0)
    rc = exec_pick_host(st);
  if (rc < 0)
    return rc;
  v->used = sizeof(struct zs_req);
  view.port = st->conn->local_port;
  view.tls = st->conn->tls ? 1 : 0;
  if ((rc = exec_view_put(v, st->req->method, st->req->method_len, 0, &view.method)) < 0 ||
      (rc = exec_view_decode(v, st->path_raw, st->path_raw_len, &view.path)) < 0 ||
      (rc = exec_view_put(v, exec_view_ptr(v, view.path.ptr), view.path.len, 1, &view.path_lc)) < 0 ||
      (rc = exec_view_put(v, st->path_raw, st->path_raw_len, 0, &view.path_raw)) < 0 ||
      (rc = exec_view_put(v, st->query, st->query_len, 0, &view.query)) < 0 ||
      (rc = exec_view_host(v, st, &view.host)) < 0 ||
      (rc = exec_view_headers(v, st, &view)) < 0)
    return rc;
  memcpy(v->host, &view, sizeof view);
  st->dec->path = exec_view_ptr(v, view.path.ptr);
  st->dec->path_len = view.path.len;
  st->dec->orig_path = st->dec->path;
  st->dec->orig_path_len = st->dec->path_len;
  return 0;
}

int exec_path_replace(struct helper_state *st, const char *raw, size_t raw_len)
{
  struct exec_view v = { .host = st->cage->req_host, .used = st->view_used };
  struct zs_req *view = (struct zs_req *)v.host;
  struct zs_str path, path_lc, path_raw;
  int rc;
  if ((rc = exec_view_decode(&v, raw, raw_len, &path)) < 0 ||
      (rc = exec_view_put(&v, exec_view_ptr(&v, path.ptr), path.len, 1, &path_lc)) < 0 ||
      (rc = exec_view_put(&v, raw, raw_len, 0, &path_raw)) < 0)
    return rc;
  view->path = path;
  view->path_lc = path_lc;
  view->path_raw = path_raw;
  st->view_used = v.used;
  st->path_raw = exec_view_ptr(&v, path_raw.ptr);
  st->path_raw_len = path_raw.len;
  st->dec->path = exec_view_ptr(&v, path.ptr);
  st->dec->path_len = path.len;
  return 0;
}

/* the request's header fields were edited (request_headers.c): the view's
 * header list is laid out again, the old one left unread behind it */
int exec_headers_replace(struct helper_state *st)
{
  struct exec_view v = { .host = st->cage->req_host, .used = st->view_used };
  int rc = exec_view_headers(&v, st, (struct zs_req *)v.host);
  if (rc == 0)
    st->view_used = v.used;
  return rc;
}

int exec_query_replace(struct helper_state *st, const char *query, size_t len)
{
  struct exec_view v = { .host = st->cage->req_host, .used = st->view_used };
  struct zs_str q;
  int rc = exec_view_put(&v, query, len, 0, &q);
  if (rc < 0)
    return rc;
  ((struct zs_req *)v.host)->query = q;
  st->view_used = v.used;
  st->query = exec_view_ptr(&v, q.ptr);
  st->query_len = len;
  return 0;
}

static void exec_decision_reset(struct exec_decision *dec)
{
  dec->action = ZS_ACT_NEXT;
  dec->action_id = 0;
  dec->status = 0;
  dec->trapped = 0;
  dec->trap_code = 0;
  dec->op_count = 0;
  dec->body = dec->storage;
  dec->body_len = 0;
  dec->path = NULL;
  dec->path_len = 0;
  dec->orig_path = NULL;
  dec->orig_path_len = 0;
  dec->root = NULL;
  dec->root_len = 0;
  dec->max_body = 0;
  dec->user_id = NULL;
  dec->user_id_len = 0;
  dec->upstream_method = dec->uri_before = dec->query = NULL;
  dec->upstream_method_len = dec->uri_before_len = dec->query_len = 0;
  dec->upstream_no_body = dec->query_set = 0;
  for (unsigned i = 0; i < ZS_VAR_USER_COUNT; i++)
    dec->user_vars[i] = NULL, dec->user_var_len[i] = 0;
  dec->log_skip = 0;
  memset(dec->file_vars, 0, sizeof dec->file_vars);
  memset(dec->file_var_len, 0, sizeof dec->file_var_len);
  dec->error_status = 0;
  dec->error_message = NULL;
  dec->error_message_len = 0;
  dec->error_id[0] = '\0';
  dec->capture_count = 0;
  dec->encode = 0;
  dec->storage_used = EXEC_MAX_BODY;
}

/* r0 names an action and a record of the blob's config; anything else is
 * treated like a trap (the program is broken, the request gets a 500) */
static void exec_take_action(const struct blob *blob, uint64_t r0, struct exec_decision *dec)
{
  unsigned kind = ZS_ACTION_KIND(r0), id = ZS_ACTION_ID(r0);
  const struct zs_config_header *c = blob->config;
  int valid = (kind == ZS_ACT_NEXT || kind == ZS_ACT_RESPOND || kind == ZS_ACT_RESPOND_CLOSE ||
               kind == ZS_ACT_ABORT || kind == ZS_ACT_ERROR ||
               kind == ZS_ACT_AUTH_WAIT) ||
              (kind == ZS_ACT_FILE && id < c->file_server_count) ||
              (kind == ZS_ACT_PROXY && id < c->proxy_count);
  if (!valid || (r0 >> 32) != 0 || dec->encode > c->encoder_count) {
    dec->trapped = 1;
    return;
  }
  dec->action = (enum zs_action_kind)kind;
  dec->action_id = id;
}

/* the deepest stack any entry of the blob uses, as the verifier proved it */
static uint32_t exec_stack_reach(const struct blob *blob)
{
  uint32_t reach = ZS_MAX_FRAME_STACK;
  for (size_t i = 0; i < blob->entry_count; i++)
    if (blob->entries[i].stack_size > reach)
      reach = blob->entries[i].stack_size;
  return reach;
}

/* the stack below the blob's deepest frame is PROT_NONE: a program cannot
 * leave anything where the per-call clearing would not reach it */
static int exec_limit_stack(struct cage *cage, const struct blob *blob)
{
  if (cage->stack_owner == blob)
    return 0;
  int rc = cage_set_stack_reach(cage, exec_stack_reach(blob));
  if (rc == 0)
    cage->stack_owner = blob;
  return rc;
}

uint64_t exec_clock_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int exec_cage_create(struct cage *cage, const struct blob *blob)
{
  int rc = cage_create(cage, blob->rodata, blob->rodata_size, helper_table, ZS_HELPER_COUNT, NULL);
  if (rc < 0)
    return rc;
  cage_set_code(cage, blob->code, blob->code_size);
  rc = regex_set_create(blob, &cage->regexes);
  if (rc < 0)
    cage_destroy(cage);
  return rc;
}

void exec_cage_destroy(struct cage *cage)
{
  regex_set_destroy(cage->regexes);
  cage->regexes = NULL;
  cage_destroy(cage);
}

/* Caddy's strict_sni_host: on TLS, the Host (without its port) must be the
 * server name the client sent, case-insensitively */
static int exec_sni_host_differs(struct exec_view *v, const struct conn_info *conn)
{
  const struct zs_req *view = (const struct zs_req *)v->host;
  const char *host = exec_view_ptr(v, view->host.ptr);
  size_t len = strlen(conn->tls_sni);
  return len != view->host.len || strncasecmp(host, conn->tls_sni, len) != 0;
}

/* the helper state of one invocation; field by field: a zero initializer
 * would clear the 16 KiB value buffer */
static void exec_state_init(struct helper_state *st, struct cage *cage, struct exec_decision *dec,
                            const struct http_request *req, const struct conn_info *conn)
{
  st->cage = cage;
  st->dec = dec;
  st->req = req;
  st->conn = conn;
  st->value_len = 0;
  st->file.active = 0;
  st->auth = NULL;
  st->deadline_ms = exec_clock_ms() + EXEC_WALL_MS;
}

/* the view of the request as it was sent: all zeros but for this request's
 * bytes, so nothing of an earlier one (a cookie) is there to read past its end */
static int exec_view_fresh(struct helper_state *st, struct cage *cage, unsigned server)
{
  struct exec_view view = { .host = cage->req_host };
  memset(cage->req_host, 0, cage->req_dirty);
  int rc = exec_view_build(st, &view, server);
  cage->req_dirty = view.used;
  st->view_used = view.used;
  return rc;
}

/* calls an entry; the action, or a trap, into the decision */
static void exec_run(const struct blob *blob, struct cage *cage, unsigned server, const struct zs_entry *e,
                     struct helper_state *st)
{
  cage_set_code(cage, blob->code, blob->code_size);
  cage->ctx.helpers = helper_table;
  cage->ctx.helper_count = ZS_HELPER_COUNT;
  cage->ctx.host = st;
  cage->server = server;
  uint64_t r0;
  unsigned trap = cage_call(cage, (zs_entry_fn)(void *)(blob->code + e->code_offset),
                            ZS_CAGE_REQ_OFF, e->stack_size, &r0);
  cage->ctx.host = NULL;
  cage->req_dirty = st->view_used;   /* path rewrites wrote past the first view */
  st->dec->trapped = trap != 0;
  st->dec->trap_code = trap;
  if (!trap)
    exec_take_action(blob, r0, st->dec);
}

int exec_request(const struct blob *blob, struct cage *cage, unsigned server,
                 struct http_request *req, const struct conn_info *conn,
                 struct exec_decision *out)
{
  return exec_request_auth(blob, cage, server, req, conn, out, NULL);
}

int exec_request_auth(const struct blob *blob, struct cage *cage, unsigned server,
                      struct http_request *req, const struct conn_info *conn,
                      struct exec_decision *out, struct exec_auth *auth)
{
  if (server >= blob->config->server_count)
    return -ENOENT;
  struct helper_state st;
  exec_state_init(&st, cage, out, req, conn);
  st.auth = auth;
  if (auth)
    auth->has_pending = 0;
  exec_decision_reset(out);
  int rc = exec_limit_stack(cage, blob);
  if (rc == 0)
    rc = exec_view_fresh(&st, cage, server);
  if (rc < 0)
    return rc;
  struct exec_view view = { .host = cage->req_host, .used = st.view_used };
  if ((blob->servers[server].flags & ZS_SERVER_STRICT_SNI) && conn->tls && exec_sni_host_differs(&view, conn)) {
    out->action = ZS_ACT_RESPOND_CLOSE;   /* 421 Misdirected Request, and r.Close as Caddy sets it */
    out->status = 421;
    return 0;
  }
  if (http01_answer(blob, req, out))
    return 0;
  exec_run(blob, cage, server, &blob->entries[blob->servers[server].entry], &st);
  if (out->action != ZS_ACT_AUTH_WAIT)   /* a run again starts from the request as sent */
    request_headers_commit(&st, req);
  return 0;
}

static const struct zs_entry *exec_errors_entry(const struct blob *blob, unsigned server)
{
  for (size_t i = 0; i < blob->entry_count; i++)
    if (blob->entries[i].kind == ZS_ENTRY_ERRORS && blob->entries[i].server == server)
      return &blob->entries[i];
  return NULL;
}

/* Caddy's randString(9, true): lower-case letters (no l) and digits; an
 * identifier for logs, not a secret */
static void exec_error_id(struct exec_decision *dec)
{
  static const char dict[] = "abcdefghijkmnopqrstuvwxyz0123456789";
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)dec;
  for (int i = 0; i < 9; i++) {
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    dec->error_id[i] = dict[x % (sizeof dict - 1)];
  }
  dec->error_id[9] = '\0';
}

/* the error's message into storage (it may be the body, which is reset) */
static void exec_error_set(struct exec_decision *dec, int status, const char *msg, size_t len)
{
  if (!msg) {
    msg = response_status_text(status);
    len = strlen(msg);
  }
  if (len > sizeof dec->storage - dec->storage_used)
    len = sizeof dec->storage - dec->storage_used;
  char *p = dec->storage + dec->storage_used;
  memmove(p, msg, len);
  dec->storage_used += len;
  dec->error_status = status;
  dec->error_message = p;
  dec->error_message_len = len;
  exec_error_id(dec);
}

int exec_error(const struct blob *blob, struct cage *cage, unsigned server, const struct http_request *req,
               const struct conn_info *conn, struct exec_decision *dec, int status, const char *msg,
               size_t msg_len)
{
  const struct zs_entry *e = server < blob->config->server_count ? exec_errors_entry(blob, server) : NULL;
  if (!e)
    return -ENOENT;
  exec_error_set(dec, status, msg, msg_len);
  for (size_t i = 0; i < dec->op_count; i++)
    dec->ops[i].dropped |= dec->ops[i].deferred;
  dec->action = ZS_ACT_NEXT;
  dec->action_id = 0;
  dec->status = 0;
  dec->body = dec->storage;
  dec->body_len = 0;
  struct helper_state st;
  exec_state_init(&st, cage, dec, req, conn);
  int rc = exec_view_fresh(&st, cage, server);
  if (rc < 0)
    return rc;
  exec_run(blob, cage, server, e, &st);
  return 0;
}
