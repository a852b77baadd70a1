/* The event loop, HTTP/1.1 connection handling and reverse proxy over real
 * sockets on 127.0.0.1: server_run in a child process with a stand-in core
 * (stub_core.c), upstream.py as the upstream. Covers keep-alive, pipelining,
 * bodies, limits, files, traps, proxy framing and headers, upstream reuse
 * and retry, 502, the header timeout and the graceful stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/http1.h"
#include "runtime/loader.h"
#include "runtime/server.h"

#define CLIENT_CAP (2 << 20)

static int failures;
static uint16_t server_port, upstream_port, dead_port;

struct client {
  int fd;
  char *buf;
  size_t len;
};

struct reply {
  int status;
  struct http1_response head;
  char head_text[16384];
  char *body;
  size_t body_len;
  int chunked;
  int closed;                  /* the server closed after the reply */
};

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "%s:%d: ", __func__, __LINE__); \
  fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; return; } } while (0)

static uint16_t free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    return 0;
  close(fd);
  return ntohs(a.sin_port);
}

static int dial(uint16_t port)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void client_open(struct client *cl)
{
  cl->fd = dial(server_port);
  cl->len = 0;
  if (!cl->buf)
    cl->buf = malloc(CLIENT_CAP);
}

static void client_send(struct client *cl, const char *data, size_t len)
{
  while (len > 0) {
    ssize_t n = send(cl->fd, data, len, MSG_NOSIGNAL);
    if (n <= 0)
      return;
    data += n;
    len -= (size_t)n;
  }
}

static void client_sends(struct client *cl, const char *text)
{
  client_send(cl, text, strlen(text));
}

/* reads more bytes; 0 at EOF or timeout */
static int client_fill(struct client *cl)
{
  ssize_t n = recv(cl->fd, cl->buf + cl->len, CLIENT_CAP - cl->len, 0);
  if (n <= 0)
    return 0;
  cl->len += (size_t)n;
  return 1;
}

static void client_consume(struct client *cl, size_t n)
{
  memmove(cl->buf, cl->buf + n, cl->len - n);
  cl->len -= n;
}

static int read_body(struct client *cl, struct reply *r)
{
  if (r->head.body == HTTP1_BODY_LENGTH) {
    while (cl->len < (size_t)r->head.content_length)
      if (!client_fill(cl))
        return -1;
    memcpy(r->body, cl->buf, (size_t)r->head.content_length);
    r->body_len = (size_t)r->head.content_length;
    client_consume(cl, r->body_len);
  } else if (r->head.body == HTTP1_BODY_CHUNKED) {
    struct http1_chunked d = {0};
    r->chunked = 1;
    while (!d.done) {
      const char *data;
      size_t n;
      int rc = http1_chunked_decode(&d, cl->buf, cl->len, &data, &n);
      if (rc < 0)
        return -1;
      memcpy(r->body + r->body_len, data, n);
      r->body_len += n;
      client_consume(cl, (size_t)rc);
      if (!d.done && cl->len == 0 && !client_fill(cl))
        return -1;
    }
  } else if (r->head.body == HTTP1_BODY_CLOSE) {
    while (client_fill(cl))
      ;
    memcpy(r->body, cl->buf, cl->len);
    r->body_len = cl->len;
    client_consume(cl, cl->len);
    r->closed = 1;
  }
  return 0;
}

/* one response; status 0 when none came */
static void client_read(struct client *cl, int head_request, struct reply *r)
{
  if (!r->body)
    r->body = malloc(CLIENT_CAP);
  r->status = 0;
  r->body_len = 0;
  r->chunked = 0;
  r->closed = 0;
  for (;;) {
    int rc = http1_parse_response(cl->buf, cl->len, head_request, &r->head);
    if (rc > 0) {
      size_t n = (size_t)rc < sizeof r->head_text - 1 ? (size_t)rc : sizeof r->head_text - 1;
      memcpy(r->head_text, cl->buf, n);
      r->head_text[n] = 0;
      client_consume(cl, (size_t)rc);
      if (read_body(cl, r) == 0)
        r->status = r->head.status;
      return;
    }
    if (rc != HTTP1_ERR_MORE || !client_fill(cl))
      return;
  }
}

/* the value of a header in the reply head, or NULL */
static const char *reply_header(const struct reply *r, const char *name, char *out, size_t cap)
{
  char pat[128];
  snprintf(pat, sizeof pat, "\r\n%s: ", name);
  const char *p = strcasestr(r->head_text, pat);
  if (!p)
    return NULL;
  p += strlen(pat);
  size_t n = strcspn(p, "\r");
  snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
  return out;
}

static int server_closed(struct client *cl)
{
  char b;
  return cl->len == 0 && recv(cl->fd, &b, 1, 0) == 0;
}

static void client_close(struct client *cl)
{
  close(cl->fd);
  cl->fd = -1;
}

static struct client cl;
static struct reply r;

static void test_hello_keep_alive(void)
{
  char v[64];
  client_open(&cl);
  for (int i = 0; i < 3; i++) {
    client_sends(&cl, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    client_read(&cl, 0, &r);
    CHECK(r.status == 200, "status %d", r.status);
    CHECK(r.body_len == 6 && memcmp(r.body, "hello\n", 6) == 0, "body");
    CHECK(reply_header(&r, "X-Test", v, sizeof v) && strcmp(v, "yes") == 0, "X-Test");
  }
  client_close(&cl);
}

static void test_pipelined(void)
{
  client_open(&cl);
  client_sends(&cl, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /status/404 HTTP/1.1\r\nHost: a\r\n\r\n"
                    "GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.body_len == 6, "first %d", r.status);
  client_read(&cl, 0, &r);
  CHECK(r.status == 404 && r.body_len == 2, "second %d", r.status);
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.body_len == 200000 && r.body[199999] == 'a' + 199999 % 26, "big");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.body_len == 6, "fourth %d", r.status);
  client_close(&cl);
}

static void test_split_head(void)
{
  const char *req = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";
  client_open(&cl);
  for (size_t i = 0; req[i]; i++) {
    client_send(&cl, req + i, 1);
    if (i % 8 == 0)
      usleep(2000);
  }
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "status %d", r.status);
  client_close(&cl);
}

static void expect_error(const char *req, size_t len, int status)
{
  char v[64];
  client_open(&cl);
  client_send(&cl, req, len);
  client_read(&cl, 0, &r);
  CHECK(r.status == status, "want %d got %d", status, r.status);
  CHECK(reply_header(&r, "Connection", v, sizeof v) && strcmp(v, "close") == 0, "no close");
  CHECK(server_closed(&cl), "connection left open after %d", status);
  client_close(&cl);
}

static void test_errors(void)
{
  static char big[80000];
  expect_error("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 28, 400);
  expect_error("GET / HTTP/1.1\r\n\r\n", 18, 400);
  expect_error("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 80, 400);
  int n = sprintf(big, "GET /%0*d HTTP/1.1\r\nHost: a\r\n\r\n", 9000, 0);
  expect_error(big, (size_t)n, 414);
  n = sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX: %0*d\r\n\r\n", 70000, 0);
  expect_error(big, (size_t)n, 431);
  expect_error("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", 63, 413);
  expect_error("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 27, 505);
}

static void test_bodies_discarded(void)
{
  client_open(&cl);
  client_sends(&cl, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde"
                    "POST /status/404 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nabc\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "first %d", r.status);
  client_read(&cl, 0, &r);
  CHECK(r.status == 404, "second %d", r.status);
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "third %d", r.status);
  client_close(&cl);
}

static void test_file(const char *path, size_t size)
{
  char v[64];
  client_open(&cl);
  client_sends(&cl, "GET /file HTTP/1.1\r\nHost: a\r\n\r\nHEAD /file HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.body_len == size, "file %d %zu", r.status, r.body_len);
  FILE *f = fopen(path, "rb");
  char *want = malloc(size);
  CHECK(f && fread(want, 1, size, f) == size, "reread");
  fclose(f);
  CHECK(memcmp(want, r.body, size) == 0, "file bytes differ");
  free(want);
  client_read(&cl, 1, &r);
  CHECK(r.status == 200 && r.body_len == 0, "head %d", r.status);
  CHECK(reply_header(&r, "Content-Length", v, sizeof v) && (size_t)atol(v) == size, "head length");
  client_close(&cl);
}

static void test_trap_and_http10(void)
{
  client_open(&cl);
  client_sends(&cl, "GET /trap HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.0\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 500, "trap %d", r.status);
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "after trap %d", r.status);
  CHECK(server_closed(&cl), "HTTP/1.0 connection kept");
  client_close(&cl);
}

static void test_proxy_headers(void)
{
  char v[128];
  client_open(&cl);
  client_sends(&cl, "GET /up/echo?q=1 HTTP/1.1\r\nHost: example.test:8080\r\nConnection: keep-alive, X-Hop\r\n"
                    "X-Hop: 1\r\nKeep-Alive: 5\r\nX-Forwarded-For: 6.6.6.6\r\nX-Keep: k\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "status %d", r.status);
  r.body[r.body_len] = 0;
  CHECK(strstr(r.body, "GET /up/echo?q=1 HTTP/1.1\n"), "request line: %s", r.body);
  CHECK(strstr(r.body, "\nHost: example.test:8080\n"), "host: %s", r.body);
  CHECK(strstr(r.body, "\nX-Forwarded-For: 127.0.0.1\n"), "xff: %s", r.body);
  CHECK(!strstr(r.body, "6.6.6.6"), "client xff kept");
  CHECK(strstr(r.body, "\nX-Forwarded-Proto: http\n"), "xfp");
  CHECK(strstr(r.body, "\nX-Forwarded-Host: example.test:8080\n"), "xfh");
  CHECK(strstr(r.body, "\nX-Keep: k\n"), "end-to-end header dropped");
  CHECK(!strcasestr(r.body, "X-Hop") && !strcasestr(r.body, "Keep-Alive") &&
        !strcasestr(r.body, "Connection:"), "hop-by-hop forwarded: %s", r.body);
  CHECK(reply_header(&r, "X-Proxied", v, sizeof v) && strcmp(v, "1") == 0, "op not applied");
  CHECK(!reply_header(&r, "X-Up", v, sizeof v), "delete op not applied");
  CHECK(!reply_header(&r, "Keep-Alive", v, sizeof v), "upstream hop header relayed");
  CHECK(reply_header(&r, "Content-Type", v, sizeof v) && strcmp(v, "text/plain") == 0, "ctype");
  client_close(&cl);
}

static void test_proxy_framing(void)
{
  char v[64];
  client_open(&cl);
  client_sends(&cl, "GET /up/chunked HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 201 && r.chunked && r.body_len == 8 && memcmp(r.body, "abcdefgh", 8) == 0,
        "chunked %d %zu", r.status, r.body_len);
  CHECK(!reply_header(&r, "Trailer", v, sizeof v), "Trailer relayed");
  client_sends(&cl, "GET /up/close HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.chunked && r.body_len == 11 && memcmp(r.body, "closed-body", 11) == 0,
        "close-delimited %d %zu", r.status, r.body_len);
  client_sends(&cl, "GET /up/204 HTTP/1.1\r\nHost: a\r\n\r\nGET /up/continue HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 204 && r.body_len == 0, "204 %d", r.status);
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.body_len == 3, "after 100 %d", r.status);
  client_sends(&cl, "GET /up/big HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.body_len == 300000, "big %d %zu", r.status, r.body_len);
  for (size_t i = 0; i < 300000; i++)
    CHECK((unsigned char)r.body[i] == ((i * 7) & 0xff), "big byte %zu", i);
  client_close(&cl);
}

static void test_proxy_bodies_and_reuse(void)
{
  int conn_first = -1, conn_second = -2;
  client_open(&cl);
  client_sends(&cl, "POST /up/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
  client_read(&cl, 0, &r);
  r.body[r.body_len] = 0;
  CHECK(r.status == 200 && strstr(r.body, "\nbody=hello"), "cl body: %s", r.body);
  sscanf(r.body, "conn=%d", &conn_first);
  client_sends(&cl, "POST /rw/echo?x=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  client_read(&cl, 0, &r);
  r.body[r.body_len] = 0;
  CHECK(r.status == 200 && strstr(r.body, "\nbody=abcde"), "chunked body: %s", r.body);
  CHECK(strstr(r.body, "POST /up/echo%20x?x=1 HTTP/1.1"), "rewritten target: %s", r.body);
  /* streamed as it came: chunked, as Go's transport sends a body of unknown length */
  CHECK(strstr(r.body, "Transfer-Encoding: chunked") && !strstr(r.body, "Content-Length"),
        "chunked body not passed on chunked: %s", r.body);
  sscanf(r.body, "conn=%d", &conn_second);
  CHECK(conn_first == conn_second, "upstream connection not reused (%d, %d)", conn_first, conn_second);
  /* the upstream closes after this answer; the next request retries fresh */
  client_sends(&cl, "GET /up/closeafter HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "closeafter %d", r.status);
  usleep(100000);
  client_sends(&cl, "GET /up/echo HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "after upstream close %d", r.status);
  client_close(&cl);
}

static void test_proxy_down(void)
{
  char v[64];
  client_open(&cl);
  client_sends(&cl, "GET /down HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
  client_read(&cl, 0, &r);
  CHECK(r.status == 502 && r.body_len == 0, "down %d", r.status);
  CHECK(reply_header(&r, "Server", v, sizeof v) && strcmp(v, "zsrt") == 0, "server header");
  client_read(&cl, 0, &r);
  CHECK(r.status == 200, "after 502 %d", r.status);
  client_close(&cl);
}

/* a client that takes none of a file body for the send timeout is cut, as
 * nginx's send_timeout does: its slot and buffers are not held forever */
static void test_send_timeout(void)
{
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(server_port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect");
  const char *req = "GET /file-big HTTP/1.1\r\nHost: a\r\n\r\n";
  CHECK(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req), "send");
  sleep(3);   /* the send timeout is 1.5 s: it must have fired by now */
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static char buf[65536];
  size_t total = 0;
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
    total += (size_t)n;
  int ended = n == 0 || (n < 0 && errno == ECONNRESET);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  /* what the kernel already held may still arrive; the close must come
   * before the idle timeout (5 s after the last byte moved) could explain it */
  CHECK(ended && t1.tv_sec - t0.tv_sec < 5, "slow reader not cut: %zu bytes, last recv %zd errno %d",
        total, n, n < 0 ? errno : 0);
  close(fd);
}

static void test_header_timeout(void)
{
  client_open(&cl);
  client_sends(&cl, "GET /hello HTTP/1.1\r\n");
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  CHECK(server_closed(&cl), "slow head not cut");
  clock_gettime(CLOCK_MONOTONIC, &b);
  CHECK(b.tv_sec - a.tv_sec < 4, "cut too late");
  client_close(&cl);
}

/* a request in flight when SIGTERM comes is still answered; then exit 0 */
static void test_graceful_stop(pid_t server)
{
  client_open(&cl);
  client_sends(&cl, "GET /up/slow HTTP/1.1\r\nHost: a\r\n\r\n");
  usleep(150000);
  kill(server, SIGTERM);
  client_read(&cl, 0, &r);
  CHECK(r.status == 200 && r.body_len == 4, "in-flight request lost: %d", r.status);
  CHECK(server_closed(&cl), "connection kept after stop");
  client_close(&cl);
  int st = 0;
  CHECK(waitpid(server, &st, 0) == server && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "server exit status %d", st);
  CHECK(dial(server_port) < 0, "still accepting after stop");
}

/* a blob with one plain server, its listener and two upstreams, built in memory */
static void make_blob(struct blob *b)
{
  static struct zs_config_header cfg;
  static struct zs_server servers[1];
  static struct zs_listener listeners[1];
  static struct zs_proxy proxies[2];
  static char strings[128];
  int n = sprintf(strings, "%c127.0.0.1%c127.0.0.1:%u%c127.0.0.1:%u", 0, 0, upstream_port, 0, dead_port);
  (void)n;
  memset(b, 0, sizeof *b);
  cfg.server_count = 1;
  cfg.listener_count = 1;
  cfg.proxy_count = 2;
  listeners[0] = (struct zs_listener){.server = 0, .host_str = 1, .port = server_port};
  proxies[0].upstream_str = 11;
  proxies[1].upstream_str = 11 + (uint32_t)strlen(strings + 11) + 1;
  b->config = &cfg;
  b->servers = servers;
  b->listeners = listeners;
  b->proxies = proxies;
  b->strings = strings;
  b->strings_size = sizeof strings;
}

static pid_t start_upstream(const char *script)
{
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    char port[16];
    snprintf(port, sizeof port, "%u", upstream_port);
    dup2(fds[1], 1);
    execlp("python3", "python3", script, port, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char line[16] = {0};
  ssize_t n = read(fds[0], line, sizeof line - 1);
  close(fds[0]);
  return n > 0 && strncmp(line, "ready", 5) == 0 ? pid : -1;
}

static pid_t start_server(void)
{
  pid_t pid = fork();
  if (pid == 0) {
    static struct blob blob;
    make_blob(&blob);
    struct server_options opt = {.workers = 2, .header_timeout_ms = 1000, .idle_timeout_ms = 5000,
                                 .send_timeout_ms = 1500, .max_body = 1 << 20};
    _exit(server_run(&blob, &opt) == 0 ? 0 : 3);
  }
  for (int i = 0; i < 100; i++) {
    int fd = dial(server_port);
    if (fd >= 0) {
      close(fd);
      return pid;
    }
    usleep(50000);
  }
  kill(pid, SIGKILL);
  return -1;
}

static const char *make_file(size_t size)
{
  static char path[] = "zs-net-file-XXXXXX";   /* in the working directory */
  int fd = mkstemp(path);
  char *data = malloc(size);
  for (size_t i = 0; i < size; i++)
    data[i] = (char)(i * 31 + i / 997);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size)
    return NULL;
  close(fd);
  free(data);
  return path;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: test_loop upstream.py\n");
    return 1;
  }
  server_port = free_port();
  upstream_port = free_port();
  dead_port = free_port();
  size_t file_size = 1000003;
  const char *file = make_file(file_size);
  setenv("ZS_TEST_FILE", file, 1);
  static char big[] = "zs-net-big-XXXXXX";   /* sparse: 64 MiB of zeros on no disk */
  int big_fd = mkstemp(big);
  if (big_fd < 0 || ftruncate(big_fd, 64 << 20) != 0)
    return 1;
  close(big_fd);
  setenv("ZS_TEST_BIG_FILE", big, 1);
  pid_t up = start_upstream(argv[1]);
  if (up < 0) {
    fprintf(stderr, "skip: the python3 upstream (%s) did not start\n", argv[1]);
    unlink(file);
    return 77;
  }
  pid_t srv = start_server();
  if (srv < 0) {
    fprintf(stderr, "the server did not start\n");
    kill(up, SIGTERM);
    unlink(file);
    return 1;
  }
  test_hello_keep_alive();
  test_pipelined();
  test_split_head();
  test_errors();
  test_bodies_discarded();
  test_file(file, file_size);
  test_trap_and_http10();
  test_proxy_headers();
  test_proxy_framing();
  test_proxy_bodies_and_reuse();
  test_proxy_down();
  test_header_timeout();
  test_send_timeout();
  test_graceful_stop(srv);
  kill(up, SIGTERM);
  waitpid(up, NULL, 0);
  unlink(file);
  unlink(big);
  if (failures)
    fprintf(stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
