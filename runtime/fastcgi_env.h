/* The CGI environment Caddy's fastcgi transport sends as PARAMS (its
 * buildEnv and the method rules of its client), built into fastcgi_params
 * from the request and what the proxy knows of it. Not placeholders: the
 * caller expands root and env values first. */
#ifndef ZSRT_FASTCGI_ENV_H
#define ZSRT_FASTCGI_ENV_H

#include "fastcgi.h"

struct fastcgi_text {
  const char *s;
  size_t len;
};

/* the transport's options, placeholders already replaced */
struct fastcgi_env_config {
  struct fastcgi_text root;              /* absolute and clean (Caddy's FastAbs of root) */
  int resolve_root_symlink;
  const struct fastcgi_text *split_paths; /* lower-cased, as Caddy's Provision keeps them */
  size_t split_count;
  const struct fastcgi_text *env;        /* name, value, name, value, ... */
  size_t env_count;                      /* pairs */
  struct fastcgi_text server_software;   /* "Caddy/<version>" */
};

/* what is not in the request head itself */
struct fastcgi_env_request {
  const struct http_request *req;
  struct fastcgi_text path;              /* the decoded URL path (after rewrites) */
  struct fastcgi_text query;             /* the raw query (after rewrites) */
  struct fastcgi_text request_uri;       /* the original request's path and query */
  struct fastcgi_text remote_ip, remote_port;
  struct fastcgi_text server_addr;       /* the local IP the request came to; "": none */
  struct fastcgi_text auth_user;         /* {http.auth.user.id} */
  struct fastcgi_text file_remainder;    /* {http.matchers.file.remainder} */
  int tls;
  struct fastcgi_text tls_protocol, tls_cipher;   /* "TLSv1.3", the suite's Go name */
};

/* Writes every pair and ends the PARAMS stream; scratch (HTTP1_MAX_HEAD
 * bytes will do) holds a field's joined lines while it is written. 0,
 * -EINVAL (a path with a NUL byte: Caddy's 400), -ENODATA (a body of no
 * known length: Caddy's 411), -ENOSPC, -ENAMETOOLONG, or realpath's -errno
 * for resolve_root_symlink (Caddy's "building environment" error, a 502). */
int fastcgi_env_build(const struct fastcgi_env_config *cfg, const struct fastcgi_env_request *in,
                      struct fastcgi_params *out, char *scratch, size_t scratch_cap);

/* where split_path splits path (after the first match of the first split
 * that matches, ASCII case folded); 0 with no split paths, -1 with no match */
long fastcgi_split_pos(const struct fastcgi_env_config *cfg, const char *path, size_t len);

#endif
