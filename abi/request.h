/* The request view: what a program sees of the request, at ZS_CAGE_REQ_OFF.
 * Written by zsrt before each invocation, read-only to guest code. Every *_ptr
 * is a guest pointer (cage offset) to bytes inside the request view region.
 * Fixed-width types only: this layout is identical for eBPF, x86_64 and aarch64. */
#ifndef ZS_ABI_REQUEST_H
#define ZS_ABI_REQUEST_H

#ifdef __bpf__
typedef unsigned int zs_u32;
#else
#include <stdint.h>
typedef uint32_t zs_u32;
#endif

struct zs_str {
  zs_u32 ptr;
  zs_u32 len;
};

/* one request header; name_lc is the name lowercased (for matching),
 * name the name as sent */
struct zs_req_header {
  struct zs_str name;
  struct zs_str name_lc;
  struct zs_str value;
};

struct zs_req {
  zs_u32 abi_version;          /* ZS_ABI_VERSION */
  zs_u32 server;               /* index of the server (listener set) in the blob config */
  struct zs_str method;        /* as sent, e.g. "GET" */
  struct zs_str path;          /* percent-decoded path of the current URI (after rewrites) */
  struct zs_str path_lc;       /* the same, lowercased: Caddy's path matcher is case-insensitive */
  struct zs_str path_raw;      /* escaped path as sent */
  struct zs_str query;         /* without '?' */
  struct zs_str host;          /* Host without port, lowercased */
  zs_u32 port;                 /* local port the request arrived on */
  zs_u32 tls;                  /* 1 for https */
  zs_u32 header_count;
  zs_u32 headers;              /* guest pointer to header_count struct zs_req_header */
};

#endif
