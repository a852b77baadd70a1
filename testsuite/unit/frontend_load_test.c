/* frontend_load / emit: Caddy JSON passes through, a Caddyfile is adapted
 * with positions on IR values, errors come out as file:line:col diagnostics
 * with Caddy's wording, and the AST dump shows tokens with line:col. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "frontend/frontend.h"


static char dir[] = "zs-frontend-load-XXXXXX";   /* under the working directory */

static const char *write_file(struct arena *a, const char *name, const char *text)
{
  const char *path = arena_printf(a, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

/* Runs frontend_load (or frontend_load_caddy) with diagnostics captured into *err. */
static struct json *load_as(struct arena *a, const char *path, char **err, bool caddy_wording)
{
  static char buf[4096];
  memset(buf, 0, sizeof buf);
  FILE *out = fmemopen(buf, sizeof buf - 1, "w");
  struct diag d;
  diag_init(&d, out);
  d.no_caret = 1;
  struct json *v = caddy_wording ? frontend_load_caddy(a, path, &d) : frontend_load(a, path, &d);
  fclose(out);
  *err = buf;
  return v;
}

static struct json *load(struct arena *a, const char *path, char **err)
{
  return load_as(a, path, err, false);
}

static void test_caddyfile(struct arena *a)
{
  char *err;
  const char *path = write_file(a, "Caddyfile", ":8080 {\n\trespond /hi \"Hello\" 201\n}\n");
  struct json *ir = load(a, path, &err);
  CHECK(ir != NULL);
  if (!ir)
    return;
  struct strbuf sb;
  strbuf_init(&sb, a);
  json_write(&sb, ir, false);
  CHECK(!strcmp(strbuf_cstr(&sb), "{\"apps\":{\"http\":{\"servers\":{\"srv0\":{\"listen\":[\":8080\"],\"routes\":[{\"match\":"
                "[{\"path\":[\"/hi\"]}],\"handle\":[{\"body\":\"Hello\",\"handler\":\"static_response\",\"status_code\":201}]}]}}}}}"));
  strbuf_init(&sb, a);
  frontend_emit_ir(ir, &sb);
  CHECK(strstr(strbuf_cstr(&sb), "\"body\": \"Hello\",  // ") && strstr(strbuf_cstr(&sb), "Caddyfile:2:"));
  strbuf_init(&sb, a);
  struct diag d;
  diag_init(&d, stderr);
  CHECK(frontend_emit_ast(a, path, &sb, &d) == 0);
  CHECK(strstr(strbuf_cstr(&sb), "block braces keys: 1:1=\":8080\"\n  segment: 2:2=\"respond\" 2:10=\"/hi\" 2:14:quoted=\"Hello\" 2:22=\"201\"\n"));
}

static void test_json_input(struct arena *a)
{
  char *err;
  const char *path = write_file(a, "caddy.json", "  {\"apps\": {\"http\": {}}}");
  struct json *ir = load(a, path, &err);
  CHECK(ir && json_object_get(json_object_get(ir, "apps"), "http"));
}

static void test_errors(struct arena *a)
{
  char *err;
  const char *path = write_file(a, "Caddyfile", ":80\nhandle {\n\tnot_a_directive\n}\n");
  CHECK(load(a, path, &err) == NULL);
  CHECK(strstr(err, "Caddyfile:3:2: error: parsing caddyfile tokens for 'handle': unrecognized directive: not_a_directive "
                    "- are you sure your Caddyfile structure (nesting and braces) is correct?\n"));
  path = write_file(a, "Caddyfile", "example.com:70000\nrespond hi\n");
  CHECK(load(a, path, &err) == NULL && strstr(err, "port 70000 is out of range"));
  path = write_file(a, "Caddyfile", ":80\nrespond @nope hi\n");
  CHECK(load(a, path, &err) == NULL && strstr(err, "unrecognized matcher name: @nope"));
}

/* The diagnostic names the position once; Caddy's "FILE:LINE: " prefix and
 * ", at FILE:LINE" suffix stay only in Caddy's wording (zsc adapt --caddy-errors). */
static void test_error_position_once(struct arena *a)
{
  char *err;
  const char *path = write_file(a, "Caddyfile", "example.com {\n\trespond hi\n\tbogus_dir x\n}\n");
  CHECK(load(a, path, &err) == NULL);
  CHECK(strstr(err, "Caddyfile:3:2: error: unrecognized directive: bogus_dir\n") != NULL);
  CHECK(load_as(a, path, &err, true) == NULL);
  CHECK(strstr(err, "zsc: error: ") && strstr(err, "Caddyfile:3: unrecognized directive: bogus_dir"));
  path = write_file(a, "Caddyfile", ":80 {\n\treverse_proxy {\n\t\tlb_policy\n\t}\n}\n");
  CHECK(load(a, path, &err) == NULL);
  CHECK(strstr(err, "Caddyfile:3:3: error: parsing caddyfile tokens for 'reverse_proxy': wrong argument count or "
                    "unexpected line ending after 'lb_policy'\n"));
  CHECK(load_as(a, path, &err, true) == NULL && strstr(err, "after 'lb_policy', at ") && strstr(err, "Caddyfile:3\n"));
  path = write_file(a, "Caddyfile", "handle {\n\trespond hi\n}\n");
  CHECK(load(a, path, &err) == NULL);
  CHECK(strstr(err, "Caddyfile:1:1: error: parsed 'handle' as a site address") != NULL);
  CHECK(load_as(a, path, &err, true) == NULL && strstr(err, "Caddyfile:1: parsed 'handle' as a site address"));
}

/* Subdirectives are looked up by their whole name, as Caddy does: a name
 * that only starts like one (keepalive_, unhealthy_) is refused. */
static void test_subdirective_names(struct arena *a)
{
  char *err;
  const char *path = write_file(a, "Caddyfile", ":80\nreverse_proxy :9000 {\n\ttransport http {\n\t\tkeepalive_idle_conns 4\n\t}\n}\n");
  struct json *ir = load(a, path, &err);
  struct strbuf sb;
  strbuf_init(&sb, a);
  if (ir)
    json_write(&sb, ir, false);
  CHECK(ir && strstr(strbuf_cstr(&sb), "\"keep_alive\":{\"max_idle_conns\":4}"));
  path = write_file(a, "Caddyfile", ":80\nreverse_proxy :9000 {\n\ttransport http {\n\t\tkeepalive_bogus 4\n\t}\n}\n");
  CHECK(load(a, path, &err) == NULL && strstr(err, "unrecognized subdirective keepalive_bogus"));
  path = write_file(a, "Caddyfile", ":80\nreverse_proxy :9000 {\n\tunhealthy_bogus 500\n}\n");
  CHECK(load(a, path, &err) == NULL && strstr(err, "unrecognized subdirective unhealthy_bogus"));
  path = write_file(a, "Caddyfile", ":80\nreverse_proxy :9000 {\n\tunhealthy_status 5xx\n}\n");
  CHECK(load(a, path, &err) != NULL);
}

int main(void)
{
  if (!mkdtemp(dir)) {
    fprintf(stderr, "skip: cannot create a temporary directory\n");
    return 77;
  }
  struct arena a = {0};
  test_caddyfile(&a);
  test_json_input(&a);
  test_errors(&a);
  test_subdirective_names(&a);
  test_error_position_once(&a);
  arena_reset(&a);
  char path[128];
  snprintf(path, sizeof path, "%s/Caddyfile", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/caddy.json", dir);
  unlink(path);
  rmdir(dir);
  if (check_failures)
    fprintf(stderr, "%d checks failed\n", check_failures);
  return check_failures ? 1 : 0;
}
