/* Caddy's CGI environment for FastCGI (fastcgi.go buildEnv, client.go's
 * Get/Head/Options/Post). Caddy fills a map in four layers (its defaults, the
 * env option, the request's fields as HTTP_*, the method's rules), each
 * overwriting the last; here every pair is written unless a later layer
 * names it again, so the application sees one value per name as in Caddy. */
#include "fastcgi_env.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ENV_MAX_PAIRS 40
#define T(lit) ((struct fastcgi_text){lit, sizeof lit - 1})

struct env_pair {
  struct fastcgi_text name, value;
};

struct env_layers {
  struct env_pair base[ENV_MAX_PAIRS];
  size_t base_count;
  struct env_pair method[3];
  size_t method_count;
  const struct fastcgi_env_config *cfg;
  const struct http_request *req;
};

static struct fastcgi_text text_of(const char *s, size_t len)
{
  return (struct fastcgi_text){s, len};
}

static int text_eq(struct fastcgi_text a, struct fastcgi_text b)
{
  return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

long fastcgi_split_pos(const struct fastcgi_env_config *cfg, const char *path, size_t len)
{
  if (cfg->split_count == 0)
    return 0;
  for (size_t k = 0; k < cfg->split_count; k++) {
    const struct fastcgi_text *sp = &cfg->split_paths[k];
    for (size_t i = 0; sp->len && sp->len <= len && i <= len - sp->len; i++) {
      size_t j = 0;
      for (; j < sp->len; j++) {
        unsigned char c = (unsigned char)path[i + j];
        if (c >= 0x80 || (char)(c >= 'A' && c <= 'Z' ? c + 32 : c) != sp->s[j])
          break;
      }
      if (j == sp->len)
        return (long)(i + j);
    }
  }
  return -1;
}

/* Caddy's SanitizedPathJoin: root, then the cleaned path under it, a
 * trailing slash kept; written at out. The length, or -ENAMETOOLONG */
static int env_path_join(struct fastcgi_text root, struct fastcgi_text path, char *out, size_t cap)
{
  if (root.len + 2 > cap)
    return -ENAMETOOLONG;
  memcpy(out, root.s, root.len);
  size_t n = root.len, seg_start = n;
  for (size_t i = 0; i < path.len;) {
    size_t j = i;
    while (j < path.len && path.s[j] != '/')
      j++;
    size_t seg = j - i;
    if (seg == 2 && path.s[i] == '.' && path.s[i + 1] == '.') {
      while (n > seg_start && out[n - 1] != '/')
        n--;
      if (n > seg_start)
        n--;
    } else if (seg && !(seg == 1 && path.s[i] == '.')) {
      if (n + 1 + seg + 2 > cap)
        return -ENAMETOOLONG;
      if (n == 0 || out[n - 1] != '/')
        out[n++] = '/';
      memcpy(out + n, path.s + i, seg);
      n += seg;
    }
    i = j + 1;
  }
  if (path.len > 1 && path.s[path.len - 1] == '/' && (n == 0 || out[n - 1] != '/'))
    out[n++] = '/';
  return (int)n;
}

/* net.SplitHostPort of Host, or the whole Host when it has no port */
static void env_split_host(struct fastcgi_text host, struct fastcgi_text *name, struct fastcgi_text *port)
{
  *name = host;
  *port = T("");
  const char *colon = memrchr(host.s, ':', host.len);
  if (colon == NULL)
    return;
  size_t at = (size_t)(colon - host.s);
  if (host.s[0] == '[') {
    if (at == 0 || host.s[at - 1] != ']')
      return;
    *name = text_of(host.s + 1, at - 2);
  } else {
    if (memchr(host.s, ':', at) != NULL)
      return;                  /* too many colons: Go's error, the whole Host stays */
    *name = text_of(host.s, at);
  }
  *port = text_of(colon + 1, host.len - at - 1);
}

static void env_put(struct env_pair *list, size_t *count, struct fastcgi_text name, struct fastcgi_text value)
{
  if (*count < ENV_MAX_PAIRS)
    list[(*count)++] = (struct env_pair){name, value};
}

/* the header field's name as an environment name: HTTP_, upper case, - and space as _ */
static int env_header_is(struct fastcgi_text env_name, const struct http_header *h)
{
  if (env_name.len != 5 + h->name_len || memcmp(env_name.s, "HTTP_", 5) != 0)
    return 0;
  for (size_t i = 0; i < h->name_len; i++) {
    char c = h->name[i];
    c = c == '-' || c == ' ' ? '_' : (c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
    if (c != env_name.s[5 + i])
      return 0;
  }
  return 1;
}

/* Go keeps Host apart from the fields and the Proxy field is dropped (httpoxy) */
static int env_header_skipped(const struct http_header *h)
{
  return (h->name_len == 4 && strncasecmp(h->name, "Host", 4) == 0) ||
         (h->name_len == 5 && strncasecmp(h->name, "Proxy", 5) == 0);
}

/* does a layer after `layer` (0 base, 1 env, 2 fields, 3 method) set name? */
static int env_overridden(const struct env_layers *l, int layer, struct fastcgi_text name)
{
  for (size_t i = 0; i < l->method_count; i++)
    if (text_eq(l->method[i].name, name))
      return 1;
  for (size_t i = 0; layer < 2 && i < l->req->header_count; i++)
    if (!env_header_skipped(&l->req->headers[i]) && env_header_is(name, &l->req->headers[i]))
      return 1;
  for (size_t i = 0; layer < 1 && i < l->cfg->env_count; i++)
    if (text_eq(l->cfg->env[2 * i], name))
      return 1;
  return 0;
}

static int env_write(struct fastcgi_params *out, struct fastcgi_text name, struct fastcgi_text value)
{
  return fastcgi_params_put(out, name.s, name.len, value.s, value.len);
}

static const struct http_header *env_field(const struct http_request *req, const char *name)
{
  for (size_t i = 0; i < req->header_count; i++)
    if (req->headers[i].name_len == strlen(name) && strncasecmp(req->headers[i].name, name, strlen(name)) == 0)
      return &req->headers[i];
  return NULL;
}

static struct fastcgi_text env_field_value(const struct http_request *req, const char *name)
{
  const struct http_header *h = env_field(req, name);
  return h ? text_of(h->value, h->value_len) : T("");
}

/* each field once, as HTTP_NAME, the values of its lines joined by ", " */
static int env_write_fields(const struct env_layers *l, struct fastcgi_params *out, char *buf, size_t cap)
{
  const struct http_request *req = l->req;
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (env_header_skipped(h) || h->name_len + 5 > cap)
      continue;
    size_t n = 5;
    memcpy(buf, "HTTP_", 5);
    for (size_t k = 0; k < h->name_len; k++) {
      char c = h->name[k];
      buf[n++] = c == '-' || c == ' ' ? '_' : (c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
    }
    struct fastcgi_text name = text_of(buf, n);
    size_t first = 0;
    while (first < i && !env_header_is(name, &req->headers[first]))
      first++;
    if (first < i || env_overridden(l, 2, name))
      continue;
    for (size_t j = i; j < req->header_count; j++) {
      if (!env_header_is(name, &req->headers[j]))
        continue;
      if (n + 2 + req->headers[j].value_len > cap)
        return -ENOSPC;
      if (j > i)
        memcpy(buf + n, ", ", 2), n += 2;
      memcpy(buf + n, req->headers[j].value, req->headers[j].value_len);
      n += req->headers[j].value_len;
    }
    int rc = env_write(out, name, text_of(buf + name.len, n - name.len));
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* client.go: the method picks REQUEST_METHOD, CONTENT_LENGTH and CONTENT_TYPE */
static int env_method(struct env_layers *l, char *len_buf, size_t cap, char *method_buf)
{
  const struct http_request *req = l->req;
  struct fastcgi_text m = text_of(req->method, req->method_len);
  int64_t length = req->chunked ? -1 : req->content_length < 0 ? 0 : req->content_length;
  int no_body = text_eq(m, T("HEAD")) || text_eq(m, T("OPTIONS"));
  if (!no_body && length < 0)
    return -ENODATA;           /* Caddy's 411: CONTENT_LENGTH must be a number */
  int n = snprintf(len_buf, cap, "%lld", no_body ? 0LL : (long long)length);
  struct fastcgi_text post = m;
  if (!no_body && !text_eq(m, T("GET"))) {
    for (size_t i = 0; i < m.len && i < 32; i++)
      method_buf[i] = m.s[i] >= 'a' && m.s[i] <= 'z' ? (char)(m.s[i] - 32) : m.s[i];
    post = text_of(method_buf, m.len < 32 ? m.len : 32);
  }
  l->method[0] = (struct env_pair){T("REQUEST_METHOD"), post};
  l->method[1] = (struct env_pair){T("CONTENT_LENGTH"), text_of(len_buf, (size_t)n)};
  l->method_count = 2;
  if (!no_body && !text_eq(m, T("GET"))) {
    struct fastcgi_text type = env_field_value(req, "Content-Type");
    l->method[l->method_count++] = (struct env_pair){T("CONTENT_TYPE"),
                                                     type.len ? type : T("application/x-www-form-urlencoded")};
  }
  return 0;
}

struct env_paths {
  char root[PATH_MAX], script[PATH_MAX], translated[PATH_MAX], name[PATH_MAX];
  char length[24], method[32];
};

/* split_path: SCRIPT_NAME, DOCUMENT_URI and PATH_INFO; the file paths under root */
static int env_script(struct env_layers *l, const struct fastcgi_env_request *in, struct fastcgi_text root,
                      struct env_paths *p)
{
  struct fastcgi_text path = in->path, doc = path, info = T(""), script = path;
  long pos = fastcgi_split_pos(l->cfg, path.s, path.len);
  if (pos >= 0) {
    doc = text_of(path.s, (size_t)pos);
    info = text_of(path.s + pos, path.len - (size_t)pos);
    script = doc;
  }
  if (info.len == 0)
    info = in->file_remainder;
  int n = env_path_join(root, script, p->script, sizeof p->script);
  if (n < 0)
    return n;
  if (script.len && script.s[0] != '/') {
    if (script.len + 1 > sizeof p->name)
      return -ENAMETOOLONG;
    p->name[0] = '/';
    memcpy(p->name + 1, script.s, script.len);
    script = text_of(p->name, script.len + 1);
  }
  env_put(l->base, &l->base_count, T("SCRIPT_FILENAME"), text_of(p->script, (size_t)n));
  env_put(l->base, &l->base_count, T("SCRIPT_NAME"), script);
  env_put(l->base, &l->base_count, T("DOCUMENT_URI"), doc);
  env_put(l->base, &l->base_count, T("PATH_INFO"), info);
  if (info.len) {
    n = env_path_join(root, info, p->translated, sizeof p->translated);
    if (n < 0)
      return n;
    env_put(l->base, &l->base_count, T("PATH_TRANSLATED"), text_of(p->translated, (size_t)n));
  }
  return 0;
}

/* buildEnv's map before the env option and the fields */
static int env_base(struct env_layers *l, const struct fastcgi_env_request *in, struct env_paths *p)
{
  const struct http_request *req = in->req;
  struct fastcgi_text root = l->cfg->root, host = text_of(req->host ? req->host : "", req->host ? req->host_len : 0);
  if (l->cfg->resolve_root_symlink) {
    if (root.len >= sizeof p->root)
      return -ENAMETOOLONG;
    char want[PATH_MAX];
    memcpy(want, root.s, root.len);
    want[root.len] = '\0';
    if (realpath(want, p->root) == NULL)
      return -errno;
    root = text_of(p->root, strlen(p->root));
  }
  struct fastcgi_text name, port;
  env_split_host(host, &name, &port);
  struct env_pair fixed[] = {
    {T("AUTH_TYPE"), T("")}, {T("CONTENT_LENGTH"), env_field_value(req, "Content-Length")},
    {T("CONTENT_TYPE"), env_field_value(req, "Content-Type")}, {T("GATEWAY_INTERFACE"), T("CGI/1.1")},
    {T("QUERY_STRING"), in->query}, {T("REMOTE_ADDR"), in->remote_ip}, {T("REMOTE_HOST"), in->remote_ip},
    {T("REMOTE_PORT"), in->remote_port}, {T("REMOTE_IDENT"), T("")}, {T("REMOTE_USER"), in->auth_user},
    {T("REQUEST_METHOD"), text_of(req->method, req->method_len)},
    {T("REQUEST_SCHEME"), in->tls ? T("https") : T("http")}, {T("SERVER_NAME"), name},
    {T("SERVER_PROTOCOL"), req->http2 ? T("HTTP/2.0") : req->version_minor ? T("HTTP/1.1") : T("HTTP/1.0")},
    {T("SERVER_SOFTWARE"), l->cfg->server_software}, {T("DOCUMENT_ROOT"), root}, {T("HTTP_HOST"), host},
    {T("REQUEST_URI"), in->request_uri},
    {T("SERVER_PORT"), port.len ? port : in->tls ? T("443") : T("80")},
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    env_put(l->base, &l->base_count, fixed[i].name, fixed[i].value);
  if (in->server_addr.len)
    env_put(l->base, &l->base_count, T("SERVER_ADDR"), in->server_addr);
  if (in->tls) {
    env_put(l->base, &l->base_count, T("HTTPS"), T("on"));
    if (in->tls_protocol.len)
      env_put(l->base, &l->base_count, T("SSL_PROTOCOL"), in->tls_protocol);
    if (in->tls_cipher.len)
      env_put(l->base, &l->base_count, T("SSL_CIPHER"), in->tls_cipher);
  }
  return env_script(l, in, root, p);
}

int fastcgi_env_build(const struct fastcgi_env_config *cfg, const struct fastcgi_env_request *in,
                      struct fastcgi_params *out, char *scratch, size_t scratch_cap)
{
  struct env_layers l = {.cfg = cfg, .req = in->req};
  struct env_paths p;
  if (in->path.len && memchr(in->path.s, '\0', in->path.len) != NULL)
    return -EINVAL;            /* Caddy: "invalid request path", a 400 */
  int rc = env_method(&l, p.length, sizeof p.length, p.method);
  if (rc == 0)
    rc = env_base(&l, in, &p);
  for (size_t i = 0; rc == 0 && i < l.base_count; i++)
    if (!env_overridden(&l, 0, l.base[i].name))
      rc = env_write(out, l.base[i].name, l.base[i].value);
  for (size_t i = 0; rc == 0 && i < cfg->env_count; i++)
    if (!env_overridden(&l, 1, cfg->env[2 * i]))
      rc = env_write(out, cfg->env[2 * i], cfg->env[2 * i + 1]);
  if (rc == 0)
    rc = env_write_fields(&l, out, scratch, scratch_cap);
  for (size_t i = 0; rc == 0 && i < l.method_count; i++)
    rc = env_write(out, l.method[i].name, l.method[i].value);
  return rc < 0 ? rc : fastcgi_params_end(out) < 0 ? -ENOSPC : 0;
}
