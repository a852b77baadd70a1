/* Stand-ins for the runtime core (blob strings, cage, exec, responses) so the
 * network layer can be tested without a compiled blob: exec_request decides
 * by path. Linked only into test_loop; the real core is tested elsewhere. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cage.h"
#include "runtime/errors.h"
#include "runtime/encode.h"
#include "runtime/exec.h"
#include "runtime/files_cache.h"
#include "runtime/helpers.h"
#include "runtime/loader.h"
#include "runtime/files_parts.h"
#include "runtime/response.h"

const zs_helper_fn helper_table[ZS_HELPER_COUNT];

int cage_create(struct cage *c, const void *rodata, size_t rodata_len,
                const zs_helper_fn *helpers, unsigned helper_count, void *host)
{
  (void)rodata, (void)rodata_len, (void)helpers, (void)helper_count, (void)host;
  memset(c, 0, sizeof *c);
  return 0;
}

void cage_destroy(struct cage *c) { (void)c; }
void cage_set_code(struct cage *c, const void *code, size_t len) { (void)c, (void)code, (void)len; }
int trap_install(void) { return 0; }

/* reload is not exercised here: no blob file can be opened */
int blob_open(const char *path, struct blob *out, char *err, size_t err_len)
{
  (void)out;
  snprintf(err, err_len, "%s: the stand-in core opens no blobs", path);
  return -1;
}

void blob_close(struct blob *b) { (void)b; }

const char *blob_string(const struct blob *b, uint32_t offset)
{
  return b->strings + offset;
}

/* the stand-in blob has no TLS servers, so no lists are read */
size_t blob_list(const struct blob *b, uint32_t offset, const char **out, size_t cap)
{
  (void)b, (void)offset, (void)out, (void)cap;
  return 0;
}

static int starts(const struct http_request *req, const char *prefix)
{
  size_t n = strlen(prefix);
  return req->target_len >= n && memcmp(req->target, prefix, n) == 0;
}

static void stub_op(struct exec_decision *d, enum zs_header_op op, const char *name, const char *value)
{
  d->ops[d->op_count++] = (struct exec_header_op){op, name, strlen(name), value, strlen(value)};
}

/* /up/... and /down proxy, /rw/... proxies with the path rewritten to /up/...,
 * /hello, /status/404, /big respond, /file serves ZS_TEST_FILE (/file-big
 * ZS_TEST_BIG_FILE), /trap traps */
int exec_request(const struct blob *blob, struct cage *cage, unsigned server,
                 struct http_request *req, const struct conn_info *conn,
                 struct exec_decision *d)
{
  (void)blob, (void)cage, (void)server, (void)conn;
  memset(d, 0, offsetof(struct exec_decision, storage));
  d->action = ZS_ACT_NEXT;
  const char *q = memchr(req->target, '?', req->target_len);
  d->path = (char *)req->target;
  d->path_len = q ? (size_t)(q - req->target) : req->target_len;
  if (starts(req, "/hello")) {
    d->action = ZS_ACT_RESPOND;
    d->body = "hello\n";
    d->body_len = 6;
    stub_op(d, ZS_HDR_SET, "X-Test", "yes");
  } else if (starts(req, "/status/404")) {
    d->action = ZS_ACT_RESPOND;
    d->status = 404;
    d->body = "nf";
    d->body_len = 2;
  } else if (starts(req, "/big")) {
    d->action = ZS_ACT_RESPOND;
    d->body = d->storage;
    d->body_len = 200000;
    for (size_t i = 0; i < d->body_len; i++)
      d->storage[i] = (char)('a' + i % 26);
  } else if (starts(req, "/file")) {
    d->action = ZS_ACT_FILE;
  } else if (starts(req, "/trap")) {
    d->trapped = 1;
    d->trap_code = ZS_TRAP_FAULT;
  } else if (starts(req, "/up/") || starts(req, "/rw/") || starts(req, "/down")) {
    d->action = ZS_ACT_PROXY;
    d->action_id = starts(req, "/down") ? 1 : 0;
    stub_op(d, ZS_HDR_SET, "X-Proxied", "1");
    stub_op(d, ZS_HDR_DELETE, "X-Up", "");
    if (starts(req, "/rw/")) {
      memcpy(d->storage, "/up/", 4);
      memcpy(d->storage + 4, req->target + 4, d->path_len - 4);
      memcpy(d->storage + d->path_len, " x", 2);   /* a space the proxy must escape */
      d->path = d->storage;
      d->path_len += 2;
    }
  }
  return 0;
}

/* the stand-in programs call no basic_auth */
int exec_request_auth(const struct blob *blob, struct cage *cage, unsigned server,
                      struct http_request *req, const struct conn_info *conn,
                      struct exec_decision *d, struct exec_auth *auth)
{
  (void)auth;
  return exec_request(blob, cage, server, req, conn, d);
}

static void stub_header(struct response *r, const char *name, size_t nl, const char *value, size_t vl)
{
  if (r->header_count < RESPONSE_MAX_HEADERS)
    r->headers[r->header_count++] = (struct response_header){name, nl, value, vl};
}

void response_apply_ops(struct response *resp, const struct exec_decision *dec)
{
  for (size_t i = 0; i < dec->op_count; i++) {
    const struct exec_header_op *op = &dec->ops[i];
    if (op->op != ZS_HDR_ADD) {
      size_t k = 0;
      for (size_t j = 0; j < resp->header_count; j++)
        if (!(resp->headers[j].name_len == op->name_len &&
              strncasecmp(resp->headers[j].name, op->name, op->name_len) == 0))
          resp->headers[k++] = resp->headers[j];
      resp->header_count = k;
    }
    if (op->op != ZS_HDR_DELETE)
      stub_header(resp, op->name, op->name_len, op->value, op->value_len);
  }
}

/* the stand-in file answers read ZS_TEST_FILE directly: no cache */
struct files_cache *files_cache_create(void) { return NULL; }
void files_cache_destroy(struct files_cache *fc) { (void)fc; }

int response_from_decision(const struct blob *blob, const struct exec_decision *dec,
                           const struct http_request *req, struct files_cache *fc, struct response *out)
{
  (void)fc;
  (void)blob, (void)req;
  memset(out, 0, offsetof(struct response, scratch));
  out->file_fd = -1;
  out->status = dec->trapped ? 500 : dec->status ? dec->status : 200;
  if (dec->trapped)
    return 0;
  if (dec->action == ZS_ACT_FILE) {
    /* /file-big: a large sparse file, more than socket buffers hold */
    const char *path = getenv(req->target_len >= 9 && memcmp(req->target, "/file-big", 9) == 0
                              ? "ZS_TEST_BIG_FILE" : "ZS_TEST_FILE");
    struct stat st;
    out->file_fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (out->file_fd < 0 || fstat(out->file_fd, &st) != 0)
      return -ENOENT;
    out->file_len = (uint64_t)st.st_size;
    return 0;
  }
  out->body = dec->body;
  out->body_len = dec->body_len;
  response_apply_ops(out, dec);
  return 0;
}

void response_init(struct response *resp, int status)
{
  memset(resp, 0, offsetof(struct response, scratch));
  resp->status = status;
  resp->file_fd = -1;
  resp->part_count = 0;
  stub_header(resp, "Server", 6, "zsrt", 4);
}

/* the stub answers no multi-range request: an empty body */
void files_parts_piece(const struct response *r, uint64_t pos, struct files_piece *out)
{
  (void)r, (void)pos;
  out->mem = out->buf;
  out->mem_len = 0;
}

void response_init_error(struct response *resp, int status)
{
  response_init(resp, status);
  resp->header_count = 0;
  int n = snprintf(resp->scratch, sizeof resp->scratch, "%d Error", status);
  resp->body = resp->scratch;
  resp->body_len = (size_t)n;
}

int response_write_head(const struct response *resp, const struct response_framing *f,
                        char *buf, size_t cap)
{
  int n = snprintf(buf, cap, "HTTP/1.%d %d X\r\n", f->version_minor, resp->status);
  for (size_t i = 0; i < resp->header_count && n > 0 && (size_t)n < cap; i++)
    n += snprintf(buf + n, cap - (size_t)n, "%.*s: %.*s\r\n", (int)resp->headers[i].name_len,
                  resp->headers[i].name, (int)resp->headers[i].value_len, resp->headers[i].value);
  if (n > 0 && (size_t)n < cap && f->content_length >= 0)
    n += snprintf(buf + n, cap - (size_t)n, "Content-Length: %lld\r\n", (long long)f->content_length);
  if (n > 0 && (size_t)n < cap && f->chunked)
    n += snprintf(buf + n, cap - (size_t)n, "Transfer-Encoding: chunked\r\n");
  if (n > 0 && (size_t)n < cap)
    n += snprintf(buf + n, cap - (size_t)n, "%s\r\n", f->keep_alive ? "" : "Connection: close\r\n");
  return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int response_serialize_head(const struct response *resp, int version_minor, int keep_alive,
                            char *buf, size_t cap)
{
  uint64_t len = resp->file_fd >= 0 ? resp->file_len : resp->body_len;
  int n = snprintf(buf, cap, "HTTP/1.%d %d X\r\nServer: zsrt\r\nContent-Length: %llu\r\n",
                   version_minor, resp->status, (unsigned long long)len);
  for (size_t i = 0; i < resp->header_count && n > 0 && (size_t)n < cap; i++)
    n += snprintf(buf + n, cap - (size_t)n, "%.*s: %.*s\r\n", (int)resp->headers[i].name_len,
                  resp->headers[i].name, (int)resp->headers[i].value_len, resp->headers[i].value);
  if (n > 0 && (size_t)n < cap)
    n += snprintf(buf + n, cap - (size_t)n, "%s\r\n", keep_alive ? "" : "Connection: close\r\n");
  return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* what HTTP/2 (linked in, not exercised here) takes from the response core */
void response_sort(const struct response *resp, size_t *order)
{
  for (size_t i = 0; i < resp->header_count; i++)
    order[i] = i;
}

int response_name_valid(const char *name, size_t len)
{
  (void)name;
  return len > 0;
}

const struct response_header *response_header_get(const struct response *resp, const char *name)
{
  for (size_t i = 0; i < resp->header_count; i++)
    if (resp->headers[i].name_len == strlen(name) &&
        strncasecmp(resp->headers[i].name, name, resp->headers[i].name_len) == 0)
      return &resp->headers[i];
  return NULL;
}

const char *response_date_now(void)
{
  return "Thu, 01 Jan 1970 00:00:00 GMT";
}

int64_t response_content_length(const struct response *resp)
{
  return (int64_t)(resp->file_fd >= 0 ? resp->file_len : resp->body_len);
}

void response_canonicalize(char *name, size_t len)
{
  (void)name, (void)len;   /* names stay as sent: only HTTP/2 asks */
}

/* the stub blob has no trusted_proxies: no peer is trusted */
int helper_ip_in(const char *text, const unsigned char *ranges, size_t len)
{
  (void)text, (void)ranges, (void)len;
  return 0;
}

/* the stand-in core has no error routes: a decision's answer is its own */
int errors_response(const struct blob *blob, struct cage *cage, unsigned server, const struct http_request *req,
                    const struct conn_info *conn, struct exec_decision *dec, struct files_cache *fc,
                    struct response *out)
{
  (void)cage, (void)server, (void)conn;
  return response_from_decision(blob, dec, req, fc, out);
}

int exec_cage_create(struct cage *cage, const struct blob *blob)
{
  (void)blob;
  return cage_create(cage, NULL, 0, helper_table, ZS_HELPER_COUNT, NULL);
}

void exec_cage_destroy(struct cage *cage)
{
  cage_destroy(cage);
}

/* ... and so no error routes for the proxy's 502 either */
int exec_error(const struct blob *blob, struct cage *cage, unsigned server, const struct http_request *req,
               const struct conn_info *conn, struct exec_decision *dec, int status, const char *msg,
               size_t msg_len)
{
  (void)blob, (void)cage, (void)server, (void)req, (void)conn, (void)dec, (void)status, (void)msg, (void)msg_len;
  return -ENOENT;
}

/* no blob, so no encode handler: nothing is encoded */
enum encode_coding encode_choose(const struct blob *blob, unsigned record, const struct http_request *req)
{
  (void)blob, (void)record, (void)req;
  return ENCODE_NONE;
}

int encode_head(const struct blob *blob, unsigned record, enum encode_coding coding, struct response *resp,
                int64_t length, size_t first)
{
  (void)blob, (void)record, (void)coding, (void)resp, (void)length, (void)first;
  return 0;
}
