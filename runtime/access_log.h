/* Access logs as Caddy writes them ("handled request", logger
 * http.log.access[.NAME]): the outputs are opened by the main thread before
 * the sandbox closes; each worker appends lines to its own buffers, written
 * by io_uring, and drops (and counts) lines when an output cannot keep up. */
#ifndef ZSRT_ACCESS_LOG_H
#define ZSRT_ACCESS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "log_roll.h"
#include "loop.h"

#define ACCESS_LOG_MAX_LOGGERS 31            /* bits of access_log.loggers (0..30) */
#define ACCESS_LOG_BUF         (1024 * 1024)  /* bytes per output buffer, two per output per worker: 70 ms of lines at 30k req/s */
#define ACCESS_LOG_OP_WRITE    (LOOP_OP_MODULE + 3)   /* after the proxy's ops */

struct blob;
struct exchange;
struct response;

/* the file descriptor of each logger row (-1: discard), opened once */
struct access_log_files {
  int fds[ACCESS_LOG_MAX_LOGGERS];
  int owned[ACCESS_LOG_MAX_LOGGERS];   /* a file this opened (not stdout or stderr) */
  struct log_roll *roll[ACCESS_LOG_MAX_LOGGERS];   /* a file that rolls: its fd is roll's */
  struct log_roll rolls[ACCESS_LOG_MAX_LOGGERS];
  struct log_roller roller;    /* the thread that rolls them */
  unsigned count;
};

/* opens what the blob's loggers write to; 0 or -errno with the file in err */
int access_log_files_open(struct access_log_files *f, const struct blob *b, char *err, size_t errcap);
/* the roller thread, when a file rolls: started after Landlock (so it is
 * confined too) and before seccomp (it clones); 0 or -errno */
int access_log_files_start(struct access_log_files *f);
void access_log_files_close(struct access_log_files *f);

/* the worker's buffers and its write op; no logger rows: nothing is set up */
int access_log_worker_init(struct worker *w, const struct access_log_files *f);

/* the end of one exchange: its line to every logger its server's row names.
 * size: body bytes sent (or to be sent); bytes_read: request body bytes */
void access_log_exchange(struct worker *w, unsigned server, const struct conn_info *info,
                         const struct exchange *ex, const struct response *resp, int64_t size,
                         int64_t bytes_read);

/* the same for an answer on a client connection (HTTP/1.1, HTTP/2) whose
 * response is resp (NULL: none was made, as for an abort) */
struct conn;
void access_log_answer(struct worker *w, const struct conn *c, const struct exchange *ex,
                       const struct response *resp);

#endif
