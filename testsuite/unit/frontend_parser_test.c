/* Parser: server blocks and segments, snippets with {args}, variadic args,
 * {block}/{blocks.X}, file imports relative to the importing file, import
 * cycles and the structural errors Caddy reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "frontend/caddyfile/parser.h"


static int parse(struct arena *a, const char *file, const char *text, struct block_list *out, struct frontend_error *e)
{
  memset(out, 0, sizeof *out);
  memset(e, 0, sizeof *e);
  e->arena = a;
  return parser_parse_file(a, file, text, strlen(text), out, e);
}

/* The segment's tokens joined by spaces. */
static const char *seg_text(struct arena *a, const struct segment *s)
{
  char *buf = arena_alloc(a, 1024);
  for (size_t i = 0; i < s->count; i++) {
    strncat(buf, s->tokens[i].text, 1000 - strlen(buf));
    if (i + 1 < s->count)
      strcat(buf, " ");
  }
  return buf;
}

static void test_snippet_args(struct arena *a)
{
  struct block_list b;
  struct frontend_error e;
  int r = parse(a, "Caddyfile", "(s) {\n\trespond {args[0]} {args.1}\n\theader {args[1:]}\n}\n"
                "x.com {\n\timport s a b c\n}\n", &b, &e);
  CHECK(r == 0 && b.count == 1);
  if (r || b.count != 1)
    return;
  CHECK(b.items[0].nsegs == 2);
  CHECK(!strcmp(seg_text(a, &b.items[0].segments[0]), "respond a b"));
  CHECK(!strcmp(seg_text(a, &b.items[0].segments[1]), "header b c"));
  CHECK(b.items[0].segments[0].tokens[0].nimports == 1 &&
        !strcmp(b.items[0].segments[0].tokens[0].imports[0], "Caddyfile:6 (import s)"));
}

static void test_blocks(struct arena *a)
{
  struct block_list b;
  struct frontend_error e;
  int r = parse(a, "Caddyfile", "(s) {\n\theader {\n\t\t{blocks.one}\n\t}\n\t{block}\n}\n"
                ":80 {\n\timport s {\n\t\tone X 1\n\t}\n}\n:81 {\n\timport s\n}\n", &b, &e);
  CHECK(r == 0 && b.count == 2);
  if (r || b.count != 2)
    return;
  CHECK(!strcmp(seg_text(a, &b.items[0].segments[0]), "header { X 1 }"));
  CHECK(b.items[0].nsegs == 2 && !strcmp(seg_text(a, &b.items[0].segments[1]), "one X 1"));
  CHECK(b.items[1].nsegs == 1 && !strcmp(seg_text(a, &b.items[1].segments[0]), "header { }"));
  r = parse(a, "Caddyfile", "(s) {\n\t{block}\n}\nimport s {\n\t{\n\t\tx\n\t}\n}\n", &b, &e);
  CHECK(r < 0 && e.msg && strstr(e.msg, "anonymous blocks are not supported"));
}

static void test_errors(struct arena *a)
{
  struct block_list b;
  struct frontend_error e;
  CHECK(parse(a, "Caddyfile", "(a) {\n\timport b\n}\n(b) {\n\timport a\n}\nimport a\n", &b, &e) < 0 &&
        strstr(e.msg, "a cycle of imports exists between Caddyfile:b and Caddyfile:a"));
  CHECK(parse(a, "Caddyfile", "(a) {\n}\n(a) {\n}\n", &b, &e) < 0 &&
        strstr(e.msg, "redeclaration of previously declared snippet a"));
  CHECK(parse(a, "Caddyfile", "a.com{\n}\n", &b, &e) < 0 && strstr(e.msg, "Site addresses cannot end with a curly brace"));
  CHECK(parse(a, "Caddyfile", "a.com,b.com {\n}\n", &b, &e) < 0 && strstr(e.msg, "cannot contain a comma"));
  CHECK(parse(a, "Caddyfile", "@m path /x\n", &b, &e) < 0 && strstr(e.msg, "request matchers may not be defined globally"));
  CHECK(parse(a, "Caddyfile", ":80 {\n\trespond x }\n}\n", &b, &e) < 0 &&
        strstr(e.msg, "Unexpected '}' because no matching opening brace, at Caddyfile:2"));
  CHECK(parse(a, "Caddyfile", ":80 {\n\thandle\n\t{\n\t}\n}\n", &b, &e) < 0 && strstr(e.msg, "Unexpected '{' on a new line"));
  CHECK(parse(a, "Caddyfile", "a.com,\nb.com {\n\trespond \"{\"\n}\n", &b, &e) == 0 && b.count == 1 && b.items[0].nkeys == 2);
}

static void test_file_import(struct arena *a)
{
  char dir[] = "zs-frontend-XXXXXX";   /* under the test's working directory */
  if (!mkdtemp(dir)) {
    fprintf(stderr, "skipping file import checks: mkdtemp failed\n");
    return;
  }
  char path[256], main_file[256];
  snprintf(path, sizeof path, "%s/part.conf", dir);
  FILE *f = fopen(path, "w");
  fputs("respond {args[0]}\n", f);
  fclose(f);
  snprintf(main_file, sizeof main_file, "%s/Caddyfile", dir);
  struct block_list b;
  struct frontend_error e;
  int r = parse(a, main_file, ":80 {\n\timport part.conf hello\n\timport nothing*.conf\n}\n", &b, &e);
  CHECK(r == 0 && b.count == 1 && b.items[0].nsegs == 1);
  if (r == 0 && b.count == 1 && b.items[0].nsegs == 1)
    CHECK(!strcmp(seg_text(a, &b.items[0].segments[0]), "respond hello"));
  r = parse(a, main_file, ":80 {\n\timport missing.conf\n}\n", &b, &e);
  CHECK(r < 0 && strstr(e.msg, "File to import not found: missing.conf"));
  unlink(path);
  rmdir(dir);
}

int main(void)
{
  struct arena a = {0};
  test_snippet_args(&a);
  test_blocks(&a);
  test_errors(&a);
  test_file_import(&a);
  arena_reset(&a);
  if (check_failures)
    fprintf(stderr, "%d checks failed\n", check_failures);
  return check_failures ? 1 : 0;
}
