/* Fuzz target: the whole front end, Caddyfile (or Caddy JSON) to the IR, as
 * `zsc adapt` runs it. Whatever the adapter builds must print as JSON that
 * parses back. */
#include "fuzz.h"
#include "frontend/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (fuzz_import_may_escape(data, size))
    return 0;
  struct arena a = {0};
  struct diag d;
  diag_init(&d, fuzz_sink());
  struct json *ir = frontend_load_text(&a, "Caddyfile", (const char *)data, size, &d);
  if (!ir && d.errors == 0)
    abort();                   /* a failure must be reported */
  if (ir) {
    struct strbuf out;
    strbuf_init(&out, &a);
    json_write(&out, ir, true);
    if (!json_parse(&a, strbuf_cstr(&out), out.len, "ir.json", &d))
      abort();
  }
  arena_reset(&a);
  return 0;
}
