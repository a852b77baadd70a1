/* Fuzz target: the JSON reader (Caddy JSON input) and the Go-compatible
 * writer. Writing is a normalisation (invalid UTF-8 becomes U+FFFD, numbers
 * stay as written), so parse-write must be idempotent: a second round trip
 * reproduces the first output byte for byte. */
#include "fuzz.h"
#include "base/json.h"

static const char *fuzz_json_roundtrip(struct arena *a, const char *text, size_t len, size_t *out_len,
                                       bool indent, struct diag *d)
{
  struct json *v = json_parse(a, text, len, "caddy.json", d);
  if (!v)
    return NULL;
  struct strbuf out;
  strbuf_init(&out, a);
  json_write(&out, v, indent);
  *out_len = out.len;
  return strbuf_cstr(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct arena a = {0};
  struct diag d;
  diag_init(&d, fuzz_sink());
  size_t len1 = 0, len2 = 0;
  bool indent = size & 1;      /* both writer modes, chosen by the input */
  const char *first = fuzz_json_roundtrip(&a, (const char *)data, size, &len1, indent, &d);
  if (!first && d.errors == 0)
    abort();                   /* a rejection must be reported */
  if (first) {
    const char *second = fuzz_json_roundtrip(&a, first, len1, &len2, indent, &d);
    if (!second || len1 != len2 || memcmp(first, second, len1) != 0)
      abort();
  }
  arena_reset(&a);
  return 0;
}
