/* Opening a .zsb blob: a private copy of the file (never a mapping of it:
 * replacing or truncating the file while it is served changes nothing),
 * validation (magic, version, arch, ABI, checksum, every section and table
 * bound), and its code pages made read+execute. */
#ifndef ZSRT_LOADER_H
#define ZSRT_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "../abi/blob.h"

struct blob {
  int fd;                      /* always -1: the file is closed once read */
  uint8_t *map;                /* a private copy of the whole file, read-only; code pages r-x */
  size_t size;
  const struct zs_blob_header *hdr;
  const uint8_t *code;
  size_t code_size;
  const uint8_t *rodata;
  size_t rodata_size;
  const struct zs_entry *entries;
  size_t entry_count;
  const struct zs_config_header *config;
  const char *strings;
  size_t strings_size;
  const struct zs_server *servers;
  const struct zs_listener *listeners;
  const struct zs_file_server *file_servers;
  const struct zs_proxy *proxies;
  const struct zs_proxy_upstream *proxy_upstreams;
  const struct zs_tls_policy *tls_policies;
  const struct zs_tls_cert *tls_certs;
  const struct zs_tls_app *tls_apps;
  const struct zs_logger *loggers;
  const struct zs_access_log *access_logs;
  const struct zs_mime *mimes;
  const struct zs_regex *regexes;
  const struct zs_encoder *encoders;
  const struct zs_acme_issuer *acme_issuers;
  const struct zs_http_app *http_apps;
};

/* 0, or -1 with a one-line reason in err ("site.zsb: checksum mismatch") */
int blob_open(const char *path, struct blob *out, char *err, size_t err_len);
void blob_close(struct blob *b);

/* a string of the config pool; offsets were validated by blob_open */
const char *blob_string(const struct blob *b, uint32_t offset);
/* the strings of a LIST field into out (at most cap); returns how many
 * there are, which may be more than cap */
size_t blob_list(const struct blob *b, uint32_t offset, const char **out, size_t cap);

#endif
