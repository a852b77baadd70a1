/* Running a request through the blob: builds the request view in the cage,
 * calls the server's entry, and returns the decision. No I/O happens here:
 * the event loop (or --run-request) carries the decision out. */
#ifndef ZSRT_EXEC_H
#define ZSRT_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "../abi/helpers.h"
#include "http.h"

#define EXEC_MAX_HEADER_OPS 64
#define EXEC_MAX_BODY       (256 * 1024)
#define EXEC_MAX_VALUE      (16 * 1024)
#define EXEC_WALL_MS        500          /* a request's program runs at most this long */

struct exec_header_op {
  enum zs_header_op op;
  const char *name;            /* point into the decision's own storage */
  size_t name_len;
  const char *value;
  size_t value_len;
  unsigned target;             /* 0: the response, ZS_HDR_UP or ZS_HDR_DOWN (a proxy's) */
  int deferred;                /* a deferred op of the response (ZS_HDR_DEFERRED) */
  int required;                /* guarded by the REQUIRE_* ops just before it (ZS_HDR_REQUIRED) */
  int dropped;                 /* deferred, and a handler's error came first: not applied */
  unsigned index;              /* REPLACE: its search in the proxy record's replace_str */
};

#define EXEC_MAX_CAPTURES   128

/* a regexp matcher's capture group: {http.regexp.NAME.GROUP} */
struct exec_capture {
  unsigned key;                /* name << 16 | group */
  const char *text;            /* storage */
  size_t len;
};

struct exec_decision {
  enum zs_action_kind action;  /* RESPOND, FILE, PROXY or NEXT */
  unsigned action_id;          /* FILE: file_server record, PROXY: proxy record */
  int status;                  /* RESPOND: status set by the program (0: 200) */
  int trapped;                 /* 1: the program trapped; the answer is a 500 */
  unsigned trap_code;          /* enum zs_trap_code */
  struct exec_header_op ops[EXEC_MAX_HEADER_OPS];
  size_t op_count;             /* response header ops in program order */
  char *body;                  /* RESPOND: body bytes (worker-owned, valid until the next exec) */
  size_t body_len;
  char *path;                  /* the request path after rewrites (handle_path), decoded */
  size_t path_len;
  const char *orig_path;       /* the decoded path as sent, before any rewrite */
  size_t orig_path_len;
  int log_skip;                /* the program set log_skip (log_skip, skip_log): no access log line */
  int64_t max_body;            /* request_body max_size: the most a proxied body may have; 0: none */
  struct http_request req_edit; /* the request's fields as the headers handler's request ops left
                                   them (request_headers.c); exec_request puts them back in its request */
  const char *user_id;         /* http.auth.user.id: the user basic_auth let in, else NULL */
  size_t user_id_len;
  unsigned encode;             /* 1 + the encoder record of the last encode handler run, 0: none */
  char *root;                  /* the root variable if the program set one, else NULL */
  size_t root_len;
  const char *file_vars[4];    /* http.matchers.file.relative, absolute, type, remainder */
  size_t file_var_len[4];      /* (storage; NULL until a file matcher matched) */
  int error_status;            /* the error being handled (the errors entry ran), 0: none */
  const char *error_message;   /* http.error.message (storage) */
  size_t error_message_len;
  char error_id[16];           /* http.error.id: nine characters, as Caddy's */
  struct exec_capture captures[EXEC_MAX_CAPTURES];
  size_t capture_count;
  const char *upstream_method; /* reverse_proxy rewrite's method, uppercased (storage), else NULL */
  size_t upstream_method_len;
  const char *uri_before;      /* the escaped path and query when that method was set (storage) */
  size_t uri_before_len;
  int upstream_no_body;        /* the rewrite to GET or HEAD changed the request: it goes up without a body */
  const char *query;           /* the query a rewrite set (view memory), when query_set */
  size_t query_len;
  int query_set;
  const char *user_vars[ZS_VAR_USER_COUNT];   /* {vars.NAME} an ebpf program set (storage), else NULL */
  size_t user_var_len[ZS_VAR_USER_COUNT];
  char storage[EXEC_MAX_BODY + 4 * EXEC_MAX_VALUE];  /* backing bytes for the above */
  size_t storage_used;
};

/* a cheap monotonic clock in milliseconds (the coarse clock: a vDSO read) */
uint64_t exec_clock_ms(void);

struct blob;                   /* loader.h */
struct cage;                   /* cage.h */

/* Creates a worker's cage for a blob: its rodata, the helper table, its
 * code registered for the fault handler, and the blob's regular expressions
 * compiled for this worker. 0 or -errno (cage_create, regex_set_create). */
int exec_cage_create(struct cage *cage, const struct blob *blob);
void exec_cage_destroy(struct cage *cage);

/* Runs the entry of `server` for one request. Returns 0 and fills *out, or a
 * negative errno when the request cannot be presented to the program:
 * -EINVAL for a request Go's server refuses with 400 (bad escape in the path,
 * a target that is not origin- or absolute-form, HTTP/1.1 without Host),
 * -E2BIG when it does not fit the request view (answer 431), -ENOENT for a
 * server index outside the blob. A trap is not an error: out->trapped is set
 * (also for an r0 that names no valid action). The headers handler's request
 * ops edit req's header fields, as Caddy's edit r.Header. */
int exec_request(const struct blob *blob, struct cage *cage, unsigned server,
                 struct http_request *req, const struct conn_info *conn,
                 struct exec_decision *out);

/* exec_request for a caller that verifies basic_auth passwords (auth.h):
 * an action ZS_ACT_AUTH_WAIT leaves the password to verify in
 * auth->pending; run the request again once it is known. auth NULL: every
 * basic_auth waits, and the caller answers 500. */
struct exec_auth;
int exec_request_auth(const struct blob *blob, struct cage *cage, unsigned server,
                      struct http_request *req, const struct conn_info *conn,
                      struct exec_decision *out, struct exec_auth *auth);
/* Caddy's error handling (server.go ServeHTTP) for a handler's error of
 * `status` whose message is msg (NULL: the status text): the request is
 * restored as it was sent, the error is set for {http.error.*}, and the
 * server's errors entry runs, its decision replacing dec (header ops set
 * before the error are kept, deferred ones are dropped). A server without
 * error routes answers the status with no body (dec becomes NEXT with
 * error_status set). Only valid right after exec_request on this cage.
 * 0 or a negative errno as exec_request. */
int exec_error(const struct blob *blob, struct cage *cage, unsigned server, const struct http_request *req,
               const struct conn_info *conn, struct exec_decision *dec, int status, const char *msg,
               size_t msg_len);

#endif
