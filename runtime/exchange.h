/* One request from its parsed head to the last byte of its answer: the head,
 * its body, what the program decided that must outlive the next program run
 * (its header ops, the target and record for an upstream), and what carries
 * the answer out (an upstream exchange, a file). A connection holds the exchanges it has in
 * flight: one at a time for HTTP/1.1, many for HTTP/2 later. */
#ifndef ZSRT_EXCHANGE_H
#define ZSRT_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "http.h"
#include "http1.h"

#define EXCHANGE_OPS_CAP 16384       /* header op and target bytes kept per exchange */

struct upstream;                     /* proxy.c */

/* where an exchange is between its head and its last byte */
enum exchange_phase {
  EXCHANGE_IDLE = 0,                 /* none in flight: the connection reads heads */
  EXCHANGE_FILE,                     /* a file body is being read and sent */
  EXCHANGE_BODY_WAIT,                /* its body is being gathered for an upstream */
  EXCHANGE_PROXY,                    /* an upstream exchange is in progress */
};

/* a header op of the decision, kept as offsets into the exchange's bytes */
struct exchange_op {
  enum zs_header_op op;
  uint32_t name_off, name_len, value_off, value_len;
};

struct exchange {
  enum exchange_phase phase;
  struct http_request req;           /* zero-copy slices into the connection's input */
  int resp_keep_alive;               /* the answer may leave the connection open */
  unsigned proxy_id;                 /* the decision's reverse_proxy record */
  uint32_t target_off, target_len;   /* the URI to send upstream, in op_bytes */
  struct upstream *up;               /* the upstream connection serving it, or NULL */
  /* its body: discarded, or gathered for an upstream */
  int body_active;
  int body_chunked;
  int64_t body_left;                 /* Content-Length bytes still to come */
  struct http1_chunked chunk;
  size_t body_kept;                  /* decoded body bytes gathered at in + body_start */
  size_t body_start;
  /* a file answer */
  int file_fd;
  uint64_t file_off, file_left;
  struct exchange_op ops[EXEC_MAX_HEADER_OPS];
  size_t op_count;
  char op_bytes[EXCHANGE_OPS_CAP];
  size_t op_used;
};

/* copies the decision's header ops into the exchange (they must outlive
 * the decision, which the next request overwrites); 0 or -ENOSPC */
int exchange_keep_ops(struct exchange *ex, const struct exec_decision *dec);

/* rebuilds the kept ops as a decision's op list, for response_apply_ops */
void exchange_ops_to_decision(const struct exchange *ex, struct exec_decision *dec);

#endif
