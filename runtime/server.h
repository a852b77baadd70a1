/* The network server: one worker thread per core, each with its own io_uring,
 * SO_REUSEPORT listeners, cage and upstream pools; the main thread handles
 * signals: SIGHUP reloads the blob, SIGTERM/SIGINT drain, a second one stops
 * at once. */
#ifndef ZSRT_SERVER_H
#define ZSRT_SERVER_H

#include <stddef.h>

struct blob;

struct server_options {
  int workers;                 /* 0: one per online core */
  int header_timeout_ms;       /* time to read a request head (default 10 s) */
  int idle_timeout_ms;         /* keep-alive idle time (default 60 s) */
  int send_timeout_ms;         /* a client taking no output for this long is closed (60 s) */
  long long max_body;          /* request body limit, 413 beyond (default 10 MiB) */
  const char *blob_path;       /* re-read on SIGHUP; NULL: no reload */
  int reuse_port;              /* share ports another process holds (else refuse to start) */
  const char *pidfile;         /* written at start, for `zsrt reload` */
  const char *user, *group;    /* drop root to these once the listeners are bound */
  int no_sandbox;              /* no seccomp, Landlock or io_uring restrictions */
  const char *const *allow_read;   /* more read-only trees for Landlock (--allow-read) */
  size_t allow_read_count;
  /* checks a blob before it is served (signature), at start and reload;
   * 0, or -1 with the reason in err */
  int (*check_blob)(void *arg, const char *path, const struct blob *b, char *err, size_t err_len);
  void *check_arg;
};

/* Serves blob (which the caller keeps open) until SIGTERM or SIGINT, then
 * stops gracefully. 0 or -errno. */
int server_run(const struct blob *blob, const struct server_options *opt);

#endif
