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
#include "../../abi/blob.h"

/* The runtime config records, one struct per table of abi/config.def with its
 * fields under the same names: a STR field is a C string (NULL = ""), a LIST
 * field a const char ** with NAME_count entries, RESERVED fields are left
 * out, the rest are numbers. compiler/zsb writes them into the blob as they are. */
#define SITE_FIELD_NUM(type, name) type name;
#define SITE_FIELD_OPTNUM(type, name) type name;
#define SITE_FIELD_FLAGS(type, name) type name;
#define SITE_FIELD_INDEX(type, name) type name;
#define SITE_FIELD_STR(type, name) const char *name;
#define SITE_FIELD_LIST(type, name) const char **name; size_t name##_count;
#define SITE_FIELD_RESERVED(type, name)
/* what the compiler keeps beside a table's fields */
#define SITE_EXTRA_server const char *entry_symbol;   /* eBPF C function for ZS_ENTRY_REQUEST ("zs_entry_srv0") */ \
                          const char *errors_symbol;  /* for ZS_ENTRY_ERRORS ("zs_entry_srv0_errors"), NULL: none */
#define SITE_EXTRA_listener
#define SITE_EXTRA_file_server
#define SITE_EXTRA_proxy
#define SITE_EXTRA_proxy_upstream
#define SITE_EXTRA_tls_policy
#define SITE_EXTRA_tls_cert
#define SITE_EXTRA_tls_app
#define SITE_EXTRA_logger
#define SITE_EXTRA_access_log
#define SITE_EXTRA_mime
#define SITE_EXTRA_regex
#define SITE_EXTRA_encoder
#define SITE_EXTRA_acme_issuer
#define SITE_EXTRA_http_app
#define ZS_TABLE_BEGIN(table, plural, doc) struct site_##table {
#define ZS_FIELD(table, type, name, kind, a, b, doc) SITE_FIELD_##kind(type, name)
#define ZS_TABLE_END(table) SITE_EXTRA_##table };
#include "../../abi/config.def"

/* everything the runtime needs besides code: becomes the blob's config section */
struct site_config {
#define ZS_TABLE_BEGIN(table, plural, doc) struct site_##table *plural; size_t table##_count, table##_cap;
#include "../../abi/config.def"
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
