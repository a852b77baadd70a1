/* The runtime tests' .zsb writer (see blob_writer.h). */
#include "blob_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tb_init(struct test_blob *tb)
{
  memset(tb, 0, sizeof *tb);
  tb->strings[0] = '\0';        /* offset 0 is the empty string */
  tb->strings_len = 1;
}

uint32_t tb_string(struct test_blob *tb, const char *s, size_t n)
{
  uint32_t at = (uint32_t)tb->strings_len;
  memcpy(tb->strings + at, s, n);
  tb->strings[at + n] = '\0';
  tb->strings_len += n + 1;
  return at;
}

unsigned tb_server(struct test_blob *tb, uint16_t port, uint64_t code_offset)
{
  unsigned i = (unsigned)tb->server_count++;
  tb->entries[tb->entry_count] = (struct zs_entry){ .kind = ZS_ENTRY_REQUEST, .server = i,
                                                    .code_offset = code_offset, .stack_size = 512 };
  char name[16];
  snprintf(name, sizeof name, "srv%u", i);
  tb->servers[i] = (struct zs_server){ .name_str = tb_string(tb, name, strlen(name)),
                                       .entry = (uint32_t)tb->entry_count++ };
  tb->listeners[tb->listener_count++] = (struct zs_listener){ .server = i, .port = port };
  return i;
}

static uint32_t tb_put(unsigned char *cfg, uint32_t *at, const void *data, size_t n)
{
  uint32_t start = (*at + 7u) & ~7u;
  memcpy(cfg + start, data, n);
  *at = start + (uint32_t)n;
  return start;
}

static size_t tb_config(const struct test_blob *tb, unsigned char *cfg)
{
  struct zs_config_header h = { 0 };
  uint32_t at = sizeof h;
#define ZS_TABLE_BEGIN(table, plural, doc)                                                            \
  h.table##_count = (uint32_t)tb->table##_count;                                                      \
  h.table##_table = tb_put(cfg, &at, tb->plural, tb->table##_count * sizeof tb->plural[0]);
#include "abi/config.def"
  h.strings_size = (uint32_t)tb->strings_len;
  h.strings_offset = tb_put(cfg, &at, tb->strings, tb->strings_len);
  memcpy(cfg, &h, sizeof h);
  return at;
}

static void tb_section(struct zs_blob_header *h, uint32_t kind, uint64_t off, uint64_t size)
{
  h->sections[h->section_count++] = (struct zs_section){ .kind = kind, .offset = off, .size = size };
}

void tb_rechecksum(unsigned char *bytes, size_t len)
{
  struct zs_blob_header *h = (struct zs_blob_header *)bytes;
  h->checksum = 0;
  h->checksum = zs_checksum(bytes, len);
}

unsigned char *tb_build(const struct test_blob *tb, size_t *len)
{
  unsigned char cfg[16384] = { 0 };
  size_t cfg_len = tb_config(tb, cfg);
  size_t total = TB_CONFIG_OFF + cfg_len;
  unsigned char *b = calloc(1, total);
  struct zs_blob_header *h = (struct zs_blob_header *)b;
  memcpy(h->magic, ZS_BLOB_MAGIC, 8);
  h->version = ZS_BLOB_VERSION;
  h->abi_version = ZS_ABI_VERSION;
#if defined(__x86_64__)
  h->arch = tb->arch ? tb->arch : ZS_ARCH_X86_64;
#else
  h->arch = tb->arch ? tb->arch : ZS_ARCH_AARCH64;
#endif
  h->file_size = total;
  memcpy(b + TB_CODE_OFF, tb->code, tb->code_len);
  tb_section(h, ZS_SEC_CODE, TB_CODE_OFF, tb->code_len);
  if (tb->rodata_len) {
    memcpy(b + TB_RODATA_OFF, tb->rodata, tb->rodata_len);
    tb_section(h, ZS_SEC_RODATA, TB_RODATA_OFF, tb->rodata_len);
  }
  memcpy(b + TB_ENTRIES_OFF, tb->entries, tb->entry_count * sizeof tb->entries[0]);
  tb_section(h, ZS_SEC_ENTRIES, TB_ENTRIES_OFF, tb->entry_count * sizeof tb->entries[0]);
  memcpy(b + TB_CONFIG_OFF, cfg, cfg_len);
  tb_section(h, ZS_SEC_CONFIG, TB_CONFIG_OFF, cfg_len);
  tb_rechecksum(b, total);
  *len = total;
  return b;
}

int tb_save(const char *path, const unsigned char *bytes, size_t len)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t n = fwrite(bytes, 1, len, f);
  return fclose(f) == 0 && n == len ? 0 : -1;
}

void tb_mime_sample(struct test_blob *tb)
{
  static const char *const rows[][2] = { { ".html", "text/html; charset=utf-8" }, { ".txt", "text/plain; charset=utf-8" } };
  for (unsigned lower = 0; lower < 2; lower++)
    for (unsigned i = 0; i < 2; i++)
      tb->mimes[tb->mime_count++] = (struct zs_mime){ tb_string(tb, rows[i][0], strlen(rows[i][0])),
                                                      tb_string(tb, rows[i][1], strlen(rows[i][1])),
                                                      lower ? ZS_MIME_LOWER : 0 };
}

void tb_sample(struct test_blob *tb, const char *hide, size_t hide_len)
{
  static const unsigned char code[] = { 0xc3, 0xc3, 0xc3, 0xc3 };
  static const unsigned char rodata[] = "rodata";
  tb_init(tb);
  tb->code = code;
  tb->code_len = sizeof code;
  tb->rodata = rodata;
  tb->rodata_len = sizeof rodata;
  tb_server(tb, 8080, 0);
  tb->file_servers[0] = (struct zs_file_server){ .root_str = tb_string(tb, "www", 3),
                                                 .index_str = tb_string(tb, "a.html\0b.html\0", 14) };
  if (hide)
    tb->file_servers[0].hide_str = tb_string(tb, hide, hide_len);
  tb->file_server_count = 1;
  tb->proxies[0] = (struct zs_proxy){ .upstream_str = tb_string(tb, "127.0.0.1:9", 11) };
  tb->proxy_count = 1;
  tb->proxy_upstreams[0] = (struct zs_proxy_upstream){ .dial_str = tb->proxies[0].upstream_str };
  tb->proxy_upstream_count = 1;
  tb->tls_policies[0] = (struct zs_tls_policy){ .sni_str = tb->file_servers[0].index_str,
                                                .protocol_min = 12, .protocol_max = 13, .client_auth = 4 };
  tb->tls_policy_count = 1;
  tb->tls_certs[0] = (struct zs_tls_cert){ .name_str = tb->file_servers[0].index_str, .flags = ZS_CERT_INTERNAL };
  tb->tls_cert_count = 1;
  tb->tls_apps[0] = (struct zs_tls_app){ .leaf_lifetime = 3600 };
  tb->tls_app_count = 1;
  tb->loggers[0] = (struct zs_logger){ .output = ZS_LOG_DISCARD, .level = ZS_LEVEL_INFO };
  tb->logger_count = 1;
  tb->access_logs[0] = (struct zs_access_log){ .loggers = 1 };
  tb->access_log_count = 1;
  tb_mime_sample(tb);
  tb->regexes[0] = (struct zs_regex){ .pattern_str = tb->file_servers[0].root_str };   /* "www": a pattern too */
  tb->regex_count = 1;
  tb->encoders[0] = (struct zs_encoder){ .flags = ZS_ENC_GZIP, .gzip_level = 5, .zstd_level = 3, .min_length = 512 };
  tb->encoder_count = 1;
  tb->acme_issuers[0] = (struct zs_acme_issuer){ .ca_str = tb->proxies[0].upstream_str };
  tb->acme_issuer_count = 1;
  tb->http_apps[0] = (struct zs_http_app){ .grace_ms = 5000, .shutdown_delay_ms = 1000 };
  tb->http_app_count = 1;
}
