/* lowering and codegen end to end on hand-written Caddy JSON (the shapes
 * `caddy adapt` prints): the generated C must compile with clang -target bpf
 * against the embedded stdlib-bpf headers, hold the expected matcher and
 * handler calls and #line directives, fill the runtime config, and every
 * construct zsc cannot compile must be refused (by lowering) at its
 * file:line:col, in JSON terms since the user wrote JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "codegen/stdlib_embed.h"
#include "lower/lower.h"

static int failures;
static char dir[64];

#define EXPECT(cond, ...) \
  do { \
    if (!(cond)) { \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__); \
      fputc('\n', stderr); \
      failures++; \
    } \
  } while (0)

/* runs lowering, then codegen; diagnostics go into *msgs */
static int run(struct arena *a, const char *json, struct codegen_output *out, char **msgs)
{
  size_t size = 0;
  FILE *mem = open_memstream(msgs, &size);
  struct diag d;
  diag_init(&d, mem);
  d.no_caret = 1;
  struct json *ir = json_parse(a, json, strlen(json), "Caddyfile", &d);
  struct lowered_config low;
  memset(out, 0, sizeof *out);
  int r = !ir ? -2 : lower_run(a, ir, "Caddyfile", &low, &d) < 0 ? -1 : codegen_run(a, &low, out, &d);
  fclose(mem);
  return r;
}

static int clang_compile(const char *c_source)
{
  char path[128], cmd[512];
  snprintf(path, sizeof path, "%s/site.c", dir);
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fputs(c_source, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "%s -target bpf -mcpu=v4 -O2 -g -Wall -Wextra -Werror -I%s -c %s -o %s/site.o",
           ZS_TEST_CLANG, dir, path, dir);
  return system(cmd);
}

/* compiles json; every string in want must appear in the C */
static struct codegen_output compile_ok(struct arena *a, const char *name, const char *json, const char *const *want)
{
  struct codegen_output out;
  char *msgs = NULL;
  int r = run(a, json, &out, &msgs);
  EXPECT(r == 0, "%s: codegen_run returned %d:\n%s", name, r, msgs);
  free(msgs);
  if (r != 0)
    return out;
  int cr = clang_compile(out.c_source);
  EXPECT(cr == 0, "%s: generated C does not compile:\n%s", name, out.c_source);
  for (size_t i = 0; want && want[i]; i++)
    EXPECT(strstr(out.c_source, want[i]), "%s: no `%s` in:\n%s", name, want[i], out.c_source);
  if (getenv("ZS_TEST_SHOW"))
    printf("==== %s\n%s", name, out.c_source);
  return out;
}

/* must be refused, with each of want among the messages */
static void compile_refused(struct arena *a, const char *name, const char *json, const char *const *want, int count)
{
  struct codegen_output out;
  char *msgs = NULL;
  int r = run(a, json, &out, &msgs);
  EXPECT(r == -1, "%s: codegen_run returned %d, want -1", name, r);
  for (size_t i = 0; want[i]; i++)
    EXPECT(strstr(msgs, want[i]), "%s: no `%s` in:\n%s", name, want[i], msgs);
  int n = 0;
  for (const char *p = msgs; (p = strstr(p, ": error: ")); p++)
    n++;
  EXPECT(n == count, "%s: %d errors, want %d:\n%s", name, n, count, msgs);
  free(msgs);
}

static void test_respond_and_handle_path(struct arena *a)
{
  const char *json =
    "{\"apps\":{\"http\":{\"servers\":{\"srv0\":{\"listen\":[\":8080\"],\"routes\":[\n"
    "{\"match\":[{\"path\":[\"/api/v1/*\"]}],\"handle\":[{\"handler\":\"subroute\",\"routes\":[\n"
    "  {\"handle\":[{\"handler\":\"rewrite\",\"strip_path_prefix\":\"/api/v1\"}]},\n"
    "  {\"handle\":[{\"body\":\"API v1 {http.request.uri.path} {unknown}\",\"handler\":\"static_response\"}]}]}]},\n"
    "{\"handle\":[{\"handler\":\"static_response\",\"status_code\":\"404\",\"body\":\"nope \\\\{x}\"}]}\n"
    "]}}}}}";
  const char *const want[] = {
    "unsigned long long zs_entry_srv0(const struct zs_req *req)",
    "#line 2 \"Caddyfile\"\n\tif (zs_path_is(req, \"/api/v1/\", ZS_STR_PREFIX)) {",
    "zs_strip_prefix(\"/api/v1\");", "zs_lit(ZS_BUF_BODY, \"API v1 \");",
    "zs_var(ZS_BUF_BODY, ZS_VAR_path);", "zs_lit(ZS_BUF_BODY, \" {unknown}\");",
    "zs_resp_status(404);", "zs_lit(ZS_BUF_BODY, \"nope {x}\");", "return ZS_RESPOND;", NULL};
  struct codegen_output out = compile_ok(a, "respond", json, want);
  EXPECT(out.config.server_count == 1 && strcmp(out.config.servers[0].entry_symbol, "zs_entry_srv0") == 0,
         "respond: servers");
  EXPECT(out.config.listener_count == 1 && out.config.listeners[0].port == 8080 &&
         strcmp(out.config.listeners[0].host_str, "") == 0, "respond: listener");
  /* the last route always responds, so the entry must not fall through to NEXT */
  EXPECT(out.c_source && !strstr(out.c_source, "return ZS_NEXT;"), "respond: dead NEXT emitted");
}

static void test_matchers(struct arena *a)
{
  const char *json =
    "{\"apps\":{\"http\":{\"servers\":{\"b\":{\"listen\":[\"127.0.0.1:80\"],\"routes\":[\n"
    "{\"match\":[{\"host\":[\"Example.com\",\"*.example.org\"],\"method\":[\"GET\",\"HEAD\"]},{\"path\":[\"*.CSS\",\"*/x/*\",\"/a/*/b\",\"/exact\",\"//dbl*\"]}],\n"
    " \"handle\":[{\"handler\":\"static_response\",\"body\":\"m\"}]},\n"
    "{\"match\":[{\"header\":{\"X-A\":[\"*\",\"pre*\",\"*suf\",\"*mid*\",\"exact\"],\"X-Gone\":null,\"X-Any\":[]}}],\n"
    " \"handle\":[{\"handler\":\"static_response\",\"status_code\":204}]},\n"
    "{\"match\":[{\"not\":[{\"method\":[\"PUT\"]}],\"protocol\":\"https\"},{\"path\":[\"*\"]}],\"handle\":[{\"handler\":\"static_response\"}]}\n"
    "]},\"a\":{\"listen\":[\"tcp/[::1]:9001\"],\"routes\":[]}}}}}";
  const char *const want[] = {
    "zs_host_is(req, \"example.com\")", "zs_host_wild(req, \"*.example.org\")",
    "zs_method_is(req, \"HEAD\")", "zs_path_is(req, \".css\", ZS_STR_SUFFIX)",
    "zs_path_is(req, \"/x/\", ZS_STR_CONTAINS)", "zs_path_is(req, \"/a/*/b\", ZS_STR_GLOB)",
    "zs_path_is(req, \"/exact\", ZS_STR_EXACT)", "zs_path_is(req, \"//dbl\", ZS_STR_PREFIX | ZS_PATH_KEEP_SLASHES)",
    "zs_header_present(req, \"x-a\")", "zs_header_is(req, \"x-a\", \"pre\", ZS_STR_PREFIX)",
    "zs_header_is(req, \"x-a\", \"suf\", ZS_STR_SUFFIX)", "zs_header_is(req, \"x-a\", \"mid\", ZS_STR_CONTAINS)",
    "!zs_header_present(req, \"x-gone\")", "zs_header_present(req, \"x-any\")",
    "zs_entry_srv1", "zs_resp_status(204);", NULL};
  struct codegen_output out = compile_ok(a, "matchers", json, want);
  /* sorted server names: "a" is srv0, "b" srv1 */
  EXPECT(out.config.server_count == 2 && strcmp(out.config.servers[0].name_str, "a") == 0, "matchers: order");
  EXPECT(out.config.listener_count == 2 && strcmp(out.config.listeners[0].host_str, "::1") == 0 &&
         out.config.listeners[0].port == 9001 && out.config.listeners[1].server == 1, "matchers: listeners");
  /* the third route's second set is `*`: always true, so no if around it */
  EXPECT(out.c_source && !strstr(out.c_source, "req->tls"), "matchers: always-true set not folded");
}

static void test_headers_files_proxy(struct arena *a)
{
  const char *json =
    "{\"apps\":{\"http\":{\"servers\":{\"srv0\":{\"listen\":[\":80\"],\"routes\":[\n"
    "{\"handle\":[{\"handler\":\"headers\",\"response\":{\"set\":{\"x-frame\":[\"DENY\",\"b\"]},\"add\":{\"Link\":[\"{http.request.host}\"]}}},\n"
    "  {\"handler\":\"headers\",\"response\":{\"deferred\":true,\"delete\":[\"Server\"]}}]},\n"
    "{\"handle\":[{\"handler\":\"vars\",\"root\":\"/srv/{http.request.host}\"}]},\n"
    "{\"group\":\"g1\",\"match\":[{\"path\":[\"/api/*\"]}],\"handle\":[{\"handler\":\"reverse_proxy\",\"upstreams\":[{\"dial\":\"127.0.0.1:9000\"}]}]},\n"
    "{\"group\":\"g1\",\"handle\":[{\"handler\":\"file_server\",\"hide\":[\"./Caddyfile\"],\"status_code\":403}]},\n"
    "{\"handle\":[{\"handler\":\"static_response\",\"body\":\"never\"}]}\n"
    "],\"terminal\":true}}}}}";
  (void)json;
  const char *json2 =
    "{\"apps\":{\"http\":{\"servers\":{\"srv0\":{\"listen\":[\":80\"],\"routes\":[\n"
    "{\"handle\":[{\"handler\":\"headers\",\"response\":{\"set\":{\"x-frame\":[\"DENY\",\"b\"]},\"add\":{\"Link\":[\"{http.request.host}\"]}}},\n"
    "  {\"handler\":\"headers\",\"response\":{\"deferred\":true,\"delete\":[\"Server\"]}}]},\n"
    "{\"handle\":[{\"handler\":\"vars\",\"root\":\"/srv/{http.request.host}\"}]},\n"
    "{\"group\":\"g1\",\"match\":[{\"path\":[\"/api/*\"]}],\"handle\":[{\"handler\":\"reverse_proxy\",\"upstreams\":[{\"dial\":\"127.0.0.1:9000\"}]}]},\n"
    "{\"group\":\"g1\",\"handle\":[{\"handler\":\"file_server\",\"hide\":[\"./Caddyfile\"],\"status_code\":403}]},\n"
    "{\"handle\":[{\"handler\":\"static_response\",\"body\":\"never\"}]}\n"
    "]}}}}}";
  const char *const want[] = {
    "zs_lit(ZS_BUF_VALUE, \"DENY\");", "zs_lit(ZS_BUF_VALUE, \",\");", "zs_hdr(ZS_HDR_SET, \"X-Frame\");",
    "zs_var(ZS_BUF_VALUE, ZS_VAR_host);", "zs_hdr(ZS_HDR_ADD, \"Link\");", "deferred |= 1ull << 0;",
    "static __attribute__((noinline)) void zs_deferred_srv0(unsigned long long deferred)",
    "zs_hdr(ZS_HDR_DELETE | ZS_HDR_DEFERRED, \"Server\");", "zs_var_set(ZS_VAR_root, ZS_BUF_VALUE);",
    "if (!(groups & (1ull << 0)) && zs_path_is(req, \"/api/\", ZS_STR_PREFIX)) {",
    "zs_deferred_srv0(deferred);", "return ZS_ACTION(ZS_ACT_PROXY, 0);", "return ZS_ACTION(ZS_ACT_FILE, 0);",
    "return ZS_RESPOND;", NULL};
  struct codegen_output out = compile_ok(a, "headers", json2, want);
  EXPECT(out.config.proxy_count == 1 && strcmp(out.config.proxies[0].upstream_str, "127.0.0.1:9000") == 0, "proxy record");
  EXPECT(out.config.file_server_count == 1 && out.config.file_servers[0].status == 403 &&
         out.config.file_servers[0].hide_str_count == 1 && out.config.file_servers[0].index_str_count == 2 &&
         strcmp(out.config.file_servers[0].index_str[0], "index.html") == 0, "file_server record");
}

static void test_refusals(struct arena *a)
{
  const char *json =
    "{\"apps\":{\"http\":{\"servers\":{\"srv0\":{\"listen\":[\":80\"],\"routes\":[\n"
    "{\"handle\":[{\"handler\":\"templates\",\"file_root\":\"/srv\"}]},\n"
    "{\"match\":[{\"vars_regexp\":{\"pattern\":\"x\"}}],\"handle\":[\n"
    "  {\"handler\":\"reverse_proxy\",\"upstreams\":[{\"dial\":\"a:1\"}],\"rewrite\":{\"strip_path_prefix\":\"/a\"}}]},\n"
    "{\"handle\":[{\"handler\":\"static_response\",\"body\":\"{http.request.duration}\"}]}\n"
    "]}}}}}";
  const char *const want[] = {
    "Caddyfile:2:23: error: zsc cannot compile handler 'templates' yet",
    "Caddyfile:3:26: error: zsc cannot compile matcher 'vars_regexp' yet",
    "Caddyfile:4:90: error: zsc cannot compile reverse_proxy rewrite option 'strip_path_prefix' yet",
    "Caddyfile:5:48: error: zsc cannot compile placeholder {http.request.duration} yet", NULL};
  compile_refused(a, "refusals", json, want, 4);

  const char *https = "{\"apps\":{\"http\":{\"servers\":{\"srv0\":{\"listen\":[\":443\"],\"routes\":[\n"
                      "{\"match\":[{\"host\":[\"example.com\"]}],\"handle\":[{\"handler\":\"static_response\"}]}]}}},\n"
                      "\"tls\":{\"automation\":{\"policies\":[{\"issuers\":[{\"module\":\"zerossl\"}]}]}}}}";
  const char *const want_https[] = {"Caddyfile:3:46: error: zsc cannot compile issuer 'zerossl' (it needs EAB "
                                    "credentials from ZeroSSL's API, which zsrt does not fetch) yet", NULL};
  compile_refused(a, "https", https, want_https, 1);

  const char *other = "{\"apps\":{\"events\":{},\"http\":{\"servers\":{\"srv0\":{\"listen\":[\"udp/:80\"],\"write_timeout\":1}}}}}";
  const char *const want_other[] = {"app 'events'", "network other than tcp", "server option 'write_timeout'", NULL};
  compile_refused(a, "other", other, want_other, 3);
}

/* automatic HTTPS stays off for an http-only server and when disabled */
static void test_no_https(struct arena *a)
{
  const char *json = "{\"apps\":{\"http\":{\"servers\":{\"srv0\":{\"listen\":[\":443\"],"
                     "\"automatic_https\":{\"disable\":true},\"routes\":[]},"
                     "\"srv1\":{\"listen\":[\":80\"],\"routes\":[{\"match\":[{\"host\":[\"localhost\"]}],"
                     "\"handle\":[{\"handler\":\"static_response\",\"body\":\"hi\"}],\"terminal\":true}]}}}}}";
  const char *const want[] = {"zs_entry_srv0", "zs_host_is(req, \"localhost\")", "return ZS_NEXT;", NULL};
  compile_ok(a, "no_https", json, want);
}

static void test_embed(void)
{
  size_t len = 0;
  const char *zs = stdlib_embed_header("zs.h", &len);
  EXPECT(zs && len > 100 && strstr(zs, "ZS_STDLIB_BPF_H"), "embedded zs.h");
  EXPECT(stdlib_embed_header("helpers.def", NULL), "embedded helpers.def");
  EXPECT(zs_stdlib_bpf_obj_len > 64 && memcmp(zs_stdlib_bpf_obj, "\177ELF", 4) == 0, "embedded stdlib object");
}

static bool list_is(const char **items, size_t count, const char *const *want)
{
  size_t n = 0;
  while (want[n])
    n++;
  for (size_t i = 0; i < count && i < n; i++)
    if (strcmp(items[i], want[i]) != 0)
      return false;
  return count == n;
}

/* the TLS rows of the blob config: policies, loaded and internal certificates,
 * the TLS app, the server flags and the redirect server automatic HTTPS adds */
static void test_tls_config(struct arena *a)
{
  const char *json =
    "{\"apps\":{\"http\":{\"https_port\":8443,\"servers\":{\"srv0\":{\"listen\":[\":8443\"],\"routes\":["
    "{\"match\":[{\"host\":[\"a.example\",\"localhost\"]}],\"handle\":[{\"handler\":\"static_response\"}]}],"
    "\"tls_connection_policies\":[{\"match\":{\"sni\":[\"\",\"a.example\"]},\"default_sni\":\"a.example\","
    "\"certificate_selection\":{\"any_tag\":[\"t\"]},\"protocol_min\":\"tls1.3\",\"curves\":[\"secp384r1\"],"
    "\"client_authentication\":{\"ca\":{\"provider\":\"inline\",\"trusted_ca_certs\":[\"QUJD\"]}}},{}]}}},"
    "\"tls\":{\"certificates\":{\"load_files\":[{\"certificate\":\"c.pem\",\"key\":\"k.pem\",\"tags\":[\"t\"]}]},"
    "\"automation\":{\"policies\":[{\"subjects\":[\"localhost\"],\"issuers\":[{\"module\":\"internal\","
    "\"lifetime\":\"2h\"}]}]}},\"pki\":{\"certificate_authorities\":{\"local\":{\"name\":\"Test CA\","
    "\"install_trust\":false}}}}}";
  struct codegen_output out = compile_ok(a, "tls", json, NULL);
  const struct site_config *c = &out.config;
  EXPECT(c->server_count == 2 && !strcmp(c->servers[0].name_str, "remaining_auto_https_redirects") &&
         c->servers[0].flags == 0 && c->servers[1].flags == (ZS_SERVER_TLS | ZS_SERVER_STRICT_SNI),
         "tls: servers");
  EXPECT(c->listener_count == 2 && c->listeners[0].port == 80 && c->listeners[1].port == 8443, "tls: listeners");
  EXPECT(c->tls_policy_count == 2, "tls: %zu policies", c->tls_policy_count);
  if (c->tls_policy_count == 2) {
    const struct site_tls_policy *p = &c->tls_policies[0];
    EXPECT(p->server == 1 && list_is(p->sni_str, p->sni_str_count, (const char *const[]){"a.example", NULL}) &&
           p->flags == ZS_POLICY_SNI_NONE && !strcmp(p->default_sni_str, "a.example"), "tls: policy match");
    EXPECT(list_is(p->tag_str, p->tag_str_count, (const char *const[]){"t", NULL}) && p->protocol_min == 13 &&
           p->protocol_max == 0 && list_is(p->curve_str, p->curve_str_count, (const char *const[]){"p384", NULL}),
           "tls: policy settings");
    EXPECT(p->client_auth == 4 && p->trust_pem_str_count == 1 &&
           !strcmp(p->trust_pem_str[0], "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n"),
           "tls: client auth");
    EXPECT(c->tls_policies[1].client_auth == 0 && c->tls_policies[1].sni_str_count == 0, "tls: catch-all policy");
  }
  EXPECT(c->tls_cert_count == 2 && !strcmp(c->tls_certs[0].chain_str, "c.pem") && c->tls_certs[0].flags == 0 &&
         c->tls_certs[1].flags == ZS_CERT_INTERNAL &&
         list_is(c->tls_certs[1].name_str, c->tls_certs[1].name_str_count, (const char *const[]){"localhost", NULL}),
         "tls: certificates (a.example has its file, localhost the local CA)");
  EXPECT(c->tls_app_count == 1 && c->tls_apps[0].leaf_lifetime == 7200 && !strcmp(c->tls_apps[0].ca_name_str, "Test CA") &&
         c->tls_apps[0].flags == ZS_TLS_SKIP_INSTALL_TRUST && !c->tls_apps[0].storage_str, "tls: tls app");
}

int main(void)
{
  snprintf(dir, sizeof dir, "codegen-test-XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  if (stdlib_embed_write_headers(dir) != 0) {
    fprintf(stderr, "cannot write the stdlib headers\n");
    return 1;
  }
  struct arena a = {0};
  test_embed();
  test_respond_and_handle_path(&a);
  test_matchers(&a);
  test_headers_files_proxy(&a);
  test_refusals(&a);
  test_no_https(&a);
  test_tls_config(&a);
  arena_reset(&a);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  if (failures)
    fprintf(stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
