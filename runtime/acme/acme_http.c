/* HTTPS to the ACME server with libcurl: one handle per client (connections
 * reused), the answer's body and the headers ACME needs (Location,
 * Replay-Nonce, Link rel="up", Retry-After). No retry policy here. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "acme.h"

#define ACME_HTTP_TIMEOUT 30L       /* seconds per request, as certmagic's client */
#define ACME_HTTP_BODY_MAX (1 << 20)

void acme_err(char *err, size_t cap, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
}

int acme_buf_append(struct acme_buf *b, const void *data, size_t len)
{
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 1024;
    while (cap < b->len + len + 1)
      cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
      return -ENOMEM;
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

void acme_buf_free(struct acme_buf *b)
{
  free(b->data);
  *b = (struct acme_buf){ 0 };
}

static size_t acme_http_on_body(char *data, size_t size, size_t n, void *arg)
{
  struct acme_http_resp *r = arg;
  if (r->body.len + size * n > ACME_HTTP_BODY_MAX || acme_buf_append(&r->body, data, size * n) < 0)
    return 0;
  return size * n;
}

/* copies a header's value (trimmed) when the line is "name: value" */
static int acme_http_header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
  size_t nl = strlen(name);
  if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return 0;
  const char *v = line + nl + 1, *end = line + len;
  while (v < end && isspace((unsigned char)*v))
    v++;
  while (end > v && isspace((unsigned char)end[-1]))
    end--;
  size_t vl = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
  memcpy(out, v, vl);
  out[vl] = '\0';
  return 1;
}

static size_t acme_http_on_header(char *line, size_t size, size_t n, void *arg)
{
  struct acme_http_resp *r = arg;
  size_t len = size * n;
  char link[ACME_URL_MAX + 64], retry[32];
  acme_http_header_value(line, len, "Location", r->location, sizeof r->location);
  acme_http_header_value(line, len, "Replay-Nonce", r->nonce, sizeof r->nonce);
  acme_http_header_value(line, len, "Content-Type", r->content_type, sizeof r->content_type);
  if (acme_http_header_value(line, len, "Retry-After", retry, sizeof retry))
    r->retry_after = strtol(retry, NULL, 10);
  /* Link: <url>;rel="up" — the issuer of the certificate, or alternates */
  if (acme_http_header_value(line, len, "Link", link, sizeof link) && strstr(link, "rel=\"up\"") && link[0] == '<') {
    char *close = strchr(link, '>');
    if (close && (size_t)(close - link - 1) < sizeof r->link_up) {
      memcpy(r->link_up, link + 1, (size_t)(close - link - 1));
      r->link_up[close - link - 1] = '\0';
    }
  }
  return len;
}

int acme_http_open(struct acme_http *h, const char *ca_root, char *err, size_t errcap)
{
  *h = (struct acme_http){ .ca_root = ca_root, .err = err, .errcap = errcap };
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h->curl = curl_easy_init())) {
    acme_err(err, errcap, "cannot start libcurl");
    return -ENOMEM;
  }
  return 0;
}

void acme_http_close(struct acme_http *h)
{
  if (h->curl)
    curl_easy_cleanup(h->curl);
  h->curl = NULL;
}

void acme_http_resp_free(struct acme_http_resp *resp)
{
  acme_buf_free(&resp->body);
}

int acme_http_request(struct acme_http *h, const char *url, const char *body, int head_only,
                      struct acme_http_resp *resp)
{
  CURL *c = h->curl;
  acme_http_resp_free(resp);
  *resp = (struct acme_http_resp){ 0 };
  curl_easy_reset(c);
  struct curl_slist *hdrs = NULL;
  char curl_err[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_TIMEOUT, ACME_HTTP_TIMEOUT);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "zsrt-acme/0.1 (RFC 8555)");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, acme_http_on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, acme_http_on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
  if (h->ca_root)
    curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_root);
  if (head_only)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (body) {
    hdrs = curl_slist_append(hdrs, "Content-Type: application/jose+json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(hdrs);
  if (rc != CURLE_OK) {
    acme_err(h->err, h->errcap, "cannot reach the CA at %s: %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
    return rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
  if (!resp->body.data)
    acme_buf_append(&resp->body, "", 0);
  return 0;
}
