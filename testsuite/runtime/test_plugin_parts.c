/* The runtime parts behind the ebpf programs' helpers: the JSON reader
 * (paths, escapes, nesting, malformed documents, bounds) and the rate
 * limiter's token buckets (burst, refill, separate keys, reuse when full). */
#include <errno.h>
#include <string.h>

#include "../check.h"
#include "runtime/json_get.h"
#include "runtime/plugin_limits.h"

static const char doc[] =
  "{ \"user\": {\"name\": \"Ada \\u00e9\\ud83d\\ude00\\n\", \"roles\": [\"admin\", \"dev\"], \"age\": 36,"
  " \"ok\": true, \"none\": null, \"deep\": {\"a\": [1, {\"b\": \"x\"}]}}, \"k.dot\": 1 }";

/* the value at path as a string, or the errno as "-N" */
static const char *get(const char *d, const char *path, size_t cap)
{
  static char out[256];
  long n = json_get(d, strlen(d), path, strlen(path), out, cap);
  if (n < 0)
    snprintf(out, sizeof out, "%ld", n);
  else
    out[n] = 0;
  return out;
}

static void test_json(void)
{
  CHECK(!strcmp(get(doc, "user.name", 255), "Ada \xc3\xa9\xf0\x9f\x98\x80\n"));
  CHECK(!strcmp(get(doc, "user.roles.1", 255), "dev"));
  CHECK(!strcmp(get(doc, "user.roles", 255), "[\"admin\", \"dev\"]"));
  CHECK(!strcmp(get(doc, "user.age", 255), "36"));
  CHECK(!strcmp(get(doc, "user.ok", 255), "true"));
  CHECK(!strcmp(get(doc, "user.none", 255), "null"));
  CHECK(!strcmp(get(doc, "user.deep.a.1.b", 255), "x"));
  CHECK(!strcmp(get(doc, "user.roles.2", 255), "-2"));      /* ENOENT */
  CHECK(!strcmp(get(doc, "user.roles.x", 255), "-2"));
  CHECK(!strcmp(get(doc, "user.missing", 255), "-2"));
  CHECK(!strcmp(get(doc, "user.age.x", 255), "-2"));
  CHECK(!strcmp(get(doc, "user.name", 3), "-28"));          /* ENOSPC */
  CHECK(!strcmp(get("{\"a\": [1, 2", "a", 255), "-22"));    /* EINVAL: cut short */
  CHECK(!strcmp(get("{\"a\": \"\\x\"}", "a", 255), "-22"));
  CHECK(!strcmp(get("{\"a\": \"\\ud800\"}", "a", 255), "-22"));   /* a lone surrogate */
  CHECK(!strcmp(get("{\"b\": tru, \"a\": 1}", "a", 255), "-22"));
  CHECK(!strcmp(get("[1, 2, 3]", "", 255), "[1, 2, 3]"));
  char nest[200];   /* nesting past the bound is refused, not recursed into */
  memset(nest, '[', sizeof nest - 1);
  nest[sizeof nest - 1] = 0;
  CHECK(!strcmp(get(nest, "", 255), "-22"));
  /* a document that ends inside a number or a key is never read past its length */
  CHECK(json_get("{\"a\": 12", 8, "a", 1, nest, sizeof nest) == 2);
  CHECK(json_get("{\"a\": 12", 4, "a", 1, nest, sizeof nest) == -EINVAL);
}

static void test_limits(void)
{
  static struct plugin_limits l;
  plugin_limits_init(&l);
  uint64_t t = 1000;
  int taken = 0;
  for (int i = 0; i < 5; i++)
    taken += plugin_limits_take(&l, "a", 1, 1000, 3, t);   /* 1 a second, bursts of 3 */
  CHECK(taken == 3);
  CHECK(plugin_limits_take(&l, "b", 1, 1000, 3, t) == 1);  /* another key, another bucket */
  CHECK(plugin_limits_take(&l, "a", 1, 1000, 3, t + 999) == 0);
  CHECK(plugin_limits_take(&l, "a", 1, 1000, 3, t + 1000) == 1);
  CHECK(plugin_limits_take(&l, "a", 1, 1000, 3, t + 1000) == 0);
  CHECK(plugin_limits_take(&l, "c", 1, 500, 1, t) == 1);   /* half a token a second */
  CHECK(plugin_limits_take(&l, "c", 1, 500, 1, t + 1000) == 0);
  CHECK(plugin_limits_take(&l, "c", 1, 500, 1, t + 2000) == 1);
  /* more keys than buckets: old ones are reused, new ones start full */
  char key[16];
  int fresh = 0;
  for (int i = 0; i < 3 * PLUGIN_LIMITS_SLOTS; i++) {
    snprintf(key, sizeof key, "k%d", i);
    fresh += plugin_limits_take(&l, key, strlen(key), 1, 1, t + 5000 + (uint64_t)i);
  }
  CHECK(fresh == 3 * PLUGIN_LIMITS_SLOTS);
  /* huge rates and long gaps do not overflow into an empty bucket */
  CHECK(plugin_limits_take(&l, "z", 1, ~0ull, 2, 1) == 1);
  CHECK(plugin_limits_take(&l, "z", 1, ~0ull, 2, ~0ull / 2) == 1);
}

int main(void)
{
  test_json();
  test_limits();
  printf("plugin_parts: %d checks failed\n", check_failures);
  return check_failures ? 1 : 0;
}
