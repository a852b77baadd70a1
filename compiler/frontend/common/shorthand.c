/* Placeholder shorthands ({host}, {path}, {header.X}, {re.n.1}, ...) expanded
 * in site-block tokens: one left-to-right pass over the fixed table (Go's
 * strings.Replacer picks the first matching key at each position), then each
 * parameterised form once, in Caddy's order. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "frontend/common/shorthand.h"
#include "base/strbuf.h"

static const char *const shorthand_fixed[][2] = {
  {"{host}", "{http.request.host}"}, {"{hostport}", "{http.request.hostport}"},
  {"{port}", "{http.request.port}"}, {"{orig_method}", "{http.request.orig_method}"},
  {"{orig_uri}", "{http.request.orig_uri}"}, {"{orig_path}", "{http.request.orig_uri.path}"},
  {"{orig_dir}", "{http.request.orig_uri.path.dir}"}, {"{orig_file}", "{http.request.orig_uri.path.file}"},
  {"{orig_query}", "{http.request.orig_uri.query}"}, {"{orig_?query}", "{http.request.orig_uri.prefixed_query}"},
  {"{method}", "{http.request.method}"}, {"{uri}", "{http.request.uri}"},
  {"{%uri}", "{http.request.uri_escaped}"}, {"{path}", "{http.request.uri.path}"},
  {"{%path}", "{http.request.uri.path_escaped}"}, {"{dir}", "{http.request.uri.path.dir}"},
  {"{file}", "{http.request.uri.path.file}"}, {"{query}", "{http.request.uri.query}"},
  {"{%query}", "{http.request.uri.query_escaped}"}, {"{?query}", "{http.request.uri.prefixed_query}"},
  {"{remote}", "{http.request.remote}"}, {"{remote_host}", "{http.request.remote.host}"},
  {"{remote_port}", "{http.request.remote.port}"}, {"{scheme}", "{http.request.scheme}"},
  {"{uuid}", "{http.request.uuid}"}, {"{tls_cipher}", "{http.request.tls.cipher_suite}"},
  {"{tls_version}", "{http.request.tls.version}"},
  {"{tls_client_fingerprint}", "{http.request.tls.client.fingerprint}"},
  {"{tls_client_issuer}", "{http.request.tls.client.issuer}"},
  {"{tls_client_serial}", "{http.request.tls.client.serial}"},
  {"{tls_client_subject}", "{http.request.tls.client.subject}"},
  {"{tls_client_certificate_pem}", "{http.request.tls.client.certificate_pem}"},
  {"{tls_client_certificate_der_base64}", "{http.request.tls.client.certificate_der_base64}"},
  {"{upstream_hostport}", "{http.reverse_proxy.upstream.hostport}"},
  {"{client_ip}", "{http.vars.client_ip}"},
};

/* prefix of the shorthand, replacement prefix, whether '.' is allowed in the name */
static const struct { const char *from, *to; bool dots; } shorthand_param[] = {
  {"{header.", "{http.request.header.", false}, {"{cookie.", "{http.request.cookie.", false},
  {"{labels.", "{http.request.host.labels.", false}, {"{path.", "{http.request.uri.path.", false},
  {"{file.", "{http.request.uri.path.file.", false}, {"{query.", "{http.request.uri.query.", false},
  {"{re.", "{http.regexp.", true}, {"{vars.", "{http.vars.", false},
  {"{rp.", "{http.reverse_proxy.", true}, {"{resp.", "{http.intercept.", true},
  {"{err.", "{http.error.", true}, {"{file_match.", "{http.matchers.file.", false},
};

static const char *shorthand_fixed_pass(struct arena *a, const char *text)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  for (const char *p = text; *p;) {
    size_t i, n = sizeof shorthand_fixed / sizeof shorthand_fixed[0];
    if (*p != '{') {           /* every key starts with '{' */
      strbuf_putc(&sb, *p++);
      continue;
    }
    for (i = 0; i < n; i++)
      if (strncmp(p, shorthand_fixed[i][0], strlen(shorthand_fixed[i][0])) == 0)
        break;
    if (i < n) {
      strbuf_puts(&sb, shorthand_fixed[i][1]);
      p += strlen(shorthand_fixed[i][0]);
    } else
      strbuf_putc(&sb, *p++);
  }
  return arena_strdup(a, strbuf_cstr(&sb));
}

static bool shorthand_name_char(char c, bool dots)
{
  return isalnum((unsigned char)c) || c == '_' || c == '-' || (dots && c == '.');
}

/* regexp.ReplaceAllString for `{prefix([\w-]*)}`: leftmost, non-overlapping. */
static const char *shorthand_param_pass(struct arena *a, const char *text, int k)
{
  const char *from = shorthand_param[k].from;
  size_t flen = strlen(from);
  if (!strstr(text, from))
    return text;
  struct strbuf sb;
  strbuf_init(&sb, a);
  for (const char *p = text; *p;) {
    if (strncmp(p, from, flen) == 0) {
      const char *q = p + flen;
      while (shorthand_name_char(*q, shorthand_param[k].dots))
        q++;
      if (*q == '}') {
        strbuf_puts(&sb, shorthand_param[k].to);
        strbuf_put(&sb, p + flen, (size_t)(q - p - flen) + 1);
        p = q + 1;
        continue;
      }
    }
    strbuf_putc(&sb, *p++);
  }
  return arena_strdup(a, strbuf_cstr(&sb));
}

const char *shorthand_apply(struct arena *a, const char *text)
{
  if (!strchr(text, '{'))
    return text;               /* most tokens: no placeholder, no pass */
  text = shorthand_fixed_pass(a, text);
  for (size_t k = 0; k < sizeof shorthand_param / sizeof shorthand_param[0]; k++)
    text = shorthand_param_pass(a, text, (int)k);
  return text;
}
