/* HTTP-01 answered from storage (http01.h). The token file is a few hundred
 * bytes read with one open and read, as file_server reads its files; only
 * requests for the challenge path of a name the blob manages get here. */
#include "http01.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "exec.h"
#include "loader.h"
#include "storage.h"

#define HTTP01_PREFIX "/.well-known/acme-challenge/"
#define HTTP01_TOKEN_MAX 8192

/* a JSON string member's value with no escapes in it (tokens and key
 * authorizations are base64url and dots) */
static int http01_json_field(const char *text, const char *key, char *out, size_t cap)
{
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *at = strstr(text, pat);
  if (!at)
    return -1;
  at += strlen(pat);
  size_t n = strcspn(at, "\"\\");
  if (at[n] != '"' || n == 0 || n >= cap)
    return -1;
  memcpy(out, at, n);
  out[n] = '\0';
  return (int)n;
}

/* the key authorization stored by issuer ca for host when its token is token */
static int http01_lookup(const char *root, const char *ca, const char *host, const char *token, char *out,
                          size_t cap)
{
  char text[HTTP01_TOKEN_MAX], stored[512];
  if (storage_read_challenge(root, ca, host, ".json", text, sizeof text) < 0 ||
      http01_json_field(text, "token", stored, sizeof stored) < 0 || strcmp(stored, token) != 0)
    return -1;
  return http01_json_field(text, "keyAuthorization", out, cap);
}

int http01_answer(const struct blob *b, const struct http_request *req, struct exec_decision *out)
{
  size_t plen = strlen(HTTP01_PREFIX);
  const char *path = req->target + req->origin_at;
  size_t len = req->target_len - req->origin_at;
  if (b->config->acme_issuer_count == 0 || req->method_len != 3 || memcmp(req->method, "GET", 3) != 0 ||
      len <= plen || memcmp(path, HTTP01_PREFIX, plen) != 0 || !req->host)
    return 0;
  char host[256], token[256], root[4096];
  size_t hlen = req->host_len;
  const char *colon = memchr(req->host, ':', hlen);   /* hostOnly; a name, never an IPv6 literal here */
  hlen = colon ? (size_t)(colon - req->host) : hlen;
  size_t tlen = 0;   /* the target is not NUL-terminated: up to its end or the query */
  while (tlen < len - plen && path[plen + tlen] != '?' && path[plen + tlen] != '#')
    tlen++;
  if (hlen == 0 || hlen >= sizeof host || tlen >= sizeof token || memchr(path + plen, '/', tlen))
    return 0;
  memcpy(host, req->host, hlen);
  host[hlen] = '\0';
  memcpy(token, path + plen, tlen);
  token[tlen] = '\0';
  const struct zs_tls_cert *row = storage_acme_row(b, host);
  if (!row)
    return 0;
  storage_root(b, root, sizeof root);
  for (unsigned i = row->issuer; i < row->issuer + row->issuer_count && i < b->config->acme_issuer_count; i++) {
    int n = http01_lookup(root, blob_string(b, b->acme_issuers[i].ca_str), host, token, out->body, EXEC_MAX_BODY);
    if (n <= 0)
      continue;
    out->action = ZS_ACT_RESPOND;
    out->status = 200;
    out->body_len = (size_t)n;
    struct exec_header_op *o = &out->ops[out->op_count++];
    *o = (struct exec_header_op){.op = ZS_HDR_SET, .name = "Content-Type", .name_len = 12,
                                 .value = "text/plain", .value_len = 10};
    return 1;
  }
  return 0;
}
