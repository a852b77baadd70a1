/* Test-only: drives tls_conn over a plain poll loop on 127.0.0.1, so real
 * clients (openssl s_client, curl) can be pointed at the TLS layer, and
 * fronts the local CA for the Python tests.
 *   tls_test_server ca-init STORAGE                  (prints the root's path)
 *   tls_test_server ca-issue STORAGE OUT NAME...     (OUT.crt chain, OUT.key)
 *   tls_test_server serve PORT STORAGE [--alpn a,b] [--default-sni n] NAME...
 * serve issues one leaf per NAME from the CA in STORAGE, listens on
 * 127.0.0.1:PORT, answers each request head with a
 * 200 naming what was negotiated, and logs one line per connection. */
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_test.h"

static int ca_open(struct tls_ca *ca, const char *storage)
{
  char err[256];
  struct tls_ca_config cfg = {.storage = storage};
  if (tls_ca_open(ca, &cfg, time(NULL), err, sizeof err) < 0)
    return fprintf(stderr, "ca: %s\n", err), -1;
  return 0;
}

static int write_file(const char *path, const char *s)
{
  FILE *f = fopen(path, "w");
  int ok = f && fputs(s, f) >= 0;
  if (f)
    ok = fclose(f) == 0 && ok;
  return ok ? 0 : -1;
}

static int cmd_issue(const char *storage, const char *out, char **names, int count)
{
  struct tls_ca ca;
  struct tls_ca_leaf leaf;
  char err[256], path[1024];
  if (ca_open(&ca, storage) < 0)
    return 1;
  if (tls_ca_issue(&ca, (const char *const *)names, (size_t)count, time(NULL), &leaf, err, sizeof err) < 0)
    return fprintf(stderr, "issue: %s\n", err), 1;
  snprintf(path, sizeof path, "%s.crt", out);
  int r = write_file(path, leaf.chain_pem);
  snprintf(path, sizeof path, "%s.key", out);
  r |= write_file(path, leaf.key_pem);
  printf("renew_at %lld not_after %lld\n", (long long)leaf.renew_at, (long long)leaf.not_after);
  tls_ca_leaf_free(&leaf);
  tls_ca_close(&ca);
  return r ? 1 : 0;
}

static int listen_loopback(int port)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0)
    return perror("listen"), -1;
  return fd;
}

static int flush_out(struct tls_conn *c, int fd)
{
  const uint8_t *p;
  size_t len;
  tls_conn_pending_out(c, &p, &len);
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n <= 0)
      return -1;
    tls_conn_consume_out(c, (size_t)n);
    tls_conn_pending_out(c, &p, &len);
  }
  return 0;
}

static void respond(struct tls_conn *c)
{
  struct tls_conn_info info;
  char body[512], resp[1024];
  tls_conn_info(c, &info);
  int n = snprintf(body, sizeof body, "alpn=%.*s sni=%s version=%s cipher=%s resumed=%d\n", (int)info.alpn_len,
                   info.alpn, info.sni, info.version, info.cipher, info.resumed);
  int m = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n%s",
                   n, body);
  tls_conn_write(c, resp, (size_t)m);
}

/* one connection, start to end: 10 s without bytes ends it */
static void serve_conn(struct tls_ctx *ctx, int fd)
{
  static uint8_t in[TLS_CONN_IN_MIN * 16], out[TLS_CONN_OUT_MIN * 2];
  struct tls_conn c;
  char head[8192];
  size_t head_len = 0;
  int rc = tls_conn_init(&c, ctx, in, sizeof in, out, sizeof out);
  while (rc == 0) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 10000) <= 0)
      break;
    uint8_t buf[16384];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    for (ssize_t off = 0; off < n && rc == 0;) {
      ssize_t t = tls_conn_feed(&c, buf + off, (size_t)(n - off));
      if (t < 0) {
        rc = (int)t;
        break;
      }
      off += t;
      ssize_t r;
      while ((r = tls_conn_read(&c, head + head_len, sizeof head - 1 - head_len)) > 0) {
        head_len += (size_t)r;
        head[head_len] = '\0';
        if (strstr(head, "\r\n\r\n")) {
          respond(&c);
          if (strcasestr(head, "connection: close") && tls_conn_shutdown(&c) == 0)
            rc = 1;
          head_len = 0;
        }
        if (head_len == sizeof head - 1)
          head_len = 0;
      }
      if (r == 0) {
        tls_conn_shutdown(&c);
        rc = 1;
      } else if (r != -EAGAIN) {
        rc = (int)r;
      }
    }
    if (flush_out(&c, fd) < 0)
      break;
  }
  flush_out(&c, fd);
  struct tls_conn_info info;
  tls_conn_info(&c, &info);
  fprintf(stderr, "conn: rc=%d handshake=%d version=%s alpn=%.*s sni=%s reason=%s\n", rc, c.handshake_done,
          info.version, (int)info.alpn_len, info.alpn, info.sni, c.reason);
  tls_conn_free(&c);
  close(fd);
}

static int cmd_serve(int argc, char **argv)
{
  const char *port = argv[0], *storage = argv[1], *default_sni = NULL;
  const char *alpn[8];
  size_t alpn_count = 0;
  struct tls_cert_source certs[16];
  struct tls_ca_leaf leaves[16];
  size_t count = 0;
  struct tls_ca ca;
  char err[256], alpn_arg[256] = "";
  if (ca_open(&ca, storage) < 0)
    return 1;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--alpn") == 0 && i + 1 < argc) {
      snprintf(alpn_arg, sizeof alpn_arg, "%s", argv[++i]);
      for (char *s = strtok(alpn_arg, ","); s && alpn_count < 8; s = strtok(NULL, ","))
        alpn[alpn_count++] = s;
    } else if (strcmp(argv[i], "--default-sni") == 0 && i + 1 < argc) {
      default_sni = argv[++i];
    } else if (count < 16) {
      const char *names[] = {argv[i]};
      if (tls_ca_issue(&ca, names, 1, time(NULL), &leaves[count], err, sizeof err) < 0)
        return fprintf(stderr, "issue: %s\n", err), 1;
      certs[count] = (struct tls_cert_source){.chain_pem = leaves[count].chain_pem, .key_pem = leaves[count].key_pem};
      count++;
    }
  }
  static struct tls_ticket_ring ring;
  tls_ticket_ring_init(&ring, 0, 0, time(NULL));
  struct tls_ctx_config cfg = {.certs = certs, .cert_count = count, .default_sni = default_sni, .alpn = alpn,
                               .alpn_count = alpn_count, .tickets = &ring};
  struct tls_ctx *ctx = tls_ctx_new(&cfg, err, sizeof err);
  if (!ctx)
    return fprintf(stderr, "tls_ctx_new: %s\n", err), 1;
  int lfd = listen_loopback(atoi(port));
  if (lfd < 0)
    return 1;
  fprintf(stderr, "serving with %s\n", tls_library_name());
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
      serve_conn(ctx, fd);
  }
}

int main(int argc, char **argv)
{
  (void)check_failures;
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stderr, NULL, _IOLBF, 0);
  if (argc >= 3 && strcmp(argv[1], "ca-init") == 0) {
    struct tls_ca ca;
    if (ca_open(&ca, argv[2]) < 0)
      return 1;
    printf("%s/root.crt\n", ca.dir);
    tls_ca_close(&ca);
    return 0;
  }
  if (argc >= 5 && strcmp(argv[1], "ca-issue") == 0)
    return cmd_issue(argv[2], argv[3], argv + 4, argc - 4);
  if (argc >= 5 && strcmp(argv[1], "serve") == 0)
    return cmd_serve(argc - 2, argv + 2);
  fprintf(stderr, "usage: tls_test_server ca-init DIR | ca-issue DIR OUT NAME... | serve PORT DIR NAME...\n");
  return 2;
}
