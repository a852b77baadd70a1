/* Access log lines (access_log.h): which rows of the server apply to a
 * request's host, the line in Caddy's JSON or console shape, and the
 * per-worker double buffer per output that io_uring writes. A line that
 * finds the buffer full is dropped and counted, never waited for. */
#include "access_log.h"
#include "log_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "exchange.h"
#include "loader.h"
#include "response.h"

struct access_out {
  char *buf[2];                /* [fill]: appended to; the other: being written */
  size_t len[2];
  int fill;
  int writing;                 /* a write of buf[!fill] is in flight */
  size_t written;              /* of it, done so far (short writes) */
  int fd;                      /* where it goes: a rolled file's current one */
  unsigned slot;               /* the rolled file's generation it was reserved in */
};

struct access_log {
  const struct access_log_files *files;
  struct access_out outs[ACCESS_LOG_MAX_LOGGERS];
  uint64_t dropped, reported;
  uint64_t report_ms;
  struct worker_log line;      /* the line in Caddy's default shape */
  struct worker_log shaped;    /* a logger's own, when its encoder options differ */
};

int access_log_files_open(struct access_log_files *f, const struct blob *b, char *err, size_t errcap)
{
  memset(f, 0, sizeof *f);
  f->roller.efd = -1;
  unsigned n = b->config->logger_count;
  if (n > ACCESS_LOG_MAX_LOGGERS)
    n = ACCESS_LOG_MAX_LOGGERS;
  for (unsigned i = 0; i < n; i++) {
    const struct zs_logger *g = &b->loggers[i];
    f->fds[i] = g->output == ZS_LOG_STDERR ? STDERR_FILENO : g->output == ZS_LOG_STDOUT ? STDOUT_FILENO : -1;
    if (g->output != ZS_LOG_FILE)
      continue;
    const char *path = blob_string(b, g->path_str);
    int rc = 0;
    if (g->roll_size_mb) {
      struct log_roll *r = &f->rolls[i];
      rc = log_roll_open(r, path, g->mode, g->roll_size_mb, g->roll_keep, g->roll_keep_days,
                         !!(g->flags & ZS_LOGGER_ROLL_GZIP), !!(g->flags & ZS_LOGGER_ROLL_LOCAL_TIME));
      if (rc == 0) {
        f->roll[i] = r;
        f->roller.rolls[f->roller.count++] = r;
        f->fds[i] = r->fd[0];
      }
    } else {
      f->fds[i] = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, g->mode ? g->mode : 0600);
      rc = f->fds[i] < 0 ? -errno : 0;
      f->owned[i] = rc == 0;
    }
    if (rc < 0) {
      snprintf(err, errcap, "%s: %s", path, strerror(-rc));
      f->count = i;
      access_log_files_close(f);
      return rc;
    }
  }
  f->count = n;
  return 0;
}

int access_log_files_start(struct access_log_files *f)
{
  return log_roller_start(&f->roller);
}

void access_log_files_close(struct access_log_files *f)
{
  for (unsigned i = 0; i < f->count; i++)
    if (f->owned[i] && f->fds[i] >= 0)
      close(f->fds[i]);
  log_roller_stop(&f->roller);   /* the rolled files' */
  f->count = 0;
}

/* submits what the fill buffer holds when no write is in flight; a file
 * that must roll first keeps it until the roller has opened the next one */
static void access_out_flush(struct worker *w, unsigned i)
{
  struct access_out *o = &w->access->outs[i];
  if (o->writing || o->len[o->fill] == 0)
    return;
  struct log_roll *r = w->access->files->roll[i];
  o->fd = w->access->files->fds[i];
  size_t take = o->len[o->fill];
  if (r && !(take = log_roll_reserve(r, o->buf[o->fill], take, &o->fd, &o->slot)))
    return;   /* tried again at the next line or tick */
  int wb = o->fill;
  o->fill ^= 1;
  o->writing = 1;
  o->written = 0;
  if (take < o->len[wb]) {   /* the lines past the roll wait in the empty buffer for the next file */
    memcpy(o->buf[o->fill], o->buf[wb] + take, o->len[wb] - take);
    o->len[o->fill] = o->len[wb] - take;
    o->len[wb] = take;
  }
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_write(sqe, o->fd, o->buf[wb], (unsigned)o->len[wb], (uint64_t)-1);
  io_uring_sqe_set_data64(sqe, loop_user_data((enum loop_op)ACCESS_LOG_OP_WRITE, i, 0));
}

static void access_on_write(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen, int res,
                            unsigned flags)
{
  (void)op, (void)gen, (void)flags;
  struct access_out *o = &w->access->outs[index];
  int wb = o->fill ^ 1;
  if (res > 0 && o->written + (size_t)res < o->len[wb]) {
    o->written += (size_t)res;   /* a short write: the rest of the same buffer */
    struct io_uring_sqe *sqe = loop_get_sqe(w);
    io_uring_prep_write(sqe, o->fd, o->buf[wb] + o->written,
                        (unsigned)(o->len[wb] - o->written), (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, loop_user_data((enum loop_op)ACCESS_LOG_OP_WRITE, index, 0));
    return;
  }
  if (res < 0)
    w->access->dropped++;   /* the output failed: that batch is lost, counted once */
  if (w->access->files->roll[index])
    log_roll_done(w->access->files->roll[index], o->slot);
  o->len[wb] = 0;
  o->writing = 0;
  access_out_flush(w, index);
}

static void access_on_tick(struct worker *w)
{
  struct access_log *a = w->access;
  for (unsigned i = 0; i < a->files->count; i++)
    access_out_flush(w, i);
  if (a->dropped == a->reported || w->now_ms - a->report_ms < 1000)
    return;
  a->report_ms = w->now_ms;
  log_begin(&w->log, "warn", "http.log.access", "access log lines dropped: an output cannot keep up");
  log_int(&w->log, "dropped", (long long)(a->dropped - a->reported));
  log_int(&w->log, "dropped_total", (long long)a->dropped);
  log_int(&w->log, "worker", w->id);
  log_end(&w->log);
  a->reported = a->dropped;
}

/* a stop waits for the lines to be written, up to the stop deadline: a
 * disk that hangs does not keep zsrt from exiting (what is left is lost) */
static int access_busy(struct worker *w)
{
  int n = 0;
  for (unsigned i = 0; i < w->access->files->count; i++) {
    struct access_out *o = &w->access->outs[i];
    access_out_flush(w, i);
    n += o->writing || (o->len[o->fill] && w->access->files->roll[i]);   /* or waiting for a roll */
  }
  return w->stopping && w->now_ms > w->stop_deadline_ms ? 0 : n;
}

static void access_fini(struct worker *w)
{
  for (unsigned i = 0; i < ACCESS_LOG_MAX_LOGGERS; i++)
    if (!w->access->outs[i].writing)   /* the kernel may still read one in flight: left to the exit */
      free(w->access->outs[i].buf[0]);
  free(w->access);
  w->access = NULL;
}

static const struct loop_module access_module = {.tick = access_on_tick, .busy = access_busy, .fini = access_fini};

int access_log_worker_init(struct worker *w, const struct access_log_files *f)
{
  if (f->count == 0)
    return 0;
  struct access_log *a = calloc(1, sizeof *a);
  if (!a)
    return -ENOMEM;
  a->files = f;
  a->line.worker = w->id;
  for (unsigned i = 0; i < f->count; i++) {
    if (f->fds[i] < 0)
      continue;
    char *p = malloc(2 * ACCESS_LOG_BUF);
    if (!p) {
      w->access = a;
      access_fini(w);
      return -ENOMEM;
    }
    a->outs[i].buf[0] = p;
    a->outs[i].buf[1] = p + ACCESS_LOG_BUF;
  }
  w->access = a;
  loop_register_op(w, (enum loop_op)ACCESS_LOG_OP_WRITE, access_on_write);
  return loop_register_module(w, &access_module);
}

/* ---------------------------------------------------------------- rows */

static int access_host_is(const char *pattern, const char *host, size_t len)
{
  size_t n = strlen(pattern);
  if (n == len && strncasecmp(pattern, host, len) == 0)
    return 1;
  /* one-label wildcard, as certmagic.MatchWildcard */
  const char *dot = memchr(host, '.', len);
  return n > 2 && pattern[0] == '*' && pattern[1] == '.' && dot && (size_t)(host + len - dot) == n - 1 &&
         strncasecmp(pattern + 1, dot, n - 1) == 0;
}

/* the host without its port: rows name hosts, not authorities */
static size_t access_host_len(const char *host, size_t len)
{
  if (len && host[len - 1] != ']') {
    const char *colon = memchr(host, ':', len);
    if (colon && !memchr(colon + 1, ':', (size_t)(host + len - colon - 1)))
      return (size_t)(colon - host);
  }
  return len;
}

/* the server's rows for this host: every one that names it (a host may map
 * to several loggers), else its default; each with its line. A host named
 * with its port (Caddy 2.6 writes "b.test:8080") does not match "b.test":
 * Caddy logs that request too. */
static void access_rows_each(struct worker *w, unsigned server, const char *host, size_t len,
                             void (*fn)(struct worker *w, const struct zs_access_log *row, void *arg), void *arg)
{
  const struct blob *b = w->blob;
  const struct zs_access_log *dflt = NULL;
  int named = 0;
  size_t bare = access_host_len(host, len);
  for (unsigned i = 0; i < b->config->access_log_count; i++) {
    const struct zs_access_log *r = &b->access_logs[i];
    const char *h = blob_string(b, r->host_str);
    if (r->server != server)
      continue;
    if (!*h) {
      dflt = r;
    } else if (access_host_is(h, host, len) || (bare < len && access_host_is(h, host, bare))) {
      /* as Caddy: the Host as sent ("b.test:8080" in skip_hosts), then without its port */
      named = 1;
      if (!(r->flags & ZS_ACCESS_SKIP))
        fn(w, r, arg);
    }
  }
  if (!named && dflt && !(dflt->flags & ZS_ACCESS_SKIP))
    fn(w, dflt, arg);
}

/* ---------------------------------------------------------------- the line */

static void access_response_header(const void *list, size_t i, const char **name, size_t *name_len,
                                   const char **value, size_t *value_len)
{
  const struct response_header *h = &((const struct response_header *)list)[i];
  *name = h->name;
  *name_len = h->name_len;
  *value = h->value;
  *value_len = h->value_len;
}

/* a duration field as the logger's duration_format writes it (NULL: seconds) */
static void access_duration(struct worker_log *l, const struct zs_logger *g, const char *key, uint64_t ns)
{
  char v[64];
  int quoted;
  size_t n = g && g->duration_format != ZS_DURATION_SECONDS ? log_format_duration(v, sizeof v, g, ns, &quoted) : 0;
  if (!n) {
    log_seconds(l, key, ns);
    return;
  }
  log_key(l, key);
  if (quoted)
    log_put_string(l, v, n);
  else
    log_put(l, v, n);
}

/* the fields after "msg", as Caddy 2.8 writes them (bytes_read and client_ip are newer than 2.6) */
static void access_fields(struct worker_log *l, const struct zs_logger *g, const struct conn_info *info,
                          const struct exchange *ex, const struct response *resp, int64_t size, int64_t bytes_read,
                          uint64_t duration_ns)
{
  log_request(l, &ex->req, info);
  log_int(l, "bytes_read", bytes_read);
  const struct exec_decision *dec = ex->dec;   /* basic_auth's user, as Caddy's {http.auth.user.id} */
  log_str(l, "user_id", dec && dec->user_id ? dec->user_id : "", dec && dec->user_id ? dec->user_id_len : 0);
  access_duration(l, g, "duration", duration_ns);
  log_int(l, "size", size);
  log_int(l, "status", resp ? resp->status : 0);
  struct log_header_view v = {.list = resp ? resp->headers : NULL, .count = resp ? resp->header_count : 0,
                              .get = access_response_header};
  log_key(l, "resp_headers");
  log_header_object(l, &v, 16);
}

/* zap's console encoder with the logger's options (Caddy's defaults: UTC
 * wall time with milliseconds, the level in capitals and in color, even into
 * a file): time, level, logger, message, tab-separated, each left out when
 * its key is "", then the fields as one JSON object spaced after every ':'
 * and ',' outside strings, then the line ending. fields is the object's
 * inside, without braces. */
static size_t access_console(char *out, size_t cap, const struct blob *b, const struct zs_logger *g, int error,
                             const char *logger, const struct timespec *now, const char *fields, size_t fields_len)
{
  char part[256];
  int quoted;
  size_t len = 0, n;
  const char *sep = "";
  if (*blob_string(b, g->time_key_str) &&
      (n = log_format_time(part, sizeof part, g, blob_string(b, g->time_layout_str), now, &quoted)))
    len += (size_t)snprintf(out + len, cap - len, "%.*s", (int)n, part), sep = "\t";
  if (*blob_string(b, g->level_key_str) && (n = log_format_level(part, sizeof part, g, error)))
    len += (size_t)snprintf(out + len, cap - len, "%s%.*s", sep, (int)n, part), sep = "\t";
  if (*blob_string(b, g->name_key_str) && logger && *logger)
    len += (size_t)snprintf(out + len, cap - len, "%s%s", sep, logger), sep = "\t";
  if (*blob_string(b, g->msg_key_str))
    len += (size_t)snprintf(out + len, cap - len, "%shandled request", sep), sep = "\t";
  if (len + 4 >= cap)
    return 0;
  len += (size_t)snprintf(out + len, cap - len, "%s{", sep);
  int in_string = 0, escaped = 0;
  for (size_t i = 0; i < fields_len; i++) {
    char ch = fields[i];
    if (len + 2 > cap)
      return 0;
    out[len++] = ch;
    if (in_string) {
      in_string = escaped || ch != '"';
      escaped = !escaped && ch == '\\';
    } else if (ch == '"') {
      in_string = 1;
    } else if ((ch == ':' || ch == ',') && i + 1 < fields_len) {
      out[len++] = ' ';
    }
  }
  const char *end = blob_string(b, g->line_ending_str);
  n = strlen(end);
  if (len + 1 + n > cap)
    return 0;
  out[len++] = '}';
  memcpy(out + len, end, n);
  return len + n;
}

/* a JSON key of the line's head: the first without a comma */
static void access_head_key(struct worker_log *l, const char *key, int *first)
{
  if (!*first)
    log_put(l, ",", 1);
  *first = 0;
  log_put_string(l, key, strlen(key));
  log_put(l, ":", 1);
}

/* the head of a line as zap's JSON encoder orders it with the logger's keys
 * and formats: level, time, logger, message; 1 when it wrote none of them */
static int access_json_head(struct worker_log *l, const struct blob *b, const struct zs_logger *g, int error,
                            const char *logger, const struct timespec *now)
{
  char v[256];
  int quoted, first = 1;
  size_t n;
  l->len = 0;
  l->full = 0;
  log_put(l, "{", 1);
  const char *key = blob_string(b, g->level_key_str);
  if (*key && (n = log_format_level(v, sizeof v, g, error))) {
    access_head_key(l, key, &first);
    log_put_string(l, v, n);
  }
  key = blob_string(b, g->time_key_str);
  if (*key && (n = log_format_time(v, sizeof v, g, blob_string(b, g->time_layout_str), now, &quoted))) {
    access_head_key(l, key, &first);
    if (quoted)
      log_put_string(l, v, n);
    else
      log_put(l, v, n);
  }
  key = blob_string(b, g->name_key_str);
  if (*key && logger && *logger) {
    access_head_key(l, key, &first);
    log_put_string(l, logger, strlen(logger));
  }
  key = blob_string(b, g->msg_key_str);
  if (*key) {
    access_head_key(l, key, &first);
    log_put_string(l, "handled request", 15);
  }
  return first;
}

static void access_append(struct worker *w, unsigned i, const char *line, size_t len)
{
  struct access_out *o = &w->access->outs[i];
  if (!o->buf[0])
    return;   /* discard */
  if (len > ACCESS_LOG_BUF - o->len[o->fill]) {
    w->access->dropped++;
    return;
  }
  memcpy(o->buf[o->fill] + o->len[o->fill], line, len);
  o->len[o->fill] += len;
  access_out_flush(w, i);
}

struct access_line {
  const struct conn_info *info;
  const struct exchange *ex;
  const struct response *resp;
  int64_t size, bytes_read;
};

/* one logger's line in its own shape (options other than Caddy's defaults) */
static void access_write_shaped(struct worker *w, unsigned i, const struct access_line *a, int error,
                                const char *logger, const struct timespec *now, uint64_t duration_ns)
{
  const struct zs_logger *g = &w->blob->loggers[i];
  struct worker_log *l = &w->access->shaped;
  int empty = access_json_head(l, w->blob, g, error, logger, now);
  size_t fields_at = l->len;
  access_fields(l, g, a->info, a->ex, a->resp, a->size, a->bytes_read, duration_ns);
  if (empty && l->len > fields_at)   /* no head: the first field takes no comma */
    memmove(l->buf + fields_at, l->buf + fields_at + 1, --l->len - fields_at);
  if (g->format == ZS_LOG_CONSOLE) {
    char console[2 * LOG_LINE_MAX];
    size_t at = fields_at + (empty ? 0 : 1);
    size_t n = access_console(console, sizeof console, w->blob, g, error, logger, now, l->buf + at, l->len - at);
    access_append(w, i, console, n);
    return;
  }
  const char *end = blob_string(w->blob, g->line_ending_str);
  log_put(l, "}", 1);
  log_put(l, end, strlen(end));
  access_append(w, i, l->buf, l->len);
}

static void access_write_row(struct worker *w, const struct zs_access_log *row, void *arg)
{
  const struct access_line *a = arg;
  int error = a->resp && a->resp->status >= 400;   /* Caddy logs 4xx and 5xx at ERROR */
  const char *logger = blob_string(w->blob, row->name_str);
  struct timespec now, mono;
  clock_gettime(CLOCK_REALTIME, &now);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  uint64_t duration_ns = (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec - a->ex->start_ns;
  struct worker_log *l = &w->access->line;
  size_t len = 0;
  for (unsigned i = 0; i < w->access->files->count && i < w->blob->config->logger_count; i++) {
    const struct zs_logger *g = &w->blob->loggers[i];
    if (!(row->loggers & (1u << i)) || g->level > (error ? ZS_LEVEL_ERROR : ZS_LEVEL_INFO))
      continue;
    if (g->format != ZS_LOG_JSON || !log_format_is_default(w->blob, g)) {
      access_write_shaped(w, i, a, error, logger, &now, duration_ns);
      continue;
    }
    if (!len) {                /* Caddy's default shape: built once for every logger that has it */
      log_begin(l, error ? "error" : "info", logger, "handled request");
      access_fields(l, NULL, a->info, a->ex, a->resp, a->size, a->bytes_read, duration_ns);
      len = log_close(l);
    }
    access_append(w, i, l->buf, len);
  }
}

void access_log_exchange(struct worker *w, unsigned server, const struct conn_info *info,
                         const struct exchange *ex, const struct response *resp, int64_t size,
                         int64_t bytes_read)
{
  if (!w->access || !ex->req.method)
    return;
  struct access_line a = {.info = info, .ex = ex, .resp = resp, .size = size, .bytes_read = bytes_read};
  access_rows_each(w, server, ex->req.host ? ex->req.host : "", ex->req.host ? ex->req.host_len : 0,
                   access_write_row, &a);
}

/* the body bytes the handler wrote, as Caddy counts them: a memory body even
 * for HEAD (Go drops it later), a file's bytes except for HEAD (ServeContent
 * writes none), else what an upstream's Content-Length says */
static int64_t access_size(const struct response *resp)
{
  if (!resp)
    return 0;
  if (resp->body_len || resp->file_len)
    return (int64_t)resp->body_len + (resp->head_request ? 0 : (int64_t)resp->file_len);
  const struct response_header *h = response_header_get(resp, "Content-Length");
  int64_t n = 0;
  for (size_t i = 0; h && i < h->value_len && h->value[i] >= '0' && h->value[i] <= '9' && n < INT64_MAX / 10; i++)
    n = n * 10 + (h->value[i] - '0');
  return n;
}

void access_log_answer(struct worker *w, const struct conn *c, const struct exchange *ex,
                       const struct response *resp)
{
  /* Go answers what never reached a handler (a bad head, HTTP/2.0 over
   * HTTP/1) itself, without Server and without an access log line */
  if (!w->access || (resp && !response_header_get(resp, "Server")) || (ex->dec && ex->dec->log_skip))
    return;
  int64_t bytes_read = ex->req.content_length > 0 ? ex->req.content_length : (int64_t)ex->body_kept;
  access_log_exchange(w, c->server, &c->info, ex, resp, access_size(resp), bytes_read);
}
