/* A tiny .zsb writer for the runtime tests: lays out header, sections and
 * config tables as abi/blob.h defines them, so tests can craft valid blobs
 * and then break them one field at a time. */
#ifndef TEST_BLOB_WRITER_H
#define TEST_BLOB_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "abi/blob.h"

#define TB_MAX 8

struct test_blob {
  uint32_t arch;                 /* 0: the running arch */
  const unsigned char *code;
  size_t code_len;
  const unsigned char *rodata;
  size_t rodata_len;
  struct zs_entry entries[TB_MAX];
  size_t entry_count;
  /* each config table's rows: servers and server_count, listeners, ... */
#define ZS_TABLE_BEGIN(table, plural, doc) struct zs_##table plural[TB_MAX]; size_t table##_count;
#include "abi/config.def"
  char strings[4096];
  size_t strings_len;
};

/* section offsets in written blobs */
#define TB_CODE_OFF    0x10000u
#define TB_RODATA_OFF  0x20000u
#define TB_ENTRIES_OFF 0x30000u
#define TB_CONFIG_OFF  0x40000u

void tb_init(struct test_blob *tb);
/* adds a NUL-terminated string (n bytes, embedded NULs allowed) to the pool */
uint32_t tb_string(struct test_blob *tb, const char *s, size_t n);
/* one server on port with its request entry at code_offset; returns its index */
unsigned tb_server(struct test_blob *tb, uint16_t port, uint64_t code_offset);
/* a valid blob to break: a few bytes of code and rodata, one server on 8080,
 * file_server 0 (root "www", index a.html b.html, hide list `hide` of
 * hide_len bytes when not NULL), proxy 0 (127.0.0.1:9), pooled in that order,
 * then one row of each tls_* table (its lists are the index list: the pool stays as it was),
 * a logger, an access log, and tb_mime_sample's rows */
void tb_sample(struct test_blob *tb, const char *hide, size_t hide_len);
/* the mime rows of .html and .txt, as written and lower-cased */
void tb_mime_sample(struct test_blob *tb);
/* the blob's bytes (malloc'ed, checksummed); *len gets the size */
unsigned char *tb_build(const struct test_blob *tb, size_t *len);
/* recomputes the checksum after a test edited the bytes */
void tb_rechecksum(unsigned char *bytes, size_t len);
int tb_save(const char *path, const unsigned char *bytes, size_t len);

#endif
