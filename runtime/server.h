/* The network server: one worker thread per core, each with its own io_uring,
 * SO_REUSEPORT listeners, cage and upstream pools. */
#ifndef ZSRT_SERVER_H
#define ZSRT_SERVER_H

struct blob;

struct server_options {
  int workers;                 /* 0: one per online core */
  int header_timeout_ms;       /* time to read a request head (default 10 s) */
  int idle_timeout_ms;         /* keep-alive idle time (default 60 s) */
  int send_timeout_ms;         /* a client taking no output for this long is closed (60 s) */
  long long max_body;          /* request body limit, 413 beyond (default 10 MiB) */
};

/* Serves until SIGTERM or SIGINT, then stops gracefully. 0 or -errno. */
int server_run(const struct blob *blob, const struct server_options *opt);

#endif
