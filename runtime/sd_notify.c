/* sd_notify and socket activation (sd_notify.h), without libsystemd: the
 * protocol is a datagram on a unix socket named by NOTIFY_SOCKET (a leading
 * '@' is the abstract namespace) and LISTEN_PID / LISTEN_FDS. */
#include "sd_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sd_notifier_open(struct sd_notifier *n)
{
  memset(n, 0, sizeof *n);
  n->fd = -1;
  const char *path = getenv("NOTIFY_SOCKET");
  if (!path || !*path)
    return 0;
  size_t len = strlen(path);
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof n->addr.sun_path)
    return -EINVAL;
  n->addr.sun_family = AF_UNIX;
  memcpy(n->addr.sun_path, path, len);
  if (path[0] == '@')
    n->addr.sun_path[0] = '\0';
  n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  return n->fd < 0 ? -errno : 0;
}

void sd_notifier_close(struct sd_notifier *n)
{
  if (n->fd >= 0)
    close(n->fd);
  n->fd = -1;
}

void sd_notify_state(struct sd_notifier *n, const char *state)
{
  if (n->fd < 0)
    return;
  char msg[256];
  int len = snprintf(msg, sizeof msg, "%s", state);
  if (strcmp(state, "RELOADING=1") == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    len = snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
                   (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u);
  }
  if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&n->addr, n->addr_len) < 0)
    fprintf(stderr, "zsrt: sd_notify %s: %s\n", state, strerror(errno));
}

int sd_listen_fds(void)
{
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
  int count = 0;
  if (pid && fds && strtol(pid, NULL, 10) == (long)getpid()) {
    long n = strtol(fds, NULL, 10);
    count = n > 0 && n < 256 ? (int)n : 0;
  }
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  for (int i = 0; i < count; i++)
    fcntl(3 + i, F_SETFD, FD_CLOEXEC);
  return count;
}
