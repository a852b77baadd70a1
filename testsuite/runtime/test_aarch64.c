/* The cage and traps on aarch64: the static zsrt-aarch64 under qemu-aarch64
 * runs hand-encoded aarch64 guest programs through --run-request (a helper
 * call, a fault, a runaway loop) and refuses an x86_64 blob.
 * argv: QEMU ZSRT_AARCH64 (skips when either is missing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blob_writer.h"
#include "../check.h"

static const uint32_t guest_words[] = {
  /* 0x00 respond: resp_status(201), return ZS_ACT_RESPOND */
  0xa9be7bfd, 0x910003fd, 0xf9000bf3, 0xaa0003f3, 0xf9400668, 0xf9400508,
  0xd2801921, 0xd63f0100, 0xd2800020, 0xf9400bf3, 0xa8c27bfd, 0xd65f03c0,
  /* 0x30 fault: read guest address 0 */
  0xf9400008, 0xb9400100, 0xd65f03c0,
  /* 0x3c loop: poll the budget until it runs out, then ctx->trap(ctx, 2) */
  0xf9400808, 0xd1000508, 0xf9000808, 0xb6ffffa8, 0xf9400c08, 0x52800041, 0xd61f0100,
};

static const char *qemu, *zsrt;
static char blob[160], req[160], out[4096];

static int run(const char *port, const char *blob_path)
{
  const char *argv[] = {qemu, zsrt, "--run-request", req, "--port", port, blob_path, NULL};
  return test_run_capture(argv, out, sizeof out);
}

static void write_blob(uint32_t arch)
{
  struct test_blob tb;
  tb_init(&tb);
  tb.arch = arch;
  tb.code = (const unsigned char *)guest_words;
  tb.code_len = sizeof guest_words;
  tb_server(&tb, 9100, 0x00);
  tb_server(&tb, 9101, 0x30);
  tb_server(&tb, 9102, 0x3c);
  size_t len;
  unsigned char *b = tb_build(&tb, &len);
  tb_save(blob, b, len);
  free(b);
}

int main(int argc, char **argv)
{
  if (argc < 3 || access(argv[1], X_OK) != 0 || access(argv[2], R_OK) != 0) {
    fprintf(stderr, "skip: needs qemu-aarch64 and zsrt-aarch64\n");
    return 77;
  }
  qemu = argv[1];
  zsrt = argv[2];
  char base[128];
  test_tmp_name(base, sizeof base, "a64");
  snprintf(blob, sizeof blob, "%s.zsb", base);
  snprintf(req, sizeof req, "%s.req", base);
  FILE *f = fopen(req, "w");
  fputs("GET / HTTP/1.1\r\nHost: h\r\n\r\n", f);
  fclose(f);
  write_blob(ZS_ARCH_AARCH64);
  CHECK(run("9100", blob) == 0);
  CHECK(strcmp(out, "status 201\nheader Server: zsrt\nheader Content-Length: 0\nbody 0\n\n") == 0);
  CHECK(run("9101", blob) == 0 && strncmp(out, "trap fault\nstatus 500\n", 22) == 0);
  CHECK(run("9102", blob) == 0 && strncmp(out, "trap budget\nstatus 500\n", 23) == 0);
  write_blob(ZS_ARCH_X86_64);
  CHECK(run("9100", blob) == 1 && out[0] == '\0');
  unlink(blob);
  unlink(req);
  return check_failures ? 1 : 0;
}
