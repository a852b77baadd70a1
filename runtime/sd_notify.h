/* systemd's service protocol: readiness datagrams to $NOTIFY_SOCKET
 * (READY=1, RELOADING=1 with MONOTONIC_USEC, STOPPING=1) and the sockets of
 * socket activation ($LISTEN_FDS for this $LISTEN_PID, from fd 3 on). Written
 * by hand: it is two environment variables and one datagram. */
#ifndef ZSRT_SD_NOTIFY_H
#define ZSRT_SD_NOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

struct sd_notifier {
  int fd;                      /* -1: not under systemd (no NOTIFY_SOCKET) */
  struct sockaddr_un addr;
  socklen_t addr_len;
};

/* opens the socket now (before any sandbox); 0, or -errno for a bad address */
int sd_notifier_open(struct sd_notifier *n);
void sd_notifier_close(struct sd_notifier *n);
/* sends state ("READY=1", ...); RELOADING=1 gets MONOTONIC_USEC added */
void sd_notify_state(struct sd_notifier *n, const char *state);

/* the number of sockets systemd passed (fds 3..3+n-1), 0 when none or not
 * for this process; the variables are unset so children do not inherit them */
int sd_listen_fds(void);

#endif
