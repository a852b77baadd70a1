/* Log lines in Caddy's JSON shape on stderr: {"level","ts" (float seconds),
 * "logger","msg", then fields}, one write(2) per line, built in a caller-owned
 * buffer (one per worker, or on the stack): no malloc, no shared state.
 * Loggers zsrt uses (docs/manual.md): "http.handlers.zsrt" traps,
 * "http.log.error" 5xx answers (502 from reverse_proxy), "admin.api" reloads,
 * none (as Caddy) for start and stop. A line that does not fit LOG_LINE_MAX
 * loses its last fields, never its closing brace. */
#ifndef ZSRT_LOG_H
#define ZSRT_LOG_H

#include <stddef.h>

#define LOG_LINE_MAX 4096

struct http_request;
struct conn_info;

struct worker_log {
  char buf[LOG_LINE_MAX];
  size_t len;
  int full;                    /* a field did not fit: later ones are dropped */
  unsigned long long errors;   /* err_id counter of http.log.error lines */
  int worker;                  /* the worker's id, part of err_id */
};

/* a line: log_begin, any log_str / log_int / log_num fields, log_end.
 * logger may be NULL (Caddy's default logger has no name). */
void log_begin(struct worker_log *l, const char *level, const char *logger, const char *msg);
void log_str(struct worker_log *l, const char *key, const char *value, size_t len);
void log_cstr(struct worker_log *l, const char *key, const char *value);
void log_int(struct worker_log *l, const char *key, long long value);
void log_num(struct worker_log *l, const char *key, double value);
/* nanoseconds as zap writes a duration in seconds: "0.000123" */
void log_seconds(struct worker_log *l, const char *key, unsigned long long ns);
void log_end(struct worker_log *l);

/* the line closed ("}\n") and its length, left in buf for the caller to write */
size_t log_close(struct worker_log *l);

/* raw JSON pieces: bytes as they are, a JSON string, ",\"key\":" */
void log_put(struct worker_log *l, const char *s, size_t n);
void log_put_string(struct worker_log *l, const char *s, size_t n);
void log_key(struct worker_log *l, const char *key);

#define LOG_TAIL_ROOM 512       /* kept free for the fields after "request" */

/* a header list to log, whatever holds it (request or response fields) */
struct log_header_view {
  const void *list;
  size_t count;
  void (*get)(const void *list, size_t i, const char **name, size_t *name_len, const char **value,
              size_t *value_len);
  int skip_host;               /* a request's Host is not a header to Go */
};

/* {"Name":[values]} as Caddy logs Go's http.Header: repeated names merged,
 * credentials (Cookie, Set-Cookie, Authorization, Proxy-Authorization) as [];
 * stops before the line has less than tail_room left */
void log_header_object(struct worker_log *l, const struct log_header_view *v, size_t tail_room);
void log_header_values(struct worker_log *l, const char *name, size_t name_len, const struct log_header_view *v);

/* ,"request":{remote_ip, remote_port, client_ip, proto, method, host, uri, headers, tls} */
void log_request(struct worker_log *l, const struct http_request *req, const struct conn_info *conn);

/* one whole line without fields */
void log_line(struct worker_log *l, const char *level, const char *logger, const char *msg);

/* Caddy's "http.log.error" line for an error answer: msg, the request object
 * (remote_ip, remote_port, proto, method, host, uri, headers), duration
 * (seconds, 0 when unknown), status, err_id, err_trace. */
void log_http_error(struct worker_log *l, const struct http_request *req,
                    const struct conn_info *conn, int status, const char *msg, double duration);

#endif
