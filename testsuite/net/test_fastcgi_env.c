/* The CGI environment of the fastcgi transport: requests built by hand, their
 * PARAMS decoded back, each variable checked against what Caddy's buildEnv
 * and client set, and every name sent once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/fastcgi_env.h"

static int failures;
static uint8_t params_buf[1 << 17];
static char scratch[1 << 16];

struct var {
  char name[64];
  char value[512];
};
static struct var vars[128];
static size_t var_count;

#define TX(lit) ((struct fastcgi_text){lit, sizeof lit - 1})

static size_t get_size(const uint8_t *p, size_t *n)
{
  if (p[0] < 0x80)
    return *n = p[0], 1;
  *n = (size_t)(p[0] & 0x7f) << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
  return 4;
}

/* the records' pairs into vars; a name twice is a failure */
static void decode(size_t len)
{
  static uint8_t joined[1 << 17];
  size_t jl = 0;
  for (size_t off = 0; off < len;) {
    size_t n = (size_t)params_buf[off + 4] << 8 | params_buf[off + 5];
    memcpy(joined + jl, params_buf + off + 8, n);
    jl += n;
    off += 8 + n + params_buf[off + 6];
  }
  var_count = 0;
  for (size_t off = 0; off < jl;) {
    size_t n, v;
    off += get_size(joined + off, &n);
    off += get_size(joined + off, &v);
    struct var *x = &vars[var_count++];
    snprintf(x->name, sizeof x->name, "%.*s", (int)n, (const char *)joined + off);
    snprintf(x->value, sizeof x->value, "%.*s", (int)v, (const char *)joined + off + n);
    off += n + v;
    for (size_t i = 0; i + 1 < var_count; i++)
      if (strcmp(vars[i].name, x->name) == 0) {
        fprintf(stderr, "%s sent twice\n", x->name);
        failures++;
      }
  }
}

static const char *get(const char *name)
{
  for (size_t i = 0; i < var_count; i++)
    if (strcmp(vars[i].name, name) == 0)
      return vars[i].value;
  return NULL;
}

static void expect(const char *what, const char *name, const char *want)
{
  const char *got = get(name);
  if ((want == NULL) != (got == NULL) || (want && strcmp(got, want) != 0)) {
    fprintf(stderr, "%s: %s is '%s', want '%s'\n", what, name, got ? got : "(none)", want ? want : "(none)");
    failures++;
  }
}

/* want: name, value rows; a NULL value: the name is not sent */
static void expect_all(const char *what, const char *const (*want)[2], size_t count)
{
  for (size_t i = 0; i < count; i++)
    expect(what, want[i][0], want[i][1]);
}

static const struct fastcgi_text splits[] = {TX(".php")};
static const struct fastcgi_text env_opt[] = {TX("GATEWAY_INTERFACE"), TX("mine"), TX("HTTP_X_FOO"), TX("lost"),
                                              TX("CONTENT_LENGTH"), TX("lost"), TX("APP_ENV"), TX("prod")};

static struct http_request req;
static struct fastcgi_env_request in;
static struct fastcgi_env_config cfg;

static void request(const char *method, const char *host, const char *path)
{
  memset(&req, 0, sizeof req);
  req.method = method, req.method_len = strlen(method);
  req.version_minor = 1;
  req.host = host, req.host_len = strlen(host);
  req.content_length = -1;
  in = (struct fastcgi_env_request){.req = &req, .path = {path, strlen(path)}, .query = TX("a=1"),
                                    .request_uri = TX("/orig?a=1"), .remote_ip = TX("127.0.0.1"),
                                    .remote_port = TX("5555")};
  cfg = (struct fastcgi_env_config){.root = TX("/srv/www"), .split_paths = splits, .split_count = 1,
                                    .server_software = TX("Caddy/v2.6.2")};
}

static void field(const char *name, const char *value)
{
  req.headers[req.header_count++] = (struct http_header){name, strlen(name), value, strlen(value)};
}

static int build(void)
{
  struct fastcgi_params p;
  fastcgi_params_init(&p, params_buf, sizeof params_buf);
  int rc = fastcgi_env_build(&cfg, &in, &p, scratch, sizeof scratch);
  if (rc == 0)
    decode(p.len);
  return rc;
}

/* builds the environment; 1 when it gave want, else a failure */
static int built(const char *what, int want)
{
  int rc = build();
  if (rc != want) {
    fprintf(stderr, "%s: build gave %d, want %d\n", what, rc, want);
    failures++;
  }
  return rc == want;
}

static void check_get(void)
{
  request("GET", "example.com:8080", "/index.php");
  field("Host", "example.com:8080");
  if (!built("get", 0))
    return;
  static const char *const want[][2] = {
    {"SCRIPT_NAME", "/index.php"}, {"SCRIPT_FILENAME", "/srv/www/index.php"}, {"PATH_INFO", ""},
    {"DOCUMENT_URI", "/index.php"}, {"DOCUMENT_ROOT", "/srv/www"}, {"SERVER_NAME", "example.com"},
    {"SERVER_PORT", "8080"}, {"REQUEST_METHOD", "GET"}, {"CONTENT_LENGTH", "0"}, {"CONTENT_TYPE", ""},
    {"QUERY_STRING", "a=1"}, {"REQUEST_URI", "/orig?a=1"}, {"REMOTE_ADDR", "127.0.0.1"},
    {"REMOTE_HOST", "127.0.0.1"}, {"REMOTE_PORT", "5555"}, {"REQUEST_SCHEME", "http"},
    {"SERVER_PROTOCOL", "HTTP/1.1"}, {"GATEWAY_INTERFACE", "CGI/1.1"}, {"HTTP_HOST", "example.com:8080"},
    {"SERVER_SOFTWARE", "Caddy/v2.6.2"}, {"AUTH_TYPE", ""}, {"REMOTE_IDENT", ""}, {"REMOTE_USER", ""},
    {"PATH_TRANSLATED", NULL}, {"HTTPS", NULL}, {"SERVER_ADDR", NULL},
  };
  expect_all("get", want, sizeof want / sizeof want[0]);
}

static void check_split_and_fields(void)
{
  request("patch", "[::1]:8443", "/Foo.PHP/bar/../baz/");
  req.content_length = 5;
  field("X-Foo", "a");
  field("Proxy", "evil");
  field("x-foo", "b");
  field("Content-Length", "5");
  in.tls = 1, in.tls_protocol = TX("tls1.3"), in.tls_cipher = TX("TLS_AES_128_GCM_SHA256");
  in.server_addr = TX("::1");
  cfg.env = env_opt, cfg.env_count = 4;
  if (!built("split", 0))
    return;
  static const char *const want[][2] = {
    {"SCRIPT_NAME", "/Foo.PHP"},
    {"PATH_INFO", "/bar/../baz/"},
    {"PATH_TRANSLATED", "/srv/www/baz/"},
    {"DOCUMENT_URI", "/Foo.PHP"},
    {"SERVER_NAME", "::1"},
    {"SERVER_PORT", "8443"},
    {"REQUEST_METHOD", "PATCH"},
    {"CONTENT_LENGTH", "5"},
    {"CONTENT_TYPE", "application/x-www-form-urlencoded"},
    {"HTTP_X_FOO", "a, b"},
    {"HTTP_CONTENT_LENGTH", "5"},
    {"HTTP_PROXY", NULL},
    {"GATEWAY_INTERFACE", "mine"},
    {"APP_ENV", "prod"},
    {"HTTPS", "on"},
    {"SSL_PROTOCOL", "tls1.3"},
    {"SSL_CIPHER", "TLS_AES_128_GCM_SHA256"},
    {"SERVER_ADDR", "::1"},
    {"REQUEST_SCHEME", "https"},
  };
  expect_all("split", want, sizeof want / sizeof want[0]);
}

static void check_edges(void)
{
  request("POST", "[::1]", "/a.php");
  req.chunked = 1;
  in.tls = 1;
  built("a chunked POST is Caddy's 411", -ENODATA);
  request("HEAD", "[::1]", "/a.php");
  req.chunked = 1;
  in.tls = 1;
  built("head", 0);
  expect("head", "CONTENT_LENGTH", "0");
  expect("head", "SERVER_NAME", "[::1]");
  expect("head", "SERVER_PORT", "443");
  expect("head", "REQUEST_METHOD", "HEAD");

  request("GET", "h", "/x/y.php");
  cfg.split_count = 0;
  in.file_remainder = TX("/ignored");
  if (built("no split", 0)) {
    expect("no split", "SCRIPT_NAME", "");
    expect("no split", "PATH_INFO", "/x/y.php");
    expect("no split", "SCRIPT_FILENAME", "/srv/www");
  }
  request("GET", "h", "/x/y");
  in.file_remainder = TX("/rest");
  if (built("remainder", 0)) {
    expect("remainder", "PATH_INFO", "/rest");
    expect("remainder", "SCRIPT_NAME", "/x/y");
  }
  request("GET", "h", "/a\0b.php");
  in.path.len = 8;
  built("a NUL in the path is Caddy's 400", -EINVAL);
  request("GET", "h", "/a.php");
  cfg.root = TX("/");
  cfg.resolve_root_symlink = 1;
  if (built("root /", 0))
    expect("root /", "SCRIPT_FILENAME", "/a.php");
  cfg.root = TX("/no/such/dir");
  built("a root that does not resolve fails", -ENOENT);
}

int main(void)
{
  check_get();
  check_split_and_fields();
  check_edges();
  printf("%s: %d failures\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
