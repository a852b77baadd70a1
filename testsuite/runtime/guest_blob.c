/* Builds the test blob around guest_x86_64.S (see guest_blob.h). */
#include "guest_blob.h"

#include <stdint.h>
#include <string.h>

#include "blob_writer.h"

extern const unsigned char guest_code_start[], guest_code_end[];
extern const unsigned char prog_respond[], prog_file[], prog_proxy[], prog_fault[], prog_loop[],
  prog_next[], prog_bad[], prog_root[];

static unsigned char guest_rodata[4096];

static void guest_rodata_fill(const char *var_root)
{
  memcpy(guest_rodata + 0, "hello ", 6);
  memcpy(guest_rodata + 16, "v1", 2);
  memcpy(guest_rodata + 32, "x-a", 3);
  memcpy(guest_rodata + 48, "/static", 7);
  uint32_t n = (uint32_t)strlen(var_root);
  memcpy(guest_rodata + 60, &n, 4);
  memcpy(guest_rodata + 64, var_root, n);
}

unsigned char *guest_blob_build(const char *root_dir, const char *var_root, size_t *len)
{
  const unsigned char *progs[] = { prog_respond, prog_file, prog_proxy, prog_fault,
                                   prog_loop, prog_next, prog_bad, prog_root };
  static struct test_blob tb;
  tb_init(&tb);
  guest_rodata_fill(var_root);
  tb.code = guest_code_start;
  tb.code_len = (size_t)(guest_code_end - guest_code_start);
  tb.rodata = guest_rodata;
  tb.rodata_len = sizeof guest_rodata;
  for (unsigned i = 0; i < 8; i++)
    tb_server(&tb, (uint16_t)(GUEST_PORT + i), (uint64_t)(progs[i] - guest_code_start));
  tb.file_servers[0] = (struct zs_file_server){ .root_str = tb_string(&tb, root_dir, strlen(root_dir)) };
  tb.file_servers[1] = (struct zs_file_server){ .index_str = tb_string(&tb, "idx.txt\0", 8) };
  tb.file_server_count = 2;
  tb_mime_sample(&tb);
  tb.proxies[0] = (struct zs_proxy){ .upstream_str = tb_string(&tb, "127.0.0.1:9999", 14) };
  tb.proxy_count = 1;
  return tb_build(&tb, len);
}
