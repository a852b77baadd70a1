/* kTLS: whether this kernel has the `tls` upper-layer protocol, probed on a
 * connected loopback pair (the ULP only attaches to established sockets).
 * The key hand-off is not done: with memory BIOs neither library exports the
 * record sequence numbers and keys (docs/tls.md), so connections stay on the
 * memory path, which is what a kernel without the ULP needs anyway. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_int.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/* a connected pair on 127.0.0.1: fds[0] the client end, fds[1] the server end */
static int ktls_loopback_pair(int fds[2])
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0)
    return -errno;
  int r = 0;
  fds[0] = fds[1] = -1;
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
      getsockname(l, (struct sockaddr *)&a, &alen) < 0)
    r = -errno;
  fds[0] = r ? -1 : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!r && (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof a) < 0))
    r = -errno;
  fds[1] = r ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
  if (!r && fds[1] < 0)
    r = -errno;
  close(l);
  if (r && fds[0] >= 0)
    close(fds[0]);
  return r;
}

int tls_ktls_probe(char *reason, size_t cap)
{
  int fds[2] = {-1, -1};
  int r = ktls_loopback_pair(fds);
  if (r < 0) {
    snprintf(reason, cap, "probe socket: %s", strerror(-r));
    return r;
  }
  int ok = setsockopt(fds[1], SOL_TCP, TCP_ULP, "tls", sizeof "tls") == 0;
  int e = errno;
  close(fds[0]);
  close(fds[1]);
  if (ok) {
    snprintf(reason, cap, "kernel offers the tls ULP");
    return 1;
  }
  snprintf(reason, cap, "no kernel TLS: setsockopt(TCP_ULP, \"tls\"): %s%s", strerror(e),
           e == ENOENT ? " (tls module not loaded or not built)" : "");
  return 0;
}

int tls_conn_ktls_offload(struct tls_conn *c, int fd)
{
  (void)fd;
  snprintf(c->reason, sizeof c->reason, "kTLS hand-off unsupported over memory BIOs; staying on the memory path");
  return -EOPNOTSUPP;
}
