/* Helper tests, calling the helper table directly: every (ptr, len) outside
 * the readable or writable regions is refused, results land in the decision,
 * request variables are computed as Caddy's placeholders are, and the
 * prefix strip follows Caddy's strip_path_prefix. */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include "abi/cage.h"
#include "abi/request.h"
#include "../check.h"
#include "runtime/cage.h"
#include "runtime/exec.h"
#include "runtime/helpers.h"

static struct cage cage;
static struct exec_decision dec;
static struct helper_state st;
static struct http_request req;
static struct conn_info conn;

static long long call(unsigned id, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
  return (long long)helper_table[id](&cage.ctx, a, b, c, d, 0);
}

static int var_is(unsigned id, const char *want)
{
  char buf[256];
  long n = helper_var_value(&st, id, buf, sizeof buf);
  return n == (long)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static void set_host(const char *h)
{
  st.hostport = h;
  st.hostport_len = strlen(h);
}

static void test_ranges(void)
{
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_BODY, ZS_CAGE_RODATA_OFF, 5, 0) == 0);
  CHECK(dec.body_len == 5 && memcmp(dec.body, "hello", 5) == 0);
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_BODY, 0, 1, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_BODY, ZS_CAGE_RODATA_OFF, 4097, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_BODY, 0xffffffffull, 2, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_BODY, (1ull << 32) + ZS_CAGE_RODATA_OFF, 1, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_BODY, ZS_CAGE_HEAP_OFF + ZS_CAGE_HEAP_SIZE - 1, 2, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_buf_lit, 7, ZS_CAGE_RODATA_OFF, 1, 0) < 0);
  CHECK(dec.body_len == 5);
  CHECK(call(ZS_HELPER_resp_header, ZS_HDR_SET, ZS_CAGE_STACK_OFF - 4, 8, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_path_strip_prefix, 0x10, 4, 0, 0) == -EFAULT);
  /* var_read writes only to stack and heap */
  CHECK(call(ZS_HELPER_var_read, ZS_VAR_method, ZS_CAGE_RODATA_OFF, 3, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_var_read, ZS_VAR_method, ZS_CAGE_REQ_OFF, 3, 0) == -EFAULT);
  CHECK(call(ZS_HELPER_var_read, ZS_VAR_method, ZS_CAGE_HEAP_OFF, 8, 1) == 2);
  CHECK(memcmp(cage.base + ZS_CAGE_HEAP_OFF, "ET", 2) == 0);
  CHECK(call(ZS_HELPER_var_read, ZS_VAR_method, ZS_CAGE_HEAP_OFF, 8, 9) == 0);
  CHECK(call(ZS_HELPER_var_len, ZS_VAR_method, 0, 0, 0) == 3);
  CHECK(call(ZS_HELPER_var_len, 99, 0, 0, 0) == -EINVAL);
}

static void test_response_helpers(void)
{
  CHECK(call(ZS_HELPER_resp_status, 99, 0, 0, 0) == -EINVAL);
  CHECK(call(ZS_HELPER_resp_status, 1000, 0, 0, 0) == -EINVAL);
  CHECK(call(ZS_HELPER_resp_status, 404, 0, 0, 0) == 0 && dec.status == 404);
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_VALUE, ZS_CAGE_RODATA_OFF + 6, 5, 0) == 0);  /* "world" */
  CHECK(call(ZS_HELPER_resp_header, ZS_HDR_ADD, ZS_CAGE_RODATA_OFF + 12, 7, 0) == -EINVAL); /* "bad nam" */
  CHECK(st.value_len == 0);                      /* the value is consumed either way */
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_VALUE, ZS_CAGE_RODATA_OFF + 6, 5, 0) == 0);
  CHECK(call(ZS_HELPER_resp_header, ZS_HDR_ADD, ZS_CAGE_RODATA_OFF + 20, 5, 0) == 0);    /* "x-big" */
  CHECK(dec.op_count == 1 && dec.ops[0].op == ZS_HDR_ADD && dec.ops[0].value_len == 5);
  CHECK(memcmp(dec.ops[0].name, "x-big", 5) == 0 && memcmp(dec.ops[0].value, "world", 5) == 0);
  CHECK(call(ZS_HELPER_resp_header, 7, ZS_CAGE_RODATA_OFF + 20, 5, 0) < 0);            /* no such op */
  /* the request takes add, set and delete only, with no other target or flag */
  CHECK(call(ZS_HELPER_resp_header, ZS_HDR_REPLACE | ZS_HDR_REQ, ZS_CAGE_RODATA_OFF + 20, 5, 0) < 0);
  CHECK(call(ZS_HELPER_resp_header, ZS_HDR_ADD | ZS_HDR_REQ | ZS_HDR_UP, ZS_CAGE_RODATA_OFF + 20, 5, 0) < 0);
  CHECK(call(ZS_HELPER_resp_header, ZS_HDR_SET | ZS_HDR_REQ | ZS_HDR_DEFERRED, ZS_CAGE_RODATA_OFF + 20, 5, 0) < 0);
  CHECK(call(ZS_HELPER_buf_reset, ZS_BUF_BODY, 0, 0, 0) == 0 && dec.body_len == 0);
  CHECK(call(ZS_HELPER_buf_var, ZS_BUF_BODY, ZS_VAR_uri, 0, 0) == 0);
  CHECK(dec.body_len == 8 && memcmp(dec.body, "/p%41?q=", 8) == 0);
  CHECK(call(ZS_HELPER_buf_lit, ZS_BUF_VALUE, ZS_CAGE_RODATA_OFF + 6, 5, 0) == 0);
  CHECK(call(ZS_HELPER_var_set, ZS_VAR_path, ZS_BUF_VALUE, 0, 0) == -EINVAL);      /* not settable */
  CHECK(call(ZS_HELPER_var_set, ZS_VAR_root, ZS_BUF_VALUE, 0, 0) == 0);
  CHECK(dec.root && strcmp(dec.root, "world") == 0 && st.value_len == 0);
  CHECK(var_is(ZS_VAR_root, "world"));
}

static void test_vars(void)
{
  set_host("Example.com:8080");
  CHECK(var_is(ZS_VAR_host, "Example.com") && var_is(ZS_VAR_port, "8080"));
  CHECK(var_is(ZS_VAR_hostport, "Example.com:8080"));
  set_host("[::1]:80");
  CHECK(var_is(ZS_VAR_host, "::1") && var_is(ZS_VAR_port, "80"));
  set_host("example.com");
  CHECK(var_is(ZS_VAR_host, "example.com") && var_is(ZS_VAR_port, ""));
  CHECK(var_is(ZS_VAR_method, "GET") && var_is(ZS_VAR_scheme, "http") && var_is(ZS_VAR_proto, "HTTP/1.1"));
  CHECK(var_is(ZS_VAR_path, "/pA") && var_is(ZS_VAR_query, "q="));
  CHECK(var_is(ZS_VAR_prefixed_query, "?q=") && var_is(ZS_VAR_orig_uri, "/p%41?q="));
  CHECK(var_is(ZS_VAR_remote, "[::1]:5555") && var_is(ZS_VAR_remote_host, "::1"));
  CHECK(var_is(ZS_VAR_remote_port, "5555"));
  char tiny[4];
  CHECK(helper_var_value(&st, ZS_VAR_orig_uri, tiny, sizeof tiny) == -ENOSPC);
}

static long prefix(const char *raw, const char *p, size_t *decoded)
{
  return helper_prefix_match(raw, strlen(raw), p, strlen(p), decoded);
}

static void test_prefix(void)
{
  size_t d = 0;
  CHECK(prefix("/API/x", "/api", &d) == 4 && d == 4);
  CHECK(prefix("/a%2Fb/c", "/a/b", &d) == 6 && d == 4);
  CHECK(prefix("/%41b", "/ab", &d) == 5 && d == 3);
  CHECK(prefix("/a%2Fb/x", "/a%2fb", &d) == 6 && d == 4);
  CHECK(prefix("/ab", "/abc", &d) == -1);
  CHECK(prefix("/apix", "/api/", &d) == -1);
  CHECK(prefix("/a%zz", "/a/", &d) == -1);
  CHECK(prefix("/api", "/api", &d) == 4 && d == 4);
  /* through the helper: the view and the decision follow */
  struct zs_req *view = (struct zs_req *)cage.req_host;
  CHECK(call(ZS_HELPER_path_strip_prefix, ZS_CAGE_RODATA_OFF + 26, 2, 0, 0) == 1);     /* "/P" */
  CHECK(dec.path_len == 1 && dec.path[0] == 'A' && view->path.len == 1 && view->path_raw.len == 3);
  CHECK(view->path.ptr == ZS_CAGE_REQ_OFF + 1026 && view->path_raw.ptr == ZS_CAGE_REQ_OFF + 2050);
  /* no longer a prefix; as in Caddy the path is still cleaned ("A" -> "/A") */
  CHECK(call(ZS_HELPER_path_strip_prefix, ZS_CAGE_RODATA_OFF + 26, 2, 0, 0) == 0);
  CHECK(dec.path_len == 2 && memcmp(dec.path, "/A", 2) == 0 && view->path_raw.len == 4);
}

static void setup(void)
{
  static char rodata[4096];
  memcpy(rodata + 0, "hello", 5);
  memcpy(rodata + 6, "world", 5);
  memcpy(rodata + 12, "bad nam", 7);
  memcpy(rodata + 20, "x-big", 5);
  memcpy(rodata + 26, "/P", 2);
  trap_install();
  cage_create(&cage, rodata, sizeof rodata, helper_table, ZS_HELPER_COUNT, &st);
  req = (struct http_request){ .method = "GET", .method_len = 3, .target = "/p%41?q=", .target_len = 8,
                               .version_minor = 1 };
  snprintf(conn.remote_ip, sizeof conn.remote_ip, "::1");
  conn.remote_port = 5555;
  st = (struct helper_state){ .cage = &cage, .dec = &dec, .req = &req, .conn = &conn,
                              .path_raw = "/p%41", .path_raw_len = 5, .query = "q=", .query_len = 2,
                              .orig_uri = "/p%41?q=", .orig_uri_len = 8, .view_used = 4096,
                              .deadline_ms = UINT64_MAX };
  set_host("h");
  /* a view whose path strings the strip helper can move along */
  struct zs_req *view = (struct zs_req *)cage.req_host;
  memcpy(cage.req_host + 1024, "/pA", 3);
  memcpy(cage.req_host + 2048, "/p%41", 5);
  view->path = (struct zs_str){ ZS_CAGE_REQ_OFF + 1024, 3 };
  view->path_lc = (struct zs_str){ ZS_CAGE_REQ_OFF + 1024, 3 };
  view->path_raw = (struct zs_str){ ZS_CAGE_REQ_OFF + 2048, 5 };
  dec.body = dec.storage;
  dec.storage_used = EXEC_MAX_BODY;
  dec.path = (char *)cage.req_host + 1024;
  dec.path_len = 3;
}

static sigjmp_buf trap_jump;
static unsigned trap_seen;

static void test_trap(struct zs_native_ctx *ctx, unsigned code)
{
  (void)ctx;
  trap_seen = code;
  siglongjmp(trap_jump, 1);
}

/* a helper call costs its bytes: one poll plus one per HELPER_BYTES_PER_POLL */
static long long charged(unsigned id, uint64_t a, long long budget)
{
  cage.ctx.budget = budget;
  trap_seen = 0;
  if (sigsetjmp(trap_jump, 0) == 0)
    call(id, a, 0, 0, 0);
  return trap_seen ? -1 : budget - cage.ctx.budget;
}

static void test_charging(void)
{
  static char long_host[4000];
  memset(long_host, 'h', sizeof long_host);
  st.hostport = long_host;
  st.hostport_len = sizeof long_host;
  void (*saved)(struct zs_native_ctx *, unsigned) = cage.ctx.trap;
  cage.ctx.trap = test_trap;
  CHECK(charged(ZS_HELPER_var_len, ZS_VAR_hostport, 1000000) == 1 + 4000 / HELPER_BYTES_PER_POLL);
  CHECK(charged(ZS_HELPER_var_len, ZS_VAR_method, 1000000) == 1);
  CHECK(charged(ZS_HELPER_var_len, ZS_VAR_hostport, 100) == -1 && trap_seen == ZS_TRAP_BUDGET);
  st.deadline_ms = 0;   /* the wall-clock bound, checked at every helper call */
  CHECK(charged(ZS_HELPER_var_len, ZS_VAR_method, 1000000) == -1 && trap_seen == ZS_TRAP_BUDGET);
  st.deadline_ms = UINT64_MAX;
  cage.ctx.trap = saved;
  set_host("h");
}

/* http.request.tls.*: empty without TLS, then what the handshake settled */
static void test_tls_vars(void)
{
  CHECK(var_is(ZS_VAR_tls_version, "") && var_is(ZS_VAR_tls_resumed, "") && var_is(ZS_VAR_tls_server_name, ""));
  conn.tls = 1;
  conn.tls_resumed = 1;
  snprintf(conn.tls_version, sizeof conn.tls_version, "tls1.3");
  snprintf(conn.tls_cipher, sizeof conn.tls_cipher, "TLS_AES_128_GCM_SHA256");
  snprintf(conn.tls_alpn, sizeof conn.tls_alpn, "h2");
  snprintf(conn.tls_sni, sizeof conn.tls_sni, "a.example");
  CHECK(var_is(ZS_VAR_tls_version, "tls1.3") && var_is(ZS_VAR_tls_cipher, "TLS_AES_128_GCM_SHA256"));
  CHECK(var_is(ZS_VAR_tls_proto, "h2") && var_is(ZS_VAR_tls_resumed, "true") && var_is(ZS_VAR_tls_server_name, "a.example"));
  CHECK(var_is(ZS_VAR_scheme, "https"));
  conn.tls_resumed = 0;
  CHECK(var_is(ZS_VAR_tls_resumed, "false"));
  conn.tls = 0;
}

int main(void)
{
  setup();
  test_ranges();
  test_response_helpers();
  test_vars();
  test_tls_vars();
  test_prefix();
  test_charging();
  cage_destroy(&cage);
  return check_failures ? 1 : 0;
}
