/* --run-request: one raw HTTP/1.1 request from a file, through the blob, with
 * the outcome printed in a stable text form for tests:
 *   [trap <kind>]  [action file <path> root <root> | action proxy <upstream>]
 *   status N, header Name: value (each field as sent, without Date), then
 *   body <len>, the body bytes and a newline. Proxy actions print their
 *   header ops as "op set|add|delete Name: value" instead of a response. */
#include "run_request.h"
#include "plugin_limits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "cage.h"
#include "files_parts.h"
#include "errors.h"
#include "exec.h"
#include "http1.h"
#include "loader.h"
#include "response.h"

#define RUN_MAX_REQUEST (1024 * 1024)

struct run_ctx {
  struct blob blob;
  struct cage cage;
  struct http_request req;
  struct conn_info conn;
  struct exec_decision dec;
  struct plugin_limits limits;   /* one request: every bucket starts full */
  struct response resp;
  char raw[RUN_MAX_REQUEST];
  size_t raw_len;
  FILE *out;
  int (*verify)(const struct auth_job *job);
  struct auth_job verified[8];     /* basic_auth passwords verified for this request */
  int results[8];
  unsigned verified_count;
};

static int run_auth_known(void *arg, const struct auth_job *job)
{
  struct run_ctx *r = arg;
  for (unsigned i = 0; i < r->verified_count; i++)
    if (strcmp(r->verified[i].hash, job->hash) == 0 && r->verified[i].password_len == job->password_len &&
        memcmp(r->verified[i].password, job->password, job->password_len) == 0)
      return r->results[i];
  return -1;
}

/* the program, run again after each password it waits for is verified */
static int run_exec(struct run_ctx *r, unsigned server)
{
  struct exec_auth auth = {.known = run_auth_known, .arg = r};
  for (;;) {
    int rc = exec_request_auth(&r->blob, &r->cage, server, &r->req, &r->conn, &r->dec, &auth);
    if (rc < 0 || r->dec.trapped || r->dec.action != ZS_ACT_AUTH_WAIT)
      return rc;
    if (!r->verify || !auth.has_pending || r->verified_count == 8) {
      fprintf(stderr, "zsrt: basic_auth: %s\n", r->verify ? "too many verifications" : "no bcrypt in this build");
      r->dec.trapped = 1;   /* answered 500 */
      return 0;
    }
    r->verified[r->verified_count] = auth.pending;
    r->results[r->verified_count++] = r->verify(&auth.pending) == 1;
  }
}

static int run_read_request(struct run_ctx *r, const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "zsrt: %s: %s\n", path, strerror(errno));
    return -1;
  }
  r->raw_len = fread(r->raw, 1, sizeof r->raw, f);
  fclose(f);
  return 0;
}

/* the server of the listener on port (0: the first listener) */
static int run_pick_server(const struct blob *b, int port, unsigned *server, uint16_t *local_port)
{
  for (unsigned i = 0; i < b->config->listener_count; i++) {
    const struct zs_listener *l = &b->listeners[i];
    if (port == 0 || l->port == port) {
      *server = l->server;
      *local_port = l->port;
      return 0;
    }
  }
  return -1;
}

static const char *run_trap_name(unsigned code)
{
  switch (code) {
  case ZS_TRAP_FAULT: return "fault";
  case ZS_TRAP_BUDGET: return "budget";
  case ZS_TRAP_DEPTH: return "depth";
  case ZS_TRAP_HELPER: return "helper";
  default: return "action";
  }
}

static void run_print_range(struct run_ctx *r, uint64_t off, uint64_t left)
{
  char buf[65536];
  while (left > 0) {
    ssize_t n = pread(r->resp.file_fd, buf, left < sizeof buf ? left : sizeof buf, (off_t)off);
    if (n <= 0)
      break;
    fwrite(buf, 1, (size_t)n, r->out);
    off += (uint64_t)n;
    left -= (uint64_t)n;
  }
}

/* a file range; multipart/byteranges: the part heads and ranges in turn */
static void run_print_body_file(struct run_ctx *r)
{
  for (uint64_t pos = 0; r->resp.part_count && pos < r->resp.file_len;) {
    struct files_piece p;
    files_parts_piece(&r->resp, pos, &p);
    if (p.mem)
      fwrite(p.mem, 1, p.mem_len, r->out);
    else
      run_print_range(r, p.file_off, p.file_len);
    pos += p.mem ? p.mem_len : p.file_len;
    if (p.mem && p.mem_len == 0)
      break;
  }
  if (!r->resp.part_count)
    run_print_range(r, r->resp.file_offset, r->resp.file_len);
}

/* the head as it goes on the wire, reprinted line by line without Date */
static int run_print_response(struct run_ctx *r)
{
  char head[16384];
  int n = response_serialize_head(&r->resp, 1, 1, head, sizeof head);
  if (n < 0)
    return -1;
  fprintf(r->out, "status %d\n", r->resp.status);
  char *line = strstr(head, "\r\n") + 2;
  for (char *end; (end = strstr(line, "\r\n")) != NULL && end != line; line = end + 2) {
    if (strncmp(line, "Date: ", 6) != 0)
      fprintf(r->out, "header %.*s\n", (int)(end - line), line);
  }
  int file = r->resp.file_fd >= 0;
  uint64_t len = response_has_body(r->resp.status) ? (file ? r->resp.file_len : r->resp.body_len) : 0;
  fprintf(r->out, "body %llu\n", (unsigned long long)len);
  if (file && len)
    run_print_body_file(r);
  else if (len)
    fwrite(r->resp.body, 1, r->resp.body_len, r->out);
  fputc('\n', r->out);
  return 0;
}

static void run_print_proxy(struct run_ctx *r)
{
  static const char *const ops[] = { "set", "add", "delete", "replace" };
  fprintf(r->out, "action proxy %s\n",
          blob_string(&r->blob, r->blob.proxies[r->dec.action_id].upstream_str));
  for (size_t i = 0; i < r->dec.op_count; i++) {
    const struct exec_header_op *op = &r->dec.ops[i];
    const char *side = op->target == ZS_HDR_UP ? "up " : op->target == ZS_HDR_DOWN ? "down " : "";
    fprintf(r->out, "op %s%s %.*s: %.*s\n", side, ops[op->op], (int)op->name_len, op->name,
            (int)op->value_len, op->value);
  }
}

/* a request the program never sees: the status Go's server would answer */
static int run_print_refused(struct run_ctx *r, int status)
{
  fprintf(r->out, "status %d\nbody 0\n\n", status);
  return 0;
}

static int run_decide(struct run_ctx *r, unsigned server)
{
  int rc = run_exec(r, server);
  if (rc == -EINVAL)
    return run_print_refused(r, 400);
  if (rc == -E2BIG)
    return run_print_refused(r, 431);
  if (rc < 0) {
    fprintf(stderr, "zsrt: cannot run the request: %s\n", strerror(-rc));
    return -1;
  }
  if (r->dec.trapped)
    fprintf(r->out, "trap %s\n", run_trap_name(r->dec.trap_code));
  if (!r->dec.trapped && r->dec.action == ZS_ACT_PROXY) {
    run_print_proxy(r);
    return 0;
  }
  if (!r->dec.trapped && r->dec.action == ZS_ACT_ABORT)
    return fprintf(r->out, "action abort\n") < 0 ? -1 : 0;
  rc = errors_response(&r->blob, &r->cage, server, &r->req, &r->conn, &r->dec, NULL, &r->resp);
  if (rc < 0)
    response_init(&r->resp, 500);
  if (!r->dec.trapped && r->dec.action == ZS_ACT_ABORT)
    return fprintf(r->out, "action abort\n") < 0 ? -1 : 0;
  if (!r->dec.trapped && r->dec.action == ZS_ACT_FILE && r->resp.file_path)
    fprintf(r->out, "action file %s root %s\n", r->resp.file_path[0] ? r->resp.file_path : ".",
            r->resp.file_root);
  rc = run_print_response(r);
  if (r->resp.file_fd >= 0)
    close(r->resp.file_fd);
  return rc;
}

static int run_main(struct run_ctx *r, const char *request_path, int port, const char *blob_path)
{
  char err[512];
  if (blob_open(blob_path, &r->blob, err, sizeof err) < 0) {
    fprintf(stderr, "zsrt: %s\n", err);
    return 1;
  }
  unsigned server;
  if (run_pick_server(&r->blob, port, &server, &r->conn.local_port) < 0) {
    fprintf(stderr, "zsrt: %s: no listener on port %d\n", blob_path, port);
    return 1;
  }
  if (run_read_request(r, request_path) < 0)
    return 1;
  int head = http1_parse_request(r->raw, r->raw_len, &r->req);
  if (head < 0)
    return run_print_refused(r, head == HTTP1_ERR_MORE ? 400 : http1_error_status(head)), 0;
  snprintf(r->conn.remote_ip, sizeof r->conn.remote_ip, "127.0.0.1");
  r->conn.remote_port = 40000;
  int rc = trap_install();
  if (rc == 0)
    rc = exec_cage_create(&r->cage, &r->blob);
  plugin_limits_init(&r->limits);
  r->cage.limits = &r->limits;
  if (rc < 0) {
    fprintf(stderr, "zsrt: cannot create the cage: %s\n", strerror(-rc));
    return 1;
  }
  rc = run_decide(r, server);
  exec_cage_destroy(&r->cage);
  return rc < 0 ? 1 : 0;
}

int run_request_main(const char *request_path, int port, const char *blob_path, FILE *out,
                     int (*verify)(const struct auth_job *job))
{
  struct run_ctx *r = calloc(1, sizeof *r);
  if (!r)
    return 1;
  r->out = out;
  r->verify = verify;
  r->blob.fd = -1;
  int rc = run_main(r, request_path, port, blob_path);
  blob_close(&r->blob);
  free(r);
  fflush(out);
  return rc;
}
