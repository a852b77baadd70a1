/* The .zsb blob format (documented in docs/blob-format.md). Little-endian,
 * versioned, page-aligned sections, checksummed. Written by compiler/zsb,
 * validated and mapped by runtime/loader. */
#ifndef ZS_ABI_BLOB_H
#define ZS_ABI_BLOB_H

#include <stdint.h>

#define ZS_BLOB_MAGIC       "ZSBLOB\r\n"       /* 8 bytes; the CR LF catches text-mode mangling */
#define ZS_BLOB_VERSION     1u
#define ZS_ABI_VERSION      1u                 /* helpers.def, vars.def, request.h, native.h */
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

/* entry kinds: one request entry per server, more phases later */
enum zs_entry_kind { ZS_ENTRY_REQUEST = 1 };

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

/* Runtime config. All *_str fields are offsets into the string pool that ends
 * the section; every string is NUL-terminated inside the pool. Tables are
 * arrays at the given offsets from the start of the section. */
struct zs_config_header {
  uint32_t server_count, server_table;
  uint32_t listener_count, listener_table;
  uint32_t file_server_count, file_server_table;
  uint32_t proxy_count, proxy_table;
  uint32_t strings_offset, strings_size;
};

struct zs_server {
  uint32_t name_str;       /* "srv0" */
  uint32_t entry;          /* index into the entry table */
  uint32_t flags;          /* ZS_SERVER_* */
  uint32_t reserved;
};
#define ZS_SERVER_TLS 1u

struct zs_listener {
  uint32_t server;         /* index into the server table */
  uint32_t host_str;       /* bind address, "" for all interfaces */
  uint16_t port;
  uint16_t flags;
  uint32_t reserved;
};

struct zs_file_server {
  uint32_t root_str;       /* root when no root variable is set ("" = current directory) */
  uint32_t index_str;      /* index file names, NUL-separated, ending with an empty name */
  uint32_t flags;          /* ZS_FILE_* */
  uint32_t status;         /* 0, or a status code to respond with (file_server status) */
  uint32_t hide_str;       /* Caddy's hide list: patterns, NUL-separated, ending with an empty one */
  uint32_t reserved;
};
#define ZS_FILE_BROWSE 1u

struct zs_proxy {
  uint32_t upstream_str;   /* "host:port" to dial, as Caddy's upstreams.dial */
  uint32_t flags;
};

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
