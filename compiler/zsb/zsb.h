/* The blob writer: native code, the verified eBPF program, the runtime config,
 * a source map and the sources into one site.zsb (abi/blob.h,
 * docs/blob-format.md); plus the checker and the listing tools and tests use. */
#ifndef ZSC_ZSB_H
#define ZSC_ZSB_H

#include <stddef.h>
#include <stdint.h>

#include "abi/blob.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "bpf/program.h"
#include "codegen/codegen.h"
#include "native/native.h"

struct zsb_source {
  const char *name;            /* as diagnostics show it: "Caddyfile" */
  const char *text;
  size_t len;
};

struct zsb_input {
  enum zs_arch arch;                   /* 0: the image's */
  const struct native_image *image;    /* code; entries are its zs_entry_* symbols */
  const struct bpf_program *bpf;       /* verified; NULL: no bytecode, no rodata */
  const struct site_config *config;    /* one request entry per server, by entry_symbol */
  /* rows in any order (written sorted by native offset); src_file is an INDEX
   * into sources here, written as the offset of that source's name */
  const struct zs_srcmap_row *srcmap;
  size_t srcmap_count;
  const struct zsb_source *sources;
  size_t source_count;
};

/* Writes the blob to path (through path.tmp and a rename, so a reader never
 * sees half a file). Returns 0, or -1 after reporting to d. */
int zsb_write(const char *path, const struct zsb_input *in, struct diag *d);

/* Checks a whole blob in memory the way zsrt does: magic, versions, arch, size,
 * checksum, section bounds and alignment, entry and config tables. Returns 0,
 * or -1 with a one-line reason in err. */
int zsb_check(const uint8_t *data, size_t size, char *err, size_t err_size);

/* The section of a kind in a checked blob, or NULL. */
const struct zs_section *zsb_find_section(const struct zs_blob_header *h, uint32_t kind);

/* A human-readable listing of a blob: header, sections, entries, config
 * tables, source map and sources. Returns 0, or -1 (the listing then ends
 * with "error: <reason>") when the file is unreadable or fails zsb_check. */
int zsb_dump(const char *path, struct strbuf *out);

/* zsb_dump on bytes already in memory */
int zsb_dump_bytes(const uint8_t *data, size_t size, struct strbuf *out);

#endif
