/* The config validator is one (abi/config_check.h): a blob with one config
 * field broken is refused by zsb_check and by the runtime loader with the same
 * message. Every field of abi/config.def is broken in turn, so a field added
 * there is tested here without a line of this file changing; then the kinds
 * once more by hand, with the exact wording. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/blob.h"
#include "blob_writer.h"
#include "../check.h"
#include "runtime/loader.h"
#include "zsb/zsb.h"

static char path[256];

/* the sample blob with every file_server field set */
static void tb_default(struct test_blob *tb)
{
  tb_sample(tb, "*.key\0", 6);
  tb->file_servers[0].flags = ZS_FILE_BROWSE;
  tb->file_servers[0].status = 404;
}

static struct zs_config_header *cfg(unsigned char *b) { return (struct zs_config_header *)(b + TB_CONFIG_OFF); }

/* row 0 of a table, by its offset in the header */
static unsigned char *row0(unsigned char *b, uint32_t table_off) { return b + TB_CONFIG_OFF + table_off; }

/* Both readers on the same bytes: zsb_check must say want (exactly, or as a
 * prefix when prefix is set), and blob_open "path: " and the same words. */
static int refused_alike(unsigned char *b, size_t len, const char *want, int prefix)
{
  tb_rechecksum(b, len);
  char zerr[256] = "", lerr[512] = "", expect[600];
  int zrc = zsb_check(b, len, zerr, sizeof zerr);
  tb_save(path, b, len);
  struct blob blob;
  int lrc = blob_open(path, &blob, lerr, sizeof lerr);
  if (lrc == 0)
    blob_close(&blob);
  snprintf(expect, sizeof expect, "%s: %s", path, zerr);
  int ok = zrc < 0 && lrc < 0 && strcmp(lerr, expect) == 0 &&
           (prefix ? strncmp(zerr, want, strlen(want)) == 0 : strcmp(zerr, want) == 0);
  if (!ok)
    fprintf(stderr, "zsb_check (%d): %s\nloader (%d): %s\nwanted: %s\n", zrc, zerr, lrc, lerr, want);
  return ok;
}

static void put(unsigned char *at, size_t size, uint32_t v)
{
  if (size == 2) {
    uint16_t v16 = (uint16_t)v;
    memcpy(at, &v16, 2);
  } else {
    memcpy(at, &v, 4);
  }
}

/* a value each kind must refuse, given the blob's counts and pool size */
#define BAD_FLAG_BIT(constant, value, label) | (value)
static uint32_t bad_num(uint32_t lo, uint32_t hi, uint32_t min_ok) { return lo > min_ok ? lo - 1 : hi + 1; }
static uint32_t bad_flags(uint32_t known)
{
  uint32_t bit = 1;
  while (known & bit)
    bit <<= 1;
  return bit;
}
#define BAD_NUM(c, a, b) bad_num(a, b, 0)
#define BAD_OPTNUM(c, a, b) bad_num(a, b, 1)
#define BAD_FLAGS(c, a, b) bad_flags(0u a(BAD_FLAG_BIT))
#define BAD_STR(c, a, b) (c)->strings_size
#define BAD_LIST(c, a, b) (c)->strings_size
#define BAD_INDEX(c, a, b) count_of_##a(c)
#define BAD_RESERVED(c, a, b) 1u
static uint32_t count_of_server(const struct zs_config_header *c) { return c->server_count; }
static uint32_t count_of_proxy(const struct zs_config_header *c) { return c->proxy_count; }
static uint32_t count_of_entry(const struct zs_config_header *c) { (void)c; return 1; }   /* tb_default's */

static void test_every_field(void)
{
  struct test_blob tb;
  tb_default(&tb);
  size_t len;
  unsigned char *clean = tb_build(&tb, &len), *b = malloc(len);
  char err[256];
  CHECK(zsb_check(clean, len, err, sizeof err) == 0);
  int fields = 0;
#define ZS_FIELD(table, type, name, kind, a, b_, doc)                                                     \
  do {                                                                                                    \
    memcpy(b, clean, len);                                                                                \
    struct zs_config_header *c = cfg(b);                                                                  \
    CHECK(c->table##_count > 0);                                                                          \
    put(row0(b, c->table##_table) + offsetof(struct zs_##table, name), sizeof(type), BAD_##kind(c, a, b_)); \
    CHECK(refused_alike(b, len, "config: " #table " 0: " #name ": ", 1));                                 \
    fields++;                                                                                             \
  } while (0);
#include "abi/config.def"
  CHECK(fields > 0);
  free(b);
  free(clean);
}

/* one mutation of the default blob, and the exact message both must give */
static int mutated(void (*edit)(unsigned char *b), const char *want)
{
  struct test_blob tb;
  tb_default(&tb);
  size_t len;
  unsigned char *b = tb_build(&tb, &len);
  edit(b);
  int ok = refused_alike(b, len, want, 0);
  free(b);
  return ok;
}

static struct zs_server *server0(unsigned char *b) { return (void *)row0(b, cfg(b)->server_table); }
static struct zs_listener *listener0(unsigned char *b) { return (void *)row0(b, cfg(b)->listener_table); }
static struct zs_file_server *file0(unsigned char *b) { return (void *)row0(b, cfg(b)->file_server_table); }
static struct zs_proxy *proxy0(unsigned char *b) { return (void *)row0(b, cfg(b)->proxy_table); }

static void e_status(unsigned char *b) { file0(b)->status = 42; }
static void e_status_high(unsigned char *b) { file0(b)->status = 1000; }
static void e_port(unsigned char *b) { listener0(b)->port = 0; }
static void e_string(unsigned char *b) { proxy0(b)->upstream_str = cfg(b)->strings_size; }
/* the upstream is the pool's last string: as a list, nothing ends it */
static void e_list(unsigned char *b) { file0(b)->hide_str = proxy0(b)->upstream_str; }
static void e_index(unsigned char *b) { listener0(b)->server = 5; }
static void e_entry(unsigned char *b) { server0(b)->entry = 3; }
static void e_flags(unsigned char *b) { server0(b)->flags = ZS_SERVER_TLS | 0x40; }
static void e_flags16(unsigned char *b) { listener0(b)->flags = 0x8000; }
static void e_reserved(unsigned char *b) { listener0(b)->reserved = 7; }
static void e_table(unsigned char *b) { cfg(b)->listener_count = 100000; }
static void e_pool_end(unsigned char *b) { b[TB_CONFIG_OFF + cfg(b)->strings_offset + cfg(b)->strings_size - 1] = 'x'; }
static void e_pool_start(unsigned char *b) { b[TB_CONFIG_OFF + cfg(b)->strings_offset] = 'x'; }
static void e_entry_server(unsigned char *b) { ((struct zs_entry *)(b + TB_ENTRIES_OFF))->server = 3; }

static void test_each_kind(void)
{
  CHECK(mutated(e_status, "config: file_server 0: status: 42 is not 0 or 100..999"));
  CHECK(mutated(e_status_high, "config: file_server 0: status: 1000 is not 0 or 100..999"));
  CHECK(mutated(e_port, "config: listener 0: port: 0 is not 1..65535"));
  CHECK(mutated(e_string, "config: proxy 0: upstream_str: offset 168 is outside the string pool (168 bytes)"));
  CHECK(mutated(e_list, "config: file_server 0: hide_str: list at 32 has no empty string ending it in the pool"));
  CHECK(mutated(e_index, "config: listener 0: server: no server 5 (1 rows)"));
  CHECK(mutated(e_entry, "config: server 0: entry: no entry 3 (1 rows)"));
  CHECK(mutated(e_flags, "config: server 0: flags: unknown bits 0x40"));
  CHECK(mutated(e_flags16, "config: listener 0: flags: unknown bits 0x8000"));
  CHECK(mutated(e_reserved, "config: listener 0: reserved: 7, must be 0"));
  CHECK(mutated(e_table, "config: listener table (100000 rows at 0x98) is outside the section"));
  CHECK(mutated(e_pool_end, "config: string pool does not end with NUL"));
  CHECK(mutated(e_pool_start, "config: string pool does not start with the empty string"));
  CHECK(mutated(e_entry_server, "entry 0: no server 3"));
}

int main(void)
{
  test_tmp_name(path, sizeof path - 4, "config-check");
  strcat(path, ".zsb");
  test_every_field();
  test_each_kind();
  unlink(path);
  return check_failures ? 1 : 0;
}
