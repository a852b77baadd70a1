/* Request execution end to end inside the process, with hand-written x86_64
 * guest programs: the request view the program sees, respond / file_server /
 * reverse_proxy decisions, handle_path's prefix strip, traps answered with
 * 500 while the worker goes on, and requests refused before the program. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/cage.h"
#include "abi/request.h"
#include "../check.h"
#include "runtime/cage.h"
#include "runtime/exec.h"
#include "runtime/http1.h"
#include "runtime/loader.h"
#include "runtime/response.h"

#if defined(__x86_64__)
#include "blob_writer.h"
#include "guest_blob.h"

struct fixture {
  struct blob blob;
  struct cage cage;
  struct http_request req;
  struct conn_info conn;
  struct exec_decision dec;
  struct response resp;
  char raw[4096];
  int exec_rc;
};

static struct fixture fx;
static char root[128];

/* runs a raw request on a server; returns the response status (or -errno from exec) */
static int run(unsigned server, const char *raw)
{
  if (fx.resp.file_fd >= 0)
    close(fx.resp.file_fd);
  fx.resp.file_fd = -1;
  snprintf(fx.raw, sizeof fx.raw, "%s", raw);
  if (http1_parse_request(fx.raw, strlen(fx.raw), &fx.req) <= 0)
    return -EBADMSG;
  fx.exec_rc = exec_request(&fx.blob, &fx.cage, server, &fx.req, &fx.conn, &fx.dec);
  if (fx.exec_rc < 0)
    return fx.exec_rc;
  if (fx.dec.action == ZS_ACT_PROXY && !fx.dec.trapped)
    return 0;
  return response_from_decision(&fx.blob, &fx.dec, &fx.req, NULL, &fx.resp) < 0 ? -EIO : fx.resp.status;
}

static int header_is(const char *name, const char *value)
{
  const struct response_header *h = response_header_get(&fx.resp, name);
  return h && h->value_len == strlen(value) && memcmp(h->value, value, h->value_len) == 0 &&
         memcmp(h->name, name, h->name_len) == 0;
}

static int view_str_is(struct zs_str s, const char *want)
{
  return s.len == strlen(want) && memcmp(fx.cage.req_host + (s.ptr - ZS_CAGE_REQ_OFF), want, s.len) == 0;
}

static void test_view(void)
{
  CHECK(run(GUEST_RESPOND, "GET /Foo%20Bar/%41?q=1&r HTTP/1.1\r\nHost: Example.COM:8080\r\nX-Up: V\r\n\r\n") == 201);
  const struct zs_req *v = (const struct zs_req *)fx.cage.req_host;
  CHECK(v->abi_version == ZS_ABI_VERSION && v->server == GUEST_RESPOND);
  CHECK(view_str_is(v->method, "GET"));
  CHECK(view_str_is(v->path, "/Foo Bar/A"));
  CHECK(view_str_is(v->path_lc, "/foo bar/a"));
  CHECK(view_str_is(v->path_raw, "/Foo%20Bar/%41"));
  CHECK(view_str_is(v->query, "q=1&r"));
  CHECK(view_str_is(v->host, "example.com"));
  CHECK(v->port == GUEST_PORT && v->header_count == 2);
  const struct zs_req_header *h = (const void *)(fx.cage.req_host + (v->headers - ZS_CAGE_REQ_OFF));
  CHECK(view_str_is(h[1].name, "X-Up") && view_str_is(h[1].name_lc, "x-up") && view_str_is(h[1].value, "V"));
  CHECK(run(GUEST_NEXT, "GET http://Other.Example:81/x HTTP/1.1\r\nHost: ignored\r\n\r\n") == 200);
  CHECK(view_str_is(v->host, "other.example") && view_str_is(v->path, "/x"));
  CHECK(run(GUEST_NEXT, "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n") == 200);
  CHECK(view_str_is(v->host, "::1"));
}

static void test_respond(void)
{
  CHECK(run(GUEST_RESPOND, "GET /a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n") == 201);
  CHECK(fx.resp.body_len == 10 && memcmp(fx.resp.body, "hello /a/b", 10) == 0);
  CHECK(header_is("X-A", "v1"));
  CHECK(header_is("Content-Type", "text/plain; charset=utf-8"));
  CHECK(header_is("Server", "zsrt"));
  char head[2048];
  int n = response_serialize_head(&fx.resp, 1, 0, head, sizeof head);
  CHECK(n > 0 && strncmp(head, "HTTP/1.1 201 Created\r\nContent-Type: text/plain; charset=utf-8\r\n"
                               "Server: zsrt\r\nX-A: v1\r\nDate: ", 88) == 0);
  CHECK(n > 0 && strstr(head, "\r\nContent-Length: 10\r\nConnection: close\r\n\r\n") != NULL);
  CHECK(run(GUEST_NEXT, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 200 && fx.resp.body_len == 0);
  CHECK(fx.resp.header_count == 1);
}

static void test_refused(void)
{
  CHECK(run(GUEST_RESPOND, "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n") == -EINVAL);
  CHECK(run(GUEST_RESPOND, "GET /a%2 HTTP/1.1\r\nHost: x\r\n\r\n") == -EINVAL);
  struct http_request no_host = { .method = "GET", .method_len = 3, .target = "/", .target_len = 1,
                                  .version_minor = 1 };
  CHECK(exec_request(&fx.blob, &fx.cage, GUEST_RESPOND, &no_host, &fx.conn, &fx.dec) == -EINVAL);
  no_host.target = "x";      /* neither origin- nor absolute-form */
  no_host.version_minor = 0;
  CHECK(exec_request(&fx.blob, &fx.cage, GUEST_RESPOND, &no_host, &fx.conn, &fx.dec) == -EINVAL);
  CHECK(run(GUEST_RESPOND, "GET / HTTP/1.0\r\n\r\n") == 201);               /* 1.0 needs none */
  /* a head larger than the request view: built by hand, the parser caps heads lower */
  static char big[300 * 1024];
  memset(big, 'a', sizeof big);
  struct http_request r = { .method = "GET", .method_len = 3, .target = "/", .target_len = 1,
                            .version_minor = 1, .header_count = 1 };
  r.headers[0] = (struct http_header){ .name = "Host", .name_len = 4, .value = big, .value_len = sizeof big };
  r.host = big;   /* what the parser sets from the field */
  r.host_len = sizeof big;
  CHECK(exec_request(&fx.blob, &fx.cage, GUEST_RESPOND, &r, &fx.conn, &fx.dec) == -E2BIG);
  CHECK(exec_request(&fx.blob, &fx.cage, 99, &fx.req, &fx.conn, &fx.dec) == -ENOENT);
}

static void test_file(void)
{
  CHECK(run(GUEST_FILE, "GET /static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n") == 200);
  CHECK(fx.resp.file_fd >= 0 && fx.resp.file_len == 4 && strcmp(fx.resp.file_path, "a.txt") == 0);
  CHECK(header_is("Content-Type", "text/plain; charset=utf-8"));
  CHECK(run(GUEST_FILE, "GET /STATIC/sub HTTP/1.1\r\nHost: x\r\n\r\n") == 308);
  CHECK(header_is("Location", "/STATIC/sub/"));
  CHECK(run(GUEST_FILE, "GET /static/sub/ HTTP/1.1\r\nHost: x\r\n\r\n") == 200);
  CHECK(strcmp(fx.resp.file_path, "sub/index.html") == 0);
  CHECK(run(GUEST_FILE, "GET /static/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n") == 404);
  CHECK(run(GUEST_FILE, "GET /static/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n") == 404);
  CHECK(run(GUEST_FILE, "GET /other/a.txt HTTP/1.1\r\nHost: x\r\n\r\n") == 404);  /* no strip: /other/a.txt */
  CHECK(run(GUEST_ROOT, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 200);
  CHECK(strcmp(fx.resp.file_path, "idx.txt") == 0 && strcmp(fx.resp.file_root, root) == 0);
}

static void test_proxy(void)
{
  CHECK(run(GUEST_PROXY, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
  CHECK(fx.dec.action == ZS_ACT_PROXY && fx.dec.action_id == 0 && fx.dec.op_count == 1);
  CHECK(fx.dec.ops[0].op == ZS_HDR_ADD && fx.dec.ops[0].name_len == 3 && memcmp(fx.dec.ops[0].value, "v1", 2) == 0);
}

static void test_traps(void)
{
  CHECK(run(GUEST_FAULT, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 500);
  CHECK(fx.dec.trapped && fx.dec.trap_code == ZS_TRAP_FAULT);
  fx.cage.budget = 100000;
  CHECK(run(GUEST_LOOP, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 500);
  CHECK(fx.dec.trapped && fx.dec.trap_code == ZS_TRAP_BUDGET);
  CHECK(run(GUEST_BAD, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 500 && fx.dec.trapped);
  CHECK(run(GUEST_RESPOND, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n") == 201 && !fx.dec.trapped);
  CHECK(fx.resp.body_len == 12);
}

static void make_tree(void)
{
  test_tmp_name(root, sizeof root, "exec");
  char p[256];
  mkdir(root, 0755);
  snprintf(p, sizeof p, "%s/sub", root);
  mkdir(p, 0755);
  static const char *const files[] = { "a.txt", "sub/index.html", "idx.txt" };
  for (unsigned i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/%s", root, files[i]);
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "abc\n", 4) == 4);
    close(fd);
  }
}

static void remove_tree(void)
{
  char cmd[320];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.zsb'", root, root);
  CHECK(system(cmd) == 0);
}

int main(void)
{
  make_tree();
  size_t len;
  unsigned char *bytes = guest_blob_build(root, root, &len);
  char path[160], err[256];
  snprintf(path, sizeof path, "%s.zsb", root);
  tb_save(path, bytes, len);
  free(bytes);
  fx.resp.file_fd = -1;
  if (blob_open(path, &fx.blob, err, sizeof err) < 0 || trap_install() < 0 ||
      exec_cage_create(&fx.cage, &fx.blob) < 0) {
    fprintf(stderr, "setup failed: %s\n", err);
    return 1;
  }
  fx.conn.local_port = GUEST_PORT;
  snprintf(fx.conn.remote_ip, sizeof fx.conn.remote_ip, "127.0.0.1");
  test_view();
  test_respond();
  test_refused();
  test_file();
  test_proxy();
  test_traps();
  cage_destroy(&fx.cage);
  blob_close(&fx.blob);
  remove_tree();
  return check_failures ? 1 : 0;
}
#else
int main(void)
{
  fprintf(stderr, "skip: the guest programs are hand-written x86_64\n");
  return 77;
}
#endif
