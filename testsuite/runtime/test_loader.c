/* Loader tests: a valid blob opens; truncated, corrupted, wrong-magic,
 * wrong-arch, wrong-version blobs and broken sections or tables are refused
 * with a message naming the file and the problem (every config field kind:
 * test_config_check.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/blob.h"
#include "abi/cage.h"
#include "blob_writer.h"
#include "../check.h"
#include "runtime/loader.h"

static char path[256];

/* writes bytes, opens them, and checks the outcome and message */
static int try_open(const unsigned char *bytes, size_t len, const char *expect)
{
  tb_save(path, bytes, len);
  struct blob b;
  char err[512] = "";
  int rc = blob_open(path, &b, err, sizeof err);
  if (rc == 0) {
    blob_close(&b);
    return expect == NULL;
  }
  if (!expect || !strstr(err, expect) || strncmp(err, path, strlen(path)) != 0) {
    fprintf(stderr, "message: %s (wanted \"%s\")\n", err, expect ? expect : "success");
    return 0;
  }
  return 1;
}

/* builds the default blob, lets edit() break it, rechecksums, opens */
static int try_edit(void (*edit)(unsigned char *b, size_t *len), int recheck, const char *expect)
{
  struct test_blob tb;
  tb_sample(&tb, NULL, 0);
  size_t len;
  unsigned char *b = tb_build(&tb, &len);
  edit(b, &len);
  if (recheck)
    tb_rechecksum(b, len);
  int ok = try_open(b, len, expect);
  free(b);
  return ok;
}

static struct zs_blob_header *hdr(unsigned char *b) { return (struct zs_blob_header *)b; }
static struct zs_config_header *cfg(unsigned char *b) { return (struct zs_config_header *)(b + TB_CONFIG_OFF); }

static void e_none(unsigned char *b, size_t *len) { (void)b, (void)len; }
static void e_truncate(unsigned char *b, size_t *len) { (void)b; *len -= 100; }
static void e_tiny(unsigned char *b, size_t *len) { (void)b; *len = 40; }
static void e_flip(unsigned char *b, size_t *len) { b[*len - 3] ^= 0x20; }
static void e_magic(unsigned char *b, size_t *len) { (void)len; b[0] = 'X'; }
static void e_version(unsigned char *b, size_t *len) { (void)len; hdr(b)->version = 99; }
static void e_abi(unsigned char *b, size_t *len) { (void)len; hdr(b)->abi_version = 99; }
static void e_arch(unsigned char *b, size_t *len)
{
  (void)len;
  hdr(b)->arch = hdr(b)->arch == ZS_ARCH_X86_64 ? ZS_ARCH_AARCH64 : ZS_ARCH_X86_64;
}
static void e_sec_past_end(unsigned char *b, size_t *len) { (void)len; hdr(b)->sections[0].size = 1u << 30; }
static void e_sec_align(unsigned char *b, size_t *len) { (void)len; hdr(b)->sections[1].offset += 8; }
static void e_sec_overlap(unsigned char *b, size_t *len) { (void)len; hdr(b)->sections[1].offset = TB_CODE_OFF; }
static void e_sec_dup(unsigned char *b, size_t *len) { (void)len; hdr(b)->sections[1].kind = ZS_SEC_CODE; }
static void e_sec_count(unsigned char *b, size_t *len) { (void)len; hdr(b)->section_count = 17; }
static void e_no_config(unsigned char *b, size_t *len) { (void)len; hdr(b)->section_count = 3; }
static void e_entry_code(unsigned char *b, size_t *len)
{
  (void)len;
  ((struct zs_entry *)(b + TB_ENTRIES_OFF))->code_offset = 4;
}
static void e_entry_server(unsigned char *b, size_t *len)
{
  (void)len;
  ((struct zs_entry *)(b + TB_ENTRIES_OFF))->server = 3;
}
static void e_table(unsigned char *b, size_t *len) { (void)len; cfg(b)->listener_count = 100000; }
static void e_string(unsigned char *b, size_t *len)
{
  (void)len;
  struct zs_proxy *p = (struct zs_proxy *)(b + TB_CONFIG_OFF + cfg(b)->proxy_table);
  p->upstream_str = cfg(b)->strings_size;
}
static void e_pool_nul(unsigned char *b, size_t *len)
{
  (void)len;
  b[TB_CONFIG_OFF + cfg(b)->strings_offset + cfg(b)->strings_size - 1] = 'x';
}
static void e_listener(unsigned char *b, size_t *len)
{
  (void)len;
  ((struct zs_listener *)(b + TB_CONFIG_OFF + cfg(b)->listener_table))->server = 5;
}

static void e_status(unsigned char *b, size_t *len)
{
  (void)len;
  ((struct zs_file_server *)(b + TB_CONFIG_OFF + cfg(b)->file_server_table))->status = 1000;
}
static void e_hide(unsigned char *b, size_t *len)
{
  (void)len;
  struct zs_file_server *f = (struct zs_file_server *)(b + TB_CONFIG_OFF + cfg(b)->file_server_table);
  f->hide_str = cfg(b)->strings_size - 2;   /* inside the last string: no empty one follows */
}

static int try_open_missing(void)
{
  struct blob b;
  char err[512];
  return blob_open(path, &b, err, sizeof err) < 0 && strstr(err, "No such file") != NULL;
}

static void test_valid_blob_contents(void)
{
  struct test_blob tb;
  tb_sample(&tb, NULL, 0);
  size_t len;
  unsigned char *bytes = tb_build(&tb, &len);
  tb_save(path, bytes, len);
  free(bytes);
  struct blob b;
  char err[256];
  CHECK(blob_open(path, &b, err, sizeof err) == 0);
  CHECK(b.code_size == 4 && b.code[0] == 0xc3);
  CHECK(b.rodata_size == 7 && memcmp(b.rodata, "rodata", 7) == 0);
  CHECK(b.entry_count == 1 && b.config->server_count == 1);
  CHECK(strcmp(blob_string(&b, b.servers[0].name_str), "srv0") == 0);
  CHECK(b.listeners[0].port == 8080);
  CHECK(strcmp(blob_string(&b, b.file_servers[0].root_str), "www") == 0);
  CHECK(strcmp(blob_string(&b, b.proxies[0].upstream_str), "127.0.0.1:9") == 0);
  CHECK(strcmp(blob_string(&b, 1u << 30), "") == 0);
  blob_close(&b);
}

int main(void)
{
  test_tmp_name(path, sizeof path - 4, "loader");
  strcat(path, ".zsb");
  test_valid_blob_contents();
  CHECK(try_edit(e_none, 0, NULL));
  CHECK(try_edit(e_truncate, 0, "truncated"));
  CHECK(try_edit(e_tiny, 0, "truncated"));
  CHECK(try_edit(e_flip, 0, "checksum"));
  CHECK(try_edit(e_magic, 1, "magic"));
  CHECK(try_edit(e_version, 1, "format version 99"));
  CHECK(try_edit(e_abi, 1, "ABI version 99"));
  CHECK(try_edit(e_arch, 1, "blob is for"));
  CHECK(try_edit(e_sec_past_end, 1, "past the end"));
  CHECK(try_edit(e_sec_align, 1, "page boundary"));
  CHECK(try_edit(e_sec_overlap, 1, "overlaps"));
  CHECK(try_edit(e_sec_dup, 1, "second section"));
  CHECK(try_edit(e_sec_count, 1, "sections"));
  CHECK(try_edit(e_no_config, 1, "no config section"));
  CHECK(try_edit(e_entry_code, 1, "outside the code"));
  CHECK(try_edit(e_entry_server, 1, "no server 3"));
  CHECK(try_edit(e_table, 1, "listener table"));
  CHECK(try_edit(e_string, 1, "outside the string pool"));
  CHECK(try_edit(e_pool_nul, 1, "does not end with NUL"));
  CHECK(try_edit(e_listener, 1, "no server 5"));
  CHECK(try_edit(e_status, 1, "config: file_server 0: status: 1000 is not 0 or 100..999"));
  CHECK(try_edit(e_hide, 1, "config: file_server 0: hide_str: list at"));
  CHECK(try_open((const unsigned char *)"", 0, "truncated"));
  unlink(path);
  CHECK(try_open_missing());
  return check_failures ? 1 : 0;
}
