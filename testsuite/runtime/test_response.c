/* Response tests: header ops (set/add/delete, case-insensitive, canonical
 * names as Go prints them), static_response's implicit Content-Type, trap
 * and empty responses, and the serialized head (Go's order, Date,
 * Content-Length, Connection, bodyless statuses). */
#include <errno.h>
#include <string.h>

#include "../check.h"
#include "runtime/exec.h"
#include "runtime/response.h"

static struct exec_decision dec;
static struct response resp;
static const struct http_request req = { .method = "GET", .method_len = 3, .version_minor = 1 };

static void op(enum zs_header_op kind, const char *name, const char *value)
{
  dec.ops[dec.op_count++] = (struct exec_header_op){ kind, name, strlen(name), value, strlen(value) };
}

static void respond(int status, const char *body)
{
  dec.action = ZS_ACT_RESPOND;
  dec.status = status;
  dec.body = (char *)body;
  dec.body_len = strlen(body);
  CHECK(response_from_decision(NULL, &dec, &req, NULL, &resp) == 0);
}

static const char *head(int minor, int keep_alive)
{
  static char buf[4096];
  int n = response_serialize_head(&resp, minor, keep_alive, buf, sizeof buf);
  if (n < 0)
    return "";
  buf[n] = '\0';
  char *date = strstr(buf, "Date: ");
  if (date)   /* the date changes: keep the field, drop its value */
    memmove(date + 5, date + 35, strlen(date + 35) + 1);
  return buf;
}

static void test_ops(void)
{
  dec.op_count = 0;
  op(ZS_HDR_ADD, "x-multi", "1");
  op(ZS_HDR_ADD, "X-MULTI", "2");
  op(ZS_HDR_SET, "x-one", "a");
  op(ZS_HDR_SET, "X-One", "b");
  op(ZS_HDR_DELETE, "server", "");
  op(ZS_HDR_ADD, "x-bad\r\nInjected", "v");
  op(ZS_HDR_ADD, "x-crlf", "a\r\nInjected: 1");
  respond(200, "hi");
  CHECK(strcmp(head(1, 1), "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                           "X-Crlf: a  Injected: 1\r\nX-Multi: 1\r\nX-Multi: 2\r\nX-One: b\r\n"
                           "Date:\r\nContent-Length: 2\r\n\r\n") == 0);
  const struct response_header *h = response_header_get(&resp, "x-multi");
  CHECK(h && memcmp(h->name, "X-Multi", 7) == 0);
  CHECK(response_header_get(&resp, "Server") == NULL);
}

static void test_serialize(void)
{
  dec.op_count = 0;
  op(ZS_HDR_SET, "x-crlf", "a\r\nInjected: 1");
  respond(201, "{\"a\": 1} ");
  CHECK(strcmp(head(1, 0), "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nServer: zsrt\r\n"
                           "X-Crlf: a  Injected: 1\r\nDate:\r\nContent-Length: 9\r\n"
                           "Connection: close\r\n\r\n") == 0);
  dec.op_count = 0;
  respond(599, "");
  CHECK(strcmp(head(0, 1), "HTTP/1.0 599 status code 599\r\nServer: zsrt\r\nDate:\r\n"
                           "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n") == 0);
  respond(204, "");
  CHECK(strcmp(head(1, 1), "HTTP/1.1 204 No Content\r\nServer: zsrt\r\nDate:\r\n\r\n") == 0);
  op(ZS_HDR_SET, "content-type", "text/html");
  respond(200, "<b>");
  CHECK(strcmp(head(1, 1), "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nServer: zsrt\r\nDate:\r\n"
                           "Content-Length: 3\r\n\r\n") == 0);
  char tiny[16];
  CHECK(response_serialize_head(&resp, 1, 1, tiny, sizeof tiny) == -ENOSPC);
}

/* the framings the proxy and the error path give the one writer */
static void test_write_head(void)
{
  static char buf[1024];
  response_init(&resp, 200);
  static const char nul_value[] = "a\0b\rc\nd";
  response_header_add(&resp, "X-Nul", 5, nul_value, sizeof nul_value - 1);
  response_header_add(&resp, "Bad Name", 8, "v", 1);
  struct response_framing f = {.version_minor = 1, .content_length = -1, .chunked = 1};
  int n = response_write_head(&resp, &f, buf, sizeof buf);
  CHECK(n > 0);
  buf[n > 0 ? n : 0] = '\0';
  char *date = strstr(buf, "Date: ");
  if (date)
    memmove(date + 5, date + 35, strlen(date + 35) + 1);
  CHECK(strcmp(buf, "HTTP/1.1 200 OK\r\nServer: zsrt\r\nX-Nul: a b c d\r\nDate:\r\n"
                    "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
  response_init_error(&resp, 414);
  struct response_framing bare = {.version_minor = 1, .content_length = -1, .bare = 1};
  n = response_write_head(&resp, &bare, buf, sizeof buf);
  CHECK(n > 0 && (size_t)n == strlen("HTTP/1.1 414 Request URI Too Long\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n") &&
        memcmp(buf, "HTTP/1.1 414 Request URI Too Long\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Connection: close\r\n\r\n", (size_t)n) == 0);
  CHECK(resp.body_len == 24 && memcmp(resp.body, "414 Request URI Too Long", 24) == 0);
}

static void test_decisions(void)
{
  dec.op_count = 0;
  op(ZS_HDR_SET, "x-a", "1");
  dec.action = ZS_ACT_NEXT;
  CHECK(response_from_decision(NULL, &dec, &req, NULL, &resp) == 0 && resp.status == 200 && resp.body_len == 0);
  CHECK(response_header_get(&resp, "X-A") != NULL);
  dec.trapped = 1;
  CHECK(response_from_decision(NULL, &dec, &req, NULL, &resp) == 0 && resp.status == 500);
  CHECK(response_header_get(&resp, "X-A") == NULL && resp.header_count == 1);
  dec.trapped = 0;
  respond(0, "x");
  CHECK(resp.status == 200);
  respond(200, " [1,2]\n");
  const struct response_header *h = response_header_get(&resp, "content-type");
  CHECK(h && h->value_len == 16 && memcmp(h->value, "application/json", 16) == 0);
  dec.action = ZS_ACT_PROXY;
  CHECK(response_from_decision(NULL, &dec, &req, NULL, &resp) < 0);
}

static void test_canonical(void)
{
  response_init(&resp, 200);
  CHECK(response_header_add(&resp, "x-foo-BAR", 9, "v", 1) == 0);
  CHECK(response_header_add(&resp, "etag", 4, "v", 1) == 0);
  CHECK(response_header_add(&resp, "x y", 3, "v", 1) == 0);
  CHECK(memcmp(resp.headers[1].name, "X-Foo-Bar", 9) == 0);
  CHECK(memcmp(resp.headers[2].name, "Etag", 4) == 0);
  CHECK(memcmp(resp.headers[3].name, "x y", 3) == 0);     /* not a token: left as is */
  char date[30];
  response_format_date(784111777, date);
  CHECK(strcmp(date, "Sun, 06 Nov 1994 08:49:37 GMT") == 0);
  for (int i = 0; i < RESPONSE_MAX_HEADERS; i++)
    response_header_add(&resp, "x", 1, "v", 1);
  CHECK(response_header_add(&resp, "x", 1, "v", 1) == -ENOSPC);
}

int main(void)
{
  test_ops();
  test_serialize();
  test_write_head();
  test_decisions();
  test_canonical();
  return check_failures ? 1 : 0;
}
