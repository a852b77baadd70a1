/* Test client: one FastCGI request written and read with zsrt's codec over a
 * blocking socket, so the codec meets a real application (php-fpm) before
 * the proxy drives it. Usage: fastcgi_probe ADDR ROOT METHOD PATH QUERY
 * BODY_BYTES [FIELD: VALUE]...; ADDR is 127.0.0.1:PORT or a socket path.
 * Prints the status, the head's fields, a blank line and the body; STDERR
 * records go to stderr. Exits 0, or 1 when the exchange failed. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/fastcgi_env.h"

static uint8_t params[1 << 17];
static char scratch[1 << 16], in[1 << 22], out[1 << 22];

static int dial(const char *addr)
{
  const char *colon = strrchr(addr, ':');
  if (addr[0] == '/') {
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s", addr);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    return connect(fd, (struct sockaddr *)&un, sizeof un) == 0 ? fd : -1;
  }
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  return connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0 ? fd : -1;
}

static int send_all(int fd, const void *p, size_t n)
{
  for (size_t off = 0; off < n;) {
    ssize_t w = write(fd, (const char *)p + off, n - off);
    if (w <= 0)
      return -1;
    off += (size_t)w;
  }
  return 0;
}

/* the body in STDIN records of at most FASTCGI_MAX_CONTENT bytes, then the empty one */
static int send_body(int fd, size_t len)
{
  static char chunk[FASTCGI_MAX_CONTENT];
  static const char pad[8];
  uint8_t h[FASTCGI_HEADER_LEN];
  for (size_t sent = 0; sent < len;) {
    size_t n = len - sent < sizeof chunk ? len - sent : sizeof chunk;
    for (size_t i = 0; i < n; i++)
      chunk[i] = (char)('a' + (sent + i) % 26);
    size_t padding = fastcgi_record_header(h, FASTCGI_STDIN, n);
    if (send_all(fd, h, sizeof h) || send_all(fd, chunk, n) || send_all(fd, pad, padding))
      return -1;
    sent += n;
  }
  fastcgi_record_header(h, FASTCGI_STDIN, 0);
  return send_all(fd, h, sizeof h);
}

/* reads to the end, keeping unconsumed bytes at the front as the proxy does */
static int read_answer(int fd, size_t *out_len)
{
  struct fastcgi_stream st = {0};
  size_t have = 0;
  *out_len = 0;
  for (;;) {
    ssize_t r = read(fd, in + have, sizeof in - have);
    if (r <= 0)
      return st.ended ? 0 : -1;
    have += (size_t)r;
    size_t off = 0;
    struct fastcgi_piece p;
    int rc;
    while ((rc = fastcgi_stream_next(&st, in + off, have - off, &p)) > 0) {
      if (p.type == FASTCGI_STDOUT)
        memcpy(out + *out_len, p.data, p.len), *out_len += p.len;
      if (p.type == FASTCGI_STDERR)
        fprintf(stderr, "%.*s", (int)p.len, p.data);
      off += (size_t)rc;
      if (st.ended)
        return 0;
    }
    if (rc == -1)
      return -1;
    memmove(in, in + off, have - off);
    have -= off;
  }
}

int main(int argc, char **argv)
{
  if (argc < 7)
    return 1;
  static struct http_request req;
  req.method = argv[3], req.method_len = strlen(argv[3]);
  req.version_minor = 1, req.host = "example.test:8080", req.host_len = 17;
  req.content_length = atoll(argv[6]);
  for (int i = 7; i < argc && req.header_count < HTTP_MAX_HEADERS; i++) {
    char *colon = strchr(argv[i], ':');
    req.headers[req.header_count++] = (struct http_header){argv[i], (size_t)(colon - argv[i]), colon + 2, strlen(colon + 2)};
  }
  static const struct fastcgi_text split = {".php", 4};
  struct fastcgi_env_config cfg = {.root = {argv[2], strlen(argv[2])}, .split_paths = &split, .split_count = 1,
                                   .server_software = {"Caddy/v2.6.2", 12}};
  struct fastcgi_env_request env = {.req = &req, .path = {argv[4], strlen(argv[4])}, .query = {argv[5], strlen(argv[5])},
                                    .request_uri = {argv[4], strlen(argv[4])}, .remote_ip = {"127.0.0.1", 9},
                                    .remote_port = {"4000", 4}};
  struct fastcgi_params p;
  uint8_t begin[FASTCGI_BEGIN_LEN];
  fastcgi_begin_request(begin);
  fastcgi_params_init(&p, params, sizeof params);
  int fd = dial(argv[1]);
  size_t out_len;
  if (fd < 0 || fastcgi_env_build(&cfg, &env, &p, scratch, sizeof scratch) != 0 || send_all(fd, begin, sizeof begin) ||
      send_all(fd, params, p.len) || send_body(fd, (size_t)req.content_length) || read_answer(fd, &out_len))
    return fprintf(stderr, "fastcgi_probe: the exchange failed\n"), 1;
  static struct fastcgi_head head;
  int head_len = fastcgi_parse_head(out, out_len, 1, &head);
  if (head_len < 0)
    return fprintf(stderr, "fastcgi_probe: bad head (%d)\n", head_len), 1;
  printf("status %d\n", head.status);
  for (size_t i = 0; i < head.header_count; i++)
    printf("%.*s: %.*s\n", (int)head.headers[i].name_len, head.headers[i].name, (int)head.headers[i].value_len,
           head.headers[i].value);
  printf("\n");
  fwrite(out + head_len, 1, out_len - (size_t)head_len, stdout);
  return 0;
}
