/* ceiling: the fastest HTTP/1.1 answer this core can give, for the benchmark report.
 * One io_uring, multishot accept, one recv per connection, one fixed response buffer
 * sent per request, keep-alive. Bench-only: it parses nothing but the end of a
 * request head and a "Connection: close" header; it is no server. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
  CEILING_MAX_FDS = 65536,
  CEILING_BUF_LEN = 8192,
  CEILING_MAX_BODY = 16 << 20,
  CEILING_RING_ENTRIES = 4096,
};

enum ceiling_op { CEILING_OP_ACCEPT = 1, CEILING_OP_RECV, CEILING_OP_SEND };

struct ceiling_response {
  char *keep;                  /* the response for keep-alive requests */
  size_t keep_len;
  char *close;                 /* the same with "Connection: close" */
  size_t close_len;
};

struct ceiling_conn {
  size_t len;                  /* bytes buffered in buf */
  size_t sent;                 /* bytes of the current response already sent */
  unsigned pending;            /* complete requests not answered yet */
  int closing;                 /* the last request asked to close */
  char buf[CEILING_BUF_LEN];
};

struct ceiling {
  struct io_uring ring;
  int listen_fd;
  struct ceiling_response resp;
  struct ceiling_conn **conns; /* indexed by fd, allocated on first use */
};

static volatile sig_atomic_t ceiling_stop;

static void ceiling_on_signal(int sig)
{
  (void)sig;
  ceiling_stop = 1;
}

static uint64_t ceiling_tag(int fd, enum ceiling_op op)
{
  return ((uint64_t)(uint32_t)fd << 8) | (uint64_t)op;
}

static struct io_uring_sqe *ceiling_get_sqe(struct ceiling *c)
{
  struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
  if (!sqe) {
    io_uring_submit(&c->ring);
    sqe = io_uring_get_sqe(&c->ring);
  }
  return sqe;
}

static void ceiling_arm_accept(struct ceiling *c)
{
  struct io_uring_sqe *sqe = ceiling_get_sqe(c);
  io_uring_prep_multishot_accept(sqe, c->listen_fd, NULL, NULL, 0);
  io_uring_sqe_set_data64(sqe, ceiling_tag(c->listen_fd, CEILING_OP_ACCEPT));
}

static void ceiling_arm_recv(struct ceiling *c, int fd)
{
  struct ceiling_conn *conn = c->conns[fd];
  struct io_uring_sqe *sqe = ceiling_get_sqe(c);
  io_uring_prep_recv(sqe, fd, conn->buf + conn->len, sizeof conn->buf - conn->len, 0);
  io_uring_sqe_set_data64(sqe, ceiling_tag(fd, CEILING_OP_RECV));
}

static void ceiling_arm_send(struct ceiling *c, int fd)
{
  struct ceiling_conn *conn = c->conns[fd];
  const char *data = conn->closing && conn->pending == 1 ? c->resp.close : c->resp.keep;
  size_t len = conn->closing && conn->pending == 1 ? c->resp.close_len : c->resp.keep_len;
  struct io_uring_sqe *sqe = ceiling_get_sqe(c);
  io_uring_prep_send(sqe, fd, data + conn->sent, len - conn->sent, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, ceiling_tag(fd, CEILING_OP_SEND));
}

/* Counts the complete request heads at the front of the buffer and drops them;
 * the requests the benchmark sends carry no body. */
static void ceiling_take_requests(struct ceiling_conn *conn)
{
  char *start = conn->buf;
  size_t left = conn->len;
  char *end;
  while ((end = memmem(start, left, "\r\n\r\n", 4)) != NULL) {
    size_t head_len = (size_t)(end - start) + 4;
    char saved = start[head_len - 1];
    start[head_len - 1] = '\0';
    if (strcasestr(start, "\nconnection: close"))
      conn->closing = 1;
    start[head_len - 1] = saved;
    conn->pending++;
    start += head_len;
    left -= head_len;
  }
  memmove(conn->buf, start, left);
  conn->len = left;
}

static void ceiling_close(struct ceiling *c, int fd)
{
  struct ceiling_conn *conn = c->conns[fd];
  conn->len = conn->sent = conn->pending = 0;
  conn->closing = 0;
  close(fd);
}

static void ceiling_on_accept(struct ceiling *c, struct io_uring_cqe *cqe)
{
  int fd = cqe->res;
  if (!(cqe->flags & IORING_CQE_F_MORE))
    ceiling_arm_accept(c);
  if (fd < 0)
    return;
  if (fd >= CEILING_MAX_FDS) {
    close(fd);
    return;
  }
  if (!c->conns[fd] && !(c->conns[fd] = calloc(1, sizeof *c->conns[fd]))) {
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ceiling_arm_recv(c, fd);
}

static void ceiling_on_recv(struct ceiling *c, int fd, int res)
{
  struct ceiling_conn *conn = c->conns[fd];
  if (res <= 0) {
    ceiling_close(c, fd);
    return;
  }
  conn->len += (size_t)res;
  ceiling_take_requests(conn);
  if (conn->pending)
    ceiling_arm_send(c, fd);
  else if (conn->len == sizeof conn->buf)
    ceiling_close(c, fd);      /* a head larger than the buffer: not a benchmark request */
  else
    ceiling_arm_recv(c, fd);
}

static void ceiling_on_send(struct ceiling *c, int fd, int res)
{
  struct ceiling_conn *conn = c->conns[fd];
  int last = conn->closing && conn->pending == 1;
  size_t len = last ? c->resp.close_len : c->resp.keep_len;
  if (res <= 0) {
    ceiling_close(c, fd);
    return;
  }
  conn->sent += (size_t)res;
  if (conn->sent < len) {
    ceiling_arm_send(c, fd);
    return;
  }
  conn->sent = 0;
  conn->pending--;
  if (last)
    ceiling_close(c, fd);
  else if (conn->pending)
    ceiling_arm_send(c, fd);
  else
    ceiling_arm_recv(c, fd);
}

static void ceiling_dispatch(struct ceiling *c, struct io_uring_cqe *cqe)
{
  int fd = (int)(cqe->user_data >> 8);
  switch ((enum ceiling_op)(cqe->user_data & 0xff)) {
  case CEILING_OP_ACCEPT: ceiling_on_accept(c, cqe); break;
  case CEILING_OP_RECV: ceiling_on_recv(c, fd, cqe->res); break;
  case CEILING_OP_SEND: ceiling_on_send(c, fd, cqe->res); break;
  }
}

static int ceiling_loop(struct ceiling *c)
{
  ceiling_arm_accept(c);
  while (!ceiling_stop) {
    int ret = io_uring_submit_and_wait(&c->ring, 1);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
      return ret;
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&c->ring, head, cqe) {
      ceiling_dispatch(c, cqe);
      seen++;
    }
    io_uring_cq_advance(&c->ring, seen);
  }
  return 0;
}

static int ceiling_listen(int port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4096) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

/* Reads the whole body file; the benchmark files are small enough to hold. */
static int ceiling_read_file(const char *path, char **out, size_t *out_len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > CEILING_MAX_BODY) {
    int err = fd < 0 ? -errno : -EFBIG;
    if (fd >= 0)
      close(fd);
    return err;
  }
  char *data = malloc((size_t)st.st_size + 1);
  ssize_t got = data ? read(fd, data, (size_t)st.st_size) : -1;
  close(fd);
  if (got != st.st_size) {
    free(data);
    return -EIO;
  }
  *out = data;
  *out_len = (size_t)got;
  return 0;
}

static char *ceiling_format(const char *type, const char *extra, const char *body,
                            size_t body_len, size_t *out_len)
{
  char head[512];
  int head_len = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nServer: ceiling\r\nContent-Type: %s\r\n"
                          "Content-Length: %zu\r\n%s\r\n", type, body_len, extra);
  char *resp = malloc((size_t)head_len + body_len);
  if (!resp)
    return NULL;
  memcpy(resp, head, (size_t)head_len);
  memcpy(resp + head_len, body, body_len);
  *out_len = (size_t)head_len + body_len;
  return resp;
}

static int ceiling_build_response(struct ceiling_response *resp, const char *body_path,
                                  const char *type)
{
  char *body = "Hello, World!";
  size_t body_len = strlen(body);
  if (body_path) {
    int err = ceiling_read_file(body_path, &body, &body_len);
    if (err < 0)
      return err;
  }
  resp->keep = ceiling_format(type, "", body, body_len, &resp->keep_len);
  resp->close = ceiling_format(type, "Connection: close\r\n", body, body_len, &resp->close_len);
  if (body_path)
    free(body);
  return resp->keep && resp->close ? 0 : -ENOMEM;
}

static int ceiling_setup_ring(struct io_uring *ring)
{
  struct io_uring_params params = { .flags = IORING_SETUP_SINGLE_ISSUER |
                                             IORING_SETUP_DEFER_TASKRUN };
  int ret = io_uring_queue_init_params(CEILING_RING_ENTRIES, ring, &params);
  if (ret == -EINVAL) {
    memset(&params, 0, sizeof params);
    ret = io_uring_queue_init_params(CEILING_RING_ENTRIES, ring, &params);
  }
  return ret;
}

static void ceiling_usage(void)
{
  fprintf(stderr, "usage: ceiling --port PORT [--body FILE] [--type CONTENT-TYPE]\n"
                  "Answers every request on 127.0.0.1:PORT with the same 200 response.\n");
}

static void ceiling_install_signals(void)
{
  struct sigaction sa = { .sa_handler = ceiling_on_signal };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
  int port = 0;
  const char *body_path = NULL, *type = "text/plain; charset=utf-8";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--body")) body_path = argv[i + 1];
    else if (!strcmp(argv[i], "--type")) type = argv[i + 1];
  }
  if (port <= 0 || port > 65535 || argc % 2 == 0) {
    ceiling_usage();
    return 2;
  }
  static struct ceiling c;
  int err = ceiling_build_response(&c.resp, body_path, type);
  c.conns = calloc(CEILING_MAX_FDS, sizeof *c.conns);
  if (err < 0 || !c.conns) {
    fprintf(stderr, "ceiling: %s: %s\n", body_path ? body_path : "body", strerror(-err));
    return 1;
  }
  if ((c.listen_fd = ceiling_listen(port)) < 0 || (err = ceiling_setup_ring(&c.ring)) < 0) {
    err = c.listen_fd < 0 ? c.listen_fd : err;
    fprintf(stderr, "ceiling: 127.0.0.1:%d: %s\n", port, strerror(-err));
    return 1;
  }
  ceiling_install_signals();
  err = ceiling_loop(&c);
  /* The ring's multishot accept holds the listener until the kernel tears the ring
   * down after exit; shutdown frees the port now, for the next server on it. */
  shutdown(c.listen_fd, SHUT_RDWR);
  io_uring_queue_exit(&c.ring);
  if (err < 0)
    fprintf(stderr, "ceiling: io_uring: %s\n", strerror(-err));
  return err < 0 ? 1 : 0;
}
