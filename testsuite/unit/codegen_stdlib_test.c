/* stdlib-bpf's pure string functions, compiled natively: Go path.Match
 * vectors for the glob, Caddy's CleanPath, and host wildcard labels. The
 * same C is what clang compiles to eBPF. */
#include <stdio.h>
#include <string.h>

#include "zs.h"

static int failures;

static void check(int got, int want, const char *what, const char *a, const char *b)
{
  if (got != want) {
    fprintf(stderr, "FAIL %s(%s, %s): got %d, want %d\n", what, a, b, got, want);
    failures++;
  }
}

static void test_glob(void)
{
  static const struct { const char *pat, *s; int want; } v[] = {
    {"abc", "abc", 1}, {"*", "abc", 1}, {"*c", "abc", 1}, {"a*", "a", 1}, {"a*", "abc", 1},
    {"a*", "ab/c", 0}, {"a*/b", "abc/b", 1}, {"a*/b", "a/c/b", 0},
    {"a*b*c*d*e*/f", "axbxcxdxe/f", 1}, {"a*b*c*d*e*/f", "axbxcxdxexxx/f", 1},
    {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0}, {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0},
    {"a*b?c*x", "abxbbxdbxebxczzx", 1}, {"a*b?c*x", "abxbbxdbxebxczzy", 0},
    {"ab[c]", "abc", 1}, {"ab[b-d]", "abc", 1}, {"ab[e-g]", "abc", 0}, {"ab[^c]", "abc", 0},
    {"ab[^b-d]", "abc", 0}, {"ab[^e-g]", "abc", 1}, {"a\\*b", "a*b", 1}, {"a\\*b", "ab", 0},
    {"a?b", "a\xe2\x98\xba" "b", 1}, {"a[^a]b", "a\xe2\x98\xba" "b", 1}, {"a???b", "a\xe2\x98\xba" "b", 0},
    {"[a-\xce\xb6]*", "\xce\xb1", 1}, {"*[a-\xce\xb6]", "A", 0}, {"a?b", "a/b", 0}, {"a*b", "a/b", 0},
    {"[\\]a]", "]", 1}, {"[\\-]", "-", 1}, {"[x\\-]", "x", 1}, {"[x\\-]", "-", 1}, {"[x\\-]", "z", 0},
    {"*x", "xxx", 1}, {"/static/*.css", "/static/a.css", 1}, {"/static/*.css", "/static/a/b.css", 0},
    {"", "", 1}, {"", "a", 0},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    check(zs_glob_match(v[i].pat, (unsigned)strlen(v[i].pat), v[i].s, (unsigned)strlen(v[i].s)), v[i].want,
          "glob", v[i].pat, v[i].s);
}

static void test_clean(void)
{
  static const struct { const char *in; int keep; const char *want; } v[] = {
    {"/a/b/../c", 0, "/a/c"}, {"/a//b", 0, "/a/b"}, {"/a//b", 1, "/a//b"}, {"/a/./b/", 0, "/a/b/"},
    {"", 0, "."}, {"/../a", 0, "/a"}, {"/", 0, "/"}, {"//", 0, "/"}, {"/a/b/..", 0, "/a"},
    {"/foo/", 0, "/foo/"}, {"/a/b/../../..", 0, "/"}, {"a/../..", 0, ".."}, {"//a//", 1, "//a//"},
    {"/a/..//b", 1, "//b"},
  };
  static char buf[256];
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    unsigned n = zs_path_clean(v[i].in, (unsigned)strlen(v[i].in), buf, v[i].keep);
    int ok = n == strlen(v[i].want) && memcmp(buf, v[i].want, n) == 0;
    if (!ok) {
      fprintf(stderr, "FAIL clean(%s, keep=%d): got %.*s, want %s\n", v[i].in, v[i].keep, (int)n, buf, v[i].want);
      failures++;
    }
  }
}

static void test_strings(void)
{
  check(zs_str_match("/api/v1/x", 9, "/api/v1/", 8, ZS_STR_PREFIX), 1, "prefix", "/api/v1/x", "/api/v1/");
  check(zs_str_match("/api", 4, "/api/v1/", 8, ZS_STR_PREFIX), 0, "prefix", "/api", "/api/v1/");
  check(zs_str_match("/a.css", 6, ".css", 4, ZS_STR_SUFFIX), 1, "suffix", "/a.css", ".css");
  check(zs_str_match("/a.cs", 5, ".css", 4, ZS_STR_SUFFIX), 0, "suffix", "/a.cs", ".css");
  check(zs_str_match("/abc/def", 8, "c/d", 3, ZS_STR_CONTAINS), 1, "contains", "/abc/def", "c/d");
  check(zs_str_match("/abc/def", 8, "x", 1, ZS_STR_CONTAINS), 0, "contains", "/abc/def", "x");
  check(zs_str_match("GET", 3, "GET", 3, ZS_STR_EXACT), 1, "exact", "GET", "GET");
  check(zs_str_match("GETX", 4, "GET", 3, ZS_STR_EXACT), 0, "exact", "GETX", "GET");
}

static void test_hosts(void)
{
  static const struct { const char *pat, *host; int want; } v[] = {
    {"*.example.com", "foo.example.com", 1}, {"*.example.com", "a.b.example.com", 0},
    {"*.example.com", "example.com", 0}, {"*", "localhost", 1}, {"*", "a.b", 0}, {"foo.*", "foo.bar", 1},
    {"*.*", "a.b", 1}, {"*.example.com", "foo.example.org", 0}, {"*", "", 1},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    check(zs_host_labels_match(v[i].host, (unsigned)strlen(v[i].host), v[i].pat, (unsigned)strlen(v[i].pat)),
          v[i].want, "host", v[i].pat, v[i].host);
}

int main(void)
{
  test_glob();
  test_clean();
  test_strings();
  test_hosts();
  if (failures)
    fprintf(stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
