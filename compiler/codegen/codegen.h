/* Codegen: the lowered IR (lower/lower.h) to "eBPF C", one entry per server, with
 * #line back to the Caddyfile, plus the runtime config the blob carries
 * (listeners, file_server and reverse_proxy records the code refers to by id). */
#ifndef ZSC_CODEGEN_H
#define ZSC_CODEGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/json.h"
#include "lower/lower.h"

struct site_listener {
  const char *host;            /* bind address, "" for all interfaces */
  unsigned port;
  unsigned server;             /* index into servers */
};

struct site_server {
  const char *name;            /* "srv0" */
  const char *entry_symbol;    /* eBPF C function for ZS_ENTRY_REQUEST, e.g. "zs_entry_srv0" */
  bool tls;
};

struct site_file_server {
  const char *root;            /* used when the program sets no root variable */
  const char **index_names;    /* default: index.html index.txt, as Caddy */
  size_t index_count;
  unsigned status;             /* 0 or file_server's status override */
  bool browse;
  const char **hide;           /* paths or file names never served (Caddy's `hide`) */
  size_t hide_count;
};

struct site_proxy {
  const char *upstream;        /* "host:port" */
};

/* everything the runtime needs besides code: becomes the blob's config section */
struct site_config {
  struct site_server *servers;
  size_t server_count, server_cap;
  struct site_listener *listeners;
  size_t listener_count, listener_cap;
  struct site_file_server *file_servers;
  size_t file_server_count, file_server_cap;
  struct site_proxy *proxies;
  size_t proxy_count, proxy_cap;
};

/* the name clang is given for the generated C: lines that come from no
 * Caddyfile token are numbered in it */
#define CODEGEN_SOURCE_NAME "site.bpf.c"

struct codegen_output {
  const char *c_source;        /* the eBPF C translation unit */
  struct site_config config;
};

/* The lowered records (lower/: what zsc cannot compile was refused there) to
 * eBPF C and the runtime config. Returns 0, or -1 when an invariant of the
 * lowered records does not hold (reported to d). */
int codegen_run(struct arena *a, const struct lowered_config *cfg, struct codegen_output *out, struct diag *d);

#endif
