/* lower_run on Caddyfiles through the front end: a construct zsc cannot
 * compile is refused at the token the user wrote, named as written
 * (`argon2id`, `lb_policy`, `log`), once per directive; what compiles is
 * lowered to the records codegen expects; and a config with no position at
 * all still never yields an error without file:line:col. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "frontend/frontend.h"
#include "lower/lower.h"

static char dir[] = "zs-lower-XXXXXX";   /* under the working directory */

/* the Caddyfile written to DIR/Caddyfile, through the front end and lowered;
 * its diagnostics in *msgs */
static int lower_caddyfile(struct arena *a, const char *text, struct lowered_config *low, char **msgs)
{
  const char *path = arena_printf(a, "%s/Caddyfile", dir);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  size_t size = 0;
  FILE *mem = open_memstream(msgs, &size);
  struct diag d;
  diag_init(&d, mem);
  d.no_caret = 1;
  struct json *ir = frontend_load(a, path, &d);
  int r = ir ? lower_run(a, ir, path, low, &d) : -2;
  fclose(mem);
  return r;
}

static int count_errors(const char *msgs)
{
  int n = 0;
  for (const char *p = msgs; (p = strstr(p, ": error: ")); p++)
    n++;
  return n;
}

/* refused, with exactly `want` as the one message (after "DIR/") */
static void expect_refusal(struct arena *a, const char *text, const char *want)
{
  struct lowered_config low;
  char *msgs = NULL;
  int r = lower_caddyfile(a, text, &low, &msgs);
  const char *full = arena_printf(a, "%s/%s\n", dir, want);
  CHECK(r == -1);
  CHECK(strcmp(msgs, full) == 0);
  if (strcmp(msgs, full) != 0)
    fprintf(stderr, "  want: %s  got:  %s", full, msgs);
  free(msgs);
}

static void test_named_as_written(struct arena *a)
{
  expect_refusal(a, ":80 {\n\tbasicauth /secret/* argon2id {\n\t\tbob JDJhJDE0JE\n\t}\n}\n",
                 "Caddyfile:2:22: error: zsc cannot compile basic_auth hash algorithm 'argon2id' yet");
  expect_refusal(a, ":80 {\n\trespond ok\n\tbasic_auth {\n\t\tbob JDJhJDE0JE\n\t}\n}\n",
                 "Caddyfile:4:7: error: basic_auth: base64-decoding password of user: bob");
  expect_refusal(a, ":80 {\n\trespond ok\n\tlog {\n\t\toutput net localhost:9999\n\t}\n}\n",
                 "Caddyfile:4:10: error: zsc cannot compile log output 'net' yet");
  expect_refusal(a, ":80 {\n\tlog {\n\t\tformat filter {\n\t\t\twrap json\n\t\t}\n\t}\n}\n",
                 "Caddyfile:3:10: error: zsc cannot compile log format 'filter' yet");
  expect_refusal(a, ":80 {\n\tencode {\n\t\tgzip 12\n\t}\n}\n",
                 "Caddyfile:3:8: error: zsc cannot compile gzip level that is not 0 to 9 yet");
  expect_refusal(a, ":80 {\n\tencode gzip {\n\t\tmatch header Content-Type {path}\n\t}\n}\n",
                 "Caddyfile:3:29: error: zsc cannot compile placeholder in encode match header value yet");
  expect_refusal(a, ":80 {\n\troot * /srv\n\tphp_fastcgi 127.0.0.1:9000\n}\n",
                 "Caddyfile:3:2: error: zsc cannot compile directive 'php_fastcgi' yet (it needs reverse_proxy option 'transport')");
  expect_refusal(a, ":80 {\n\treverse_proxy 127.0.0.1:9000 {\n\t\theader_up X-A {http.reverse_proxy.upstream.fails}\n\t}\n}\n",
                 "Caddyfile:2:2: error: zsc cannot compile directive 'reverse_proxy' yet (it needs placeholder "
                 "{http.reverse_proxy.upstream.fails})");
  expect_refusal(a, ":80 {\n\treverse_proxy 127.0.0.1:9000 {\n\t\theader_down X-A \"a(\" b\n\t}\n}\n",
                 "Caddyfile:2:2: error: zsc cannot compile directive 'reverse_proxy' yet (it needs replace "
                 "search_regexp 'a(': missing closing parenthesis at offset 2)");
  expect_refusal(a, ":80 {\n\treverse_proxy a:1 b:2 {\n\t\tlb_retry_match {\n\t\t\tpath /x\n\t\t}\n\t}\n}\n",
                 "Caddyfile:4:4: error: zsc cannot compile matcher 'path' yet");
  expect_refusal(a, ":80 {\n\treverse_proxy a:1 b:2 {\n\t\ttransport http {\n\t\t\tkeepalive_interval 5s\n\t\t}\n\t}\n}\n",
                 "Caddyfile:4:4: error: zsc cannot compile reverse_proxy subdirective 'keepalive_interval' yet");
  expect_refusal(a, ":80 {\n\treverse_proxy a:1 b:2 {\n\t\theader_up X {http.reverse_proxy.upstream.host}\n\t}\n}\n",
                 "Caddyfile:2:2: error: zsc cannot compile directive 'reverse_proxy' yet (it needs placeholder "
                 "{http.reverse_proxy.upstream.host})");
  expect_refusal(a, ":80 {\n\tfile_server {\n\t\tbrowse {\n\t\t\tfile_limit 20000\n\t\t}\n\t}\n}\n",
                 "Caddyfile:4:15: error: zsc cannot compile file_server browse file_limit outside 0..10000 yet");
  expect_refusal(a, ":80 {\n\tfile_server {\n\t\tpass_thru\n\t}\n}\n",
                 "Caddyfile:3:3: error: zsc cannot compile file_server subdirective 'pass_thru' yet");
  expect_refusal(a, ":80 {\n\t@re vars_regexp x ^/a\n\trespond @re hi\n}\n",
                 "Caddyfile:2:6: error: zsc cannot compile matcher 'vars_regexp' yet");
  expect_refusal(a, ":80 {\n\t@ip remote_ip 10.0.0.0/33\n\trespond @ip hi\n}\n",
                 "Caddyfile:2:16: error: zsc cannot compile remote_ip range '10.0.0.0/33' yet");
  expect_refusal(a, ":80 {\n\turi path_regexp ^/a /b\n}\n",
                 "Caddyfile:2:6: error: zsc cannot compile uri subdirective 'path_regexp' yet");
  expect_refusal(a, ":80 {\n\trewrite * /x?a={http.request.uri.path}\n\treverse_proxy 127.0.0.1:9\n}\n",
                 "Caddyfile:2:12: error: zsc cannot compile rewrite of the query in a server with reverse_proxy yet");
  /* a value's own token still wins: the placeholder is pointed at */
  expect_refusal(a, ":80 {\n\t@f {\n\t\tpath /a/*\n\t\tfile {\n\t\t\ttry_files {path} =404\n\t\t}\n\t}\n\trespond @f 200\n}\n",
                 "Caddyfile:5:21: error: zsc cannot compile try_files status '=404' beside other matchers yet");
  expect_refusal(a, ":80 {\n\trespond \"{http.request.duration}\"\n}\n",
                 "Caddyfile:2:10: error: zsc cannot compile placeholder {http.request.duration} yet");
}

/* abort and respond ... close lower to their own rows */
static void test_abort_close(struct arena *a)
{
  struct lowered_config low;
  char *msgs = NULL;
  int r = lower_caddyfile(a, ":80 {\n\tabort /a\n\trespond /c ok {\n\t\tclose\n\t}\n\trespond ok\n}\n", &low, &msgs);
  CHECK(r == 0 && count_errors(msgs) == 0);
  free(msgs);
  if (r != 0)
    return;
  CHECK(low.server_count == 1 && low.servers[0].route_count == 3);
  const struct lowered_route *routes = low.servers[0].routes;
  CHECK(routes[0].handlers[0].kind == LOWERED_ABORT && routes[0].handlers[0].origin.line == 2);
  CHECK(routes[1].handlers[0].kind == LOWERED_RESPOND_CLOSE && routes[1].handlers[0].u.respond.status == 0);
  CHECK(routes[2].handlers[0].kind == LOWERED_STATIC_RESPONSE);
  struct strbuf dump;
  strbuf_init(&dump, a);
  lower_dump(&low, &dump);
  CHECK(strstr(strbuf_cstr(&dump), "handler abort (abort) @"));
  CHECK(strstr(strbuf_cstr(&dump), "action=RESPOND_CLOSE status=200 body=\"ok\"\n"));
}

/* a JSON tree built without any position: every message still has one */
static void test_no_position(struct arena *a)
{
  struct srcpos none = {0};
  struct json *ir = json_new(a, JSON_OBJECT, none), *apps = json_new(a, JSON_OBJECT, none);
  struct json *http = json_new(a, JSON_OBJECT, none), *servers = json_new(a, JSON_OBJECT, none);
  struct json *srv = json_new(a, JSON_OBJECT, none), *listen = json_new(a, JSON_ARRAY, none);
  json_array_push(a, listen, json_string(a, ":80", none));
  json_object_set(a, srv, "listen", listen);
  json_object_set(a, srv, "write_timeout", json_new(a, JSON_OBJECT, none));
  json_object_set(a, servers, "srv0", srv);
  json_object_set(a, http, "servers", servers);
  json_object_set(a, apps, "http", http);
  json_object_set(a, apps, "events", json_new(a, JSON_OBJECT, none));
  json_object_set(a, ir, "apps", apps);
  struct json *logging = json_new(a, JSON_OBJECT, none);
  json_object_set(a, logging, "sink", json_new(a, JSON_OBJECT, none));
  json_object_set(a, ir, "logging", logging);
  char *msgs = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&msgs, &size);
  struct diag d;
  diag_init(&d, mem);
  d.no_caret = 1;
  struct lowered_config low;
  int r = lower_run(a, ir, "site.json", &low, &d);
  fclose(mem);
  CHECK(r == -1 && count_errors(msgs) == 3);
  regex_t re;
  CHECK(regcomp(&re, "^site\\.json:[0-9]+:[0-9]+: error: zsc cannot compile ", REG_EXTENDED | REG_NEWLINE) == 0);
  for (char *line = msgs, *nl; *line; line = nl + 1) {
    nl = strchr(line, '\n');
    *nl = '\0';
    CHECK(regexec(&re, line, 0, NULL, 0) == 0);
    if (regexec(&re, line, 0, NULL, 0) != 0)
      fprintf(stderr, "  no file:line:col: %s\n", line);
  }
  regfree(&re);
  free(msgs);
}

int main(void)
{
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  struct arena a = {0};
  test_named_as_written(&a);
  test_abort_close(&a);
  test_no_position(&a);
  arena_reset(&a);
  char path[64];
  snprintf(path, sizeof path, "%s/Caddyfile", dir);
  unlink(path);
  rmdir(dir);
  if (check_failures)
    fprintf(stderr, "%d failures\n", check_failures);
  return check_failures ? 1 : 0;
}
