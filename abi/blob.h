/* The .zsb blob format (documented in docs/blob-format.md). Little-endian,
 * versioned, page-aligned sections, checksummed. Written by compiler/zsb,
 * validated and mapped by runtime/loader. */
#ifndef ZS_ABI_BLOB_H
#define ZS_ABI_BLOB_H

#include <stdint.h>

#define ZS_BLOB_MAGIC       "ZSBLOB\r\n"       /* 8 bytes; the CR LF catches text-mode mangling */
#define ZS_BLOB_VERSION     13u                /* 2: tls_policy, tls_cert, tls_app; 3: logger, access_log, proxy replace_str and trusted_str; 4: proxy request_buffers, stream_timeout_ms, stream_close_delay_ms; 5: regex, error entries; 6: encoder, file_server precompressed_str; 7: acme_issuer, tls_cert issuer, tls_app renew_interval; 8: proxy load balancing, health, transport; proxy_upstream; 9: mime; 10: logger roll_size_mb, roll_keep, roll_keep_days, flags; 11: file_server file_limit; 12: http_app; 13: logger encoder options */
#define ZS_ABI_VERSION      14u                /* helpers.def, helpers.h actions, vars.def, request.h, native.h; 2: abort, respond close; 3: TLS variables; 4: rewrites; 5: log_skip; 6: proxy header ops; 7: error action, error variables, deferred header ops, regex helpers; 8: encode; 9: ebpf program helpers; 10: acme (layout with acme_issuer); 11: basic_auth, request_body; 12: header require conditions; 13: request fields (buf_field), path part variables; 14: reverse_proxy rewrite variables, request header ops (ZS_HDR_REQ) */
#define ZS_BROWSE_MAX_ENTRIES 10000u          /* browse reads a directory's first entries: Caddy's default file_limit */
#define ZS_PROXY_MAX_REQUEST_BUFFERS 524288       /* request_buffers gathered in a connection's input at most */
#define ZS_BLOB_PAGE        0x10000u           /* section alignment: 64 KiB covers 4K/16K/64K pages */
#define ZS_BLOB_MAX_SECTIONS 16u

enum zs_arch { ZS_ARCH_X86_64 = 1, ZS_ARCH_AARCH64 = 2 };

enum zs_section_kind {
  ZS_SEC_CODE = 1,      /* native code, then its own read-only data: mapped r-x from the file */
  ZS_SEC_RODATA = 2,    /* guest rodata: mapped read-only at ZS_CAGE_RODATA_OFF */
  ZS_SEC_ENTRIES = 3,   /* struct zs_entry[] */
  ZS_SEC_CONFIG = 4,    /* runtime config: struct zs_config_header, tables, string pool */
  ZS_SEC_BPF = 5,       /* the verified eBPF bytecode (8-byte instructions), for audit */
  ZS_SEC_SRCMAP = 6,    /* struct zs_srcmap_row[], sorted by native offset */
  ZS_SEC_SOURCE = 7,    /* the source file names and text, NUL-separated, for diagnostics */
};

struct zs_section {
  uint32_t kind;
  uint32_t flags;       /* zero for now */
  uint64_t offset;      /* from the start of the file, multiple of ZS_BLOB_PAGE */
  uint64_t size;        /* bytes used; the section's pages after size are zero */
};

struct zs_blob_header {
  char magic[8];
  uint32_t version;     /* ZS_BLOB_VERSION */
  uint32_t abi_version; /* ZS_ABI_VERSION */
  uint32_t arch;        /* enum zs_arch */
  uint32_t section_count;
  uint64_t file_size;
  uint64_t checksum;    /* zs_checksum over the whole file with this field zeroed */
  struct zs_section sections[ZS_BLOB_MAX_SECTIONS];
};

/* entry kinds: one request entry per server, in server order, then an
 * errors entry (its error routes, handle_errors) for each server that has them */
enum zs_entry_kind { ZS_ENTRY_REQUEST = 1, ZS_ENTRY_ERRORS = 2 };

struct zs_entry {
  uint32_t kind;        /* enum zs_entry_kind */
  uint32_t server;      /* server index in the config */
  uint64_t code_offset; /* of its zs_entry_fn, from the start of the code section */
  uint32_t stack_size;  /* bytes of guest stack the deepest call chain uses */
  uint32_t bpf_insn;    /* first eBPF instruction, in ZS_SEC_BPF */
};

struct zs_srcmap_row {
  uint32_t native_offset;  /* in the code section */
  uint32_t bpf_insn;
  uint32_t c_line;         /* line in the eBPF C */
  uint32_t src_line;       /* line in the source file (0: none) */
  uint32_t src_file;       /* offset into ZS_SEC_SOURCE of its name */
  uint32_t src_col;
};

/* Runtime config: the tables and fields of config.def. All *_str fields are
 * offsets into the string pool that ends the section; tables are arrays at the
 * given offsets from the start of the section. abi/config_check.h validates it. */
struct zs_config_header {
#define ZS_TABLE_BEGIN(table, plural, doc) uint32_t table##_count, table##_table;
#include "config.def"
  uint32_t strings_offset, strings_size;
};

/* struct zs_server, zs_listener, ...: one per ZS_TABLE_BEGIN */
#define ZS_TABLE_BEGIN(table, plural, doc) struct zs_##table {
#define ZS_FIELD(table, type, name, kind, a, b, doc) type name;
#define ZS_TABLE_END(table) };
#include "config.def"

/* the flag constants of every FLAGS field (ZS_SERVER_TLS, ZS_FILE_BROWSE, ...) */
#define ZS_FLAG_ENUM(constant, value, label) constant = (value),
#define ZS_FLAG_ENUM_NUM(list)
#define ZS_FLAG_ENUM_OPTNUM(list)
#define ZS_FLAG_ENUM_FLAGS(list) list(ZS_FLAG_ENUM)
#define ZS_FLAG_ENUM_STR(list)
#define ZS_FLAG_ENUM_LIST(list)
#define ZS_FLAG_ENUM_INDEX(list)
#define ZS_FLAG_ENUM_RESERVED(list)
enum zs_config_flag {
#define ZS_FIELD(table, type, name, kind, a, b, doc) ZS_FLAG_ENUM_##kind(a)
#include "config.def"
  ZS_CONFIG_FLAG_NONE = 0
};

/* logger.output, logger.format, logger.level values */
enum zs_log_output { ZS_LOG_OUTPUTS(ZS_FLAG_ENUM) };
enum zs_lb_policy { ZS_LB_POLICIES(ZS_FLAG_ENUM) };
enum zs_log_format { ZS_LOG_FORMATS(ZS_FLAG_ENUM) };
enum zs_log_level { ZS_LOG_LEVELS(ZS_FLAG_ENUM) };
enum zs_log_time_format { ZS_LOG_TIME_FORMATS(ZS_FLAG_ENUM) };
enum zs_log_duration_format { ZS_LOG_DURATION_FORMATS(ZS_FLAG_ENUM) };
enum zs_log_level_format { ZS_LOG_LEVEL_FORMATS(ZS_FLAG_ENUM) };
/* tls_cert.key_type values */
enum zs_key_type {
  ZS_KEY_TYPES(ZS_FLAG_ENUM)
};

/* no implicit padding anywhere: every struct is exactly its fields */
#define ZS_TABLE_BEGIN(table, plural, doc) _Static_assert(sizeof(struct zs_##table) == 0
#define ZS_FIELD(table, type, name, kind, a, b, doc) + sizeof(type)
#define ZS_TABLE_END(table) , "struct zs_" #table " has padding");
#include "config.def"

/* FNV-1a, 64-bit, byte by byte: enough to catch truncation and corruption
 * (it is not a signature; integrity against tampering is the file system's job). */
#define ZS_CHECKSUM_INIT 0xcbf29ce484222325ull

/* continues a checksum over more bytes (for hashing a file in pieces) */
static inline uint64_t zs_checksum_update(uint64_t h, const unsigned char *data, uint64_t len)
{
  for (uint64_t i = 0; i < len; i++) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static inline uint64_t zs_checksum(const unsigned char *data, uint64_t len)
{
  return zs_checksum_update(ZS_CHECKSUM_INIT, data, len);
}

#endif
