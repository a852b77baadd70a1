/* The blob writer: write a blob from hand-made parts, read it back and check
 * header, checksum, section placement and contents, entries, config tables,
 * source map and sources; then corrupt and truncate it and see it refused. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/blob.h"
#include "bpf/insn.h"
#include "bpf_test_util.h"
#include "zsb/zsb.h"

struct parts {
  uint8_t code[256];
  struct native_symbol symbols[3];
  struct native_image image;
  struct bpf_insn insns[4];
  struct bpf_func funcs[2];
  uint8_t rodata[5];
  struct bpf_program prog;
  struct site_server servers[2];
  struct site_listener listeners[2];
  const char *index_names[2];
  const char *hide[2];
  struct site_file_server file_server;
  struct site_proxy proxy;
  struct site_config config;
  struct zs_srcmap_row rows[3];
  struct zsb_source source;
  struct zsb_input in;
};

static void parts_init(struct parts *p)
{
  memset(p, 0, sizeof *p);
  for (size_t i = 0; i < sizeof p->code; i++)
    p->code[i] = (uint8_t)(i * 7 + 1);
  p->symbols[0] = (struct native_symbol){ "zs_entry_srv0", 0x10, 0x20 };
  p->symbols[1] = (struct native_symbol){ "helper_fn", 0x30, 0x10 };
  p->symbols[2] = (struct native_symbol){ "zs_entry_srv1", 0x40, 0x20 };
  p->image = (struct native_image){ .arch = ZS_ARCH_X86_64, .code = p->code, .code_size = sizeof p->code,
                                    .text_size = 0xc0, .symbols = p->symbols, .symbol_count = 3 };
  p->insns[0] = test_insn(BPF_CLASS_ALU64 | BPF_ALU_MOV, 0, 0, 0, 200);
  p->insns[1] = test_insn(BPF_OPCODE_EXIT, 0, 0, 0, 0);
  p->insns[2] = test_insn(BPF_CLASS_ALU64 | BPF_ALU_MOV, 0, 0, 0, 404);
  p->insns[3] = test_insn(BPF_OPCODE_EXIT, 0, 0, 0, 0);
  p->funcs[0] = (struct bpf_func){ "zs_entry_srv0", 0, 2, 16, 48, true };
  p->funcs[1] = (struct bpf_func){ "zs_entry_srv1", 2, 4, 8, 8, true };
  memcpy(p->rodata, "hi\0yo", 5);
  p->prog = (struct bpf_program){ .insns = p->insns, .insn_count = 4, .funcs = p->funcs, .func_count = 2,
                                  .rodata = p->rodata, .rodata_size = 5 };
  p->servers[0] = (struct site_server){ .name_str = "srv0", .entry = 0, .entry_symbol = "zs_entry_srv0" };
  p->servers[1] = (struct site_server){ .name_str = "srv1", .entry = 1, .flags = ZS_SERVER_TLS,
                                        .entry_symbol = "zs_entry_srv1" };
  p->listeners[0] = (struct site_listener){ .server = 0, .host_str = "", .port = 8080 };
  p->listeners[1] = (struct site_listener){ .server = 1, .host_str = "127.0.0.1", .port = 8443 };
  p->index_names[0] = "index.html";
  p->index_names[1] = "index.txt";
  p->hide[0] = "*.secret";
  p->hide[1] = "/etc";
  p->file_server = (struct site_file_server){ .root_str = "srv0", .index_str = p->index_names,
                                             .index_str_count = 2, .flags = ZS_FILE_BROWSE, .status = 404,
                                             .hide_str = p->hide, .hide_str_count = 2 };
  p->proxy = (struct site_proxy){ .upstream_str = "127.0.0.1:9000" };
  p->config = (struct site_config){ .servers = p->servers, .server_count = 2, .listeners = p->listeners,
                                    .listener_count = 2, .file_servers = &p->file_server, .file_server_count = 1,
                                    .proxies = &p->proxy, .proxy_count = 1 };
  p->rows[0] = (struct zs_srcmap_row){ 0x44, 2, 9, 3, 0, 5 };
  p->rows[1] = (struct zs_srcmap_row){ 0x10, 0, 4, 1, 0, 1 };
  p->rows[2] = (struct zs_srcmap_row){ 0x18, 1, 5, 2, 0, 3 };
  p->source = (struct zsb_source){ "Caddyfile", ":8080\nrespond hi\n", 17 };
  p->in = (struct zsb_input){ .image = &p->image, .bpf = &p->prog, .config = &p->config, .srcmap = p->rows,
                              .srcmap_count = 3, .sources = &p->source, .source_count = 1 };
}

static uint8_t *slurp(const char *path, size_t *size)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc(*size + 1);
  if (data && fread(data, 1, *size, f) != *size) {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

static bool padding_is_zero(const uint8_t *data, const struct zs_section *s)
{
  uint64_t end = (s->offset + s->size + ZS_BLOB_PAGE - 1) / ZS_BLOB_PAGE * ZS_BLOB_PAGE;
  for (uint64_t i = s->offset + s->size; i < end; i++)
    if (data[i])
      return false;
  return true;
}

static void check_sections(const uint8_t *data, size_t size, const struct parts *p)
{
  struct zs_blob_header h;
  memcpy(&h, data, sizeof h);
  CHECK(!memcmp(h.magic, ZS_BLOB_MAGIC, 8));
  CHECK(h.version == ZS_BLOB_VERSION && h.abi_version == ZS_ABI_VERSION && h.arch == ZS_ARCH_X86_64);
  CHECK(h.file_size == size && size % ZS_BLOB_PAGE == 0);
  CHECK(h.section_count == 7);
  for (uint32_t i = 0; i < h.section_count; i++) {
    CHECK(h.sections[i].offset % ZS_BLOB_PAGE == 0 && h.sections[i].offset >= ZS_BLOB_PAGE);
    CHECK(h.sections[i].offset + h.sections[i].size <= size);
    CHECK(padding_is_zero(data, &h.sections[i]));
  }
  const struct zs_section *code = zsb_find_section(&h, ZS_SEC_CODE), *ro = zsb_find_section(&h, ZS_SEC_RODATA),
                          *bpf = zsb_find_section(&h, ZS_SEC_BPF);
  CHECK(code && code->size == sizeof p->code && !memcmp(data + code->offset, p->code, sizeof p->code));
  CHECK(ro && ro->size == 5 && !memcmp(data + ro->offset, "hi\0yo", 5));
  CHECK(bpf && bpf->size == sizeof p->insns && !memcmp(data + bpf->offset, p->insns, sizeof p->insns));
  const struct zs_section *es = zsb_find_section(&h, ZS_SEC_ENTRIES);
  CHECK(es && es->size == 2 * sizeof(struct zs_entry));
  if (es && es->size == 2 * sizeof(struct zs_entry)) {
    struct zs_entry e[2];
    memcpy(e, data + es->offset, sizeof e);
    CHECK(e[0].kind == ZS_ENTRY_REQUEST && e[0].server == 0 && e[0].code_offset == 0x10);
    CHECK(e[0].stack_size == 48 && e[0].bpf_insn == 0);
    CHECK(e[1].server == 1 && e[1].code_offset == 0x40 && e[1].stack_size == 8 && e[1].bpf_insn == 2);
  }
}

static void check_config(const uint8_t *data)
{
  struct zs_blob_header h;
  memcpy(&h, data, sizeof h);
  const struct zs_section *s = zsb_find_section(&h, ZS_SEC_CONFIG);
  const uint8_t *cfg = data + s->offset;
  struct zs_config_header c;
  memcpy(&c, cfg, sizeof c);
  CHECK(c.server_count == 2 && c.listener_count == 2 && c.file_server_count == 1 && c.proxy_count == 1);
  CHECK(c.strings_offset + c.strings_size == s->size);
  const char *pool = (const char *)cfg + c.strings_offset;
  CHECK(pool[0] == 0);
  const struct zs_server *sv = (const struct zs_server *)(cfg + c.server_table);
  CHECK(!strcmp(pool + sv[0].name_str, "srv0") && sv[0].entry == 0 && sv[0].flags == 0);
  CHECK(!strcmp(pool + sv[1].name_str, "srv1") && sv[1].entry == 1 && sv[1].flags == ZS_SERVER_TLS);
  const struct zs_listener *l = (const struct zs_listener *)(cfg + c.listener_table);
  CHECK(l[0].server == 0 && l[0].port == 8080 && !strcmp(pool + l[0].host_str, ""));
  CHECK(l[1].server == 1 && l[1].port == 8443 && !strcmp(pool + l[1].host_str, "127.0.0.1"));
  const struct zs_file_server *f = (const struct zs_file_server *)(cfg + c.file_server_table);
  CHECK(f->root_str == sv[0].name_str);   /* the same string is pooled once */
  CHECK(!memcmp(pool + f->index_str, "index.html\0index.txt\0\0", 22));
  CHECK(f->flags == ZS_FILE_BROWSE && f->status == 404 && !memcmp(pool + f->precompressed_str, "\0", 1));
  CHECK(!memcmp(pool + f->hide_str, "*.secret\0/etc\0\0", 15));
  const struct zs_proxy *px = (const struct zs_proxy *)(cfg + c.proxy_table);
  CHECK(!strcmp(pool + px->upstream_str, "127.0.0.1:9000"));
}

static void check_srcmap(const uint8_t *data)
{
  struct zs_blob_header h;
  memcpy(&h, data, sizeof h);
  const struct zs_section *m = zsb_find_section(&h, ZS_SEC_SRCMAP), *src = zsb_find_section(&h, ZS_SEC_SOURCE);
  CHECK(m && m->size == 3 * sizeof(struct zs_srcmap_row));
  CHECK(src && src->size == strlen("Caddyfile") + 1 + 17 + 1);
  if (!m || !src || m->size != 3 * sizeof(struct zs_srcmap_row))
    return;
  struct zs_srcmap_row rows[3];
  memcpy(rows, data + m->offset, sizeof rows);
  CHECK(rows[0].native_offset == 0x10 && rows[1].native_offset == 0x18 && rows[2].native_offset == 0x44);
  CHECK(rows[2].src_line == 3 && rows[2].src_col == 5 && rows[2].bpf_insn == 2);
  const char *text = (const char *)data + src->offset;
  CHECK(!strcmp(text + rows[0].src_file, "Caddyfile"));
  CHECK(!strcmp(text + strlen("Caddyfile") + 1, ":8080\nrespond hi\n"));
}

static void check_refusals(uint8_t *data, size_t size)
{
  char err[256] = "";
  CHECK(zsb_check(data, size, err, sizeof err) == 0);
  data[ZS_BLOB_PAGE + 3] ^= 0x40;   /* a byte of code */
  CHECK(zsb_check(data, size, err, sizeof err) < 0 && strstr(err, "checksum mismatch"));
  data[ZS_BLOB_PAGE + 3] ^= 0x40;
  data[size - 1] ^= 1;   /* padding counts too */
  CHECK(zsb_check(data, size, err, sizeof err) < 0 && strstr(err, "checksum mismatch"));
  data[size - 1] ^= 1;
  CHECK(zsb_check(data, size - ZS_BLOB_PAGE, err, sizeof err) < 0 && strstr(err, "truncated"));
  CHECK(zsb_check(data, 100, err, sizeof err) < 0 && strstr(err, "truncated"));
  data[0] = 'X';
  CHECK(zsb_check(data, size, err, sizeof err) < 0 && strstr(err, "bad magic"));
  data[0] = 'Z';
  struct zs_blob_header h;
  memcpy(&h, data, sizeof h);
  h.arch = 9;
  memcpy(data, &h, sizeof h);
  CHECK(zsb_check(data, size, err, sizeof err) < 0 && strstr(err, "architecture"));
  CHECK(zsb_check(data, size, err, sizeof err) < 0);
}

static void check_dump(struct arena *a, const char *path)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  CHECK(zsb_dump(path, &sb) == 0);
  const char *text = strbuf_cstr(&sb);
  char head[96];   /* the versions as abi/blob.h has them: a bump elsewhere changes no test */
  snprintf(head, sizeof head, "zsb version %u, abi %u, arch x86_64, 7 sections", ZS_BLOB_VERSION, ZS_ABI_VERSION);
  CHECK(strstr(text, head));
  CHECK(strstr(text, "entry 1: request server 1 code+0x40 stack 8 bpf 2\n"));
  /* every field of every config row, named as abi/config.def names it */
  CHECK(strstr(text, "server 0: name_str \"srv0\" entry 0 flags [] read_header_ms 0 idle_ms 0 trusted_str []\n"));
  CHECK(strstr(text, "server 1: name_str \"srv1\" entry 1 flags [tls] read_header_ms 0 idle_ms 0 trusted_str []\n"));
  CHECK(strstr(text, "listener 1: server 1 host_str \"127.0.0.1\" port 8443 flags [] reserved 0\n"));
  CHECK(strstr(text, "file_server 0: root_str \"srv0\" index_str [\"index.html\" \"index.txt\"] flags [browse] "
                     "status 404 hide_str [\"*.secret\" \"/etc\"] precompressed_str [] file_limit 0\n"));
  CHECK(strstr(text, "proxy 0: upstream_str \"127.0.0.1:9000\" flags [] replace_str [] trusted_str [] policy 0 "
                     "fallback 0 choose 0 policy_key_str \"\" cookie_secret_str \"\" cookie_max_age 0 retries 0 "));
  CHECK(strstr(text, " idle_conns_per_host 0 max_conns_per_host 0 request_buffers 0 stream_timeout_ms 0 "
                     "stream_close_delay_ms 0\n"));
  CHECK(strstr(text, "source Caddyfile: 17 bytes\n"));
  if (getenv("ZSB_TEST_SHOW"))
    fputs(text, stdout);
}

static void test_missing_entry(const char *path)
{
  struct parts *p = calloc(1, sizeof *p);
  parts_init(p);
  p->servers[1].entry_symbol = "zs_entry_nowhere";
  struct test_diag t;
  test_diag_open(&t);
  int rc = zsb_write(path, &p->in, &t.d);
  const char *msgs = test_diag_close(&t);
  CHECK(rc < 0 && strstr(msgs, "entry 'zs_entry_nowhere' is not a function of the native code"));
  CHECK(access(path, F_OK) != 0);
  test_diag_free(&t);
  free(p);
}

/* the writer runs the loader's validator on what it made: a record the
 * runtime would refuse never reaches a file */
static void test_bad_record(const char *path)
{
  struct parts *p = calloc(1, sizeof *p);
  parts_init(p);
  p->file_server.status = 42;
  struct test_diag t;
  test_diag_open(&t);
  int rc = zsb_write(path, &p->in, &t.d);
  const char *msgs = test_diag_close(&t);
  CHECK(rc < 0 && strstr(msgs, "blob config: file_server 0: status: 42 is not 0 or 100..999"));
  CHECK(access(path, F_OK) != 0);
  test_diag_free(&t);
  parts_init(p);
  p->listeners[1].server = 2;
  test_diag_open(&t);
  rc = zsb_write(path, &p->in, &t.d);
  msgs = test_diag_close(&t);
  CHECK(rc < 0 && strstr(msgs, "blob config: listener 1: server: no server 2 (2 rows)"));
  test_diag_free(&t);
  free(p);
}

int main(void)
{
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/zsb-test-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
  if (!mkdtemp(dir)) {
    fprintf(stderr, "cannot create a temporary folder\n");
    return 1;
  }
  char path[4200], tmp_path[4300], missing[4200];
  snprintf(path, sizeof path, "%s/site.zsb", dir);
  snprintf(tmp_path, sizeof tmp_path, "%s.tmp", path);
  snprintf(missing, sizeof missing, "%s/missing.zsb", dir);
  struct arena a = { 0 };
  struct parts *p = calloc(1, sizeof *p);
  parts_init(p);
  struct test_diag t;
  test_diag_open(&t);
  CHECK(zsb_write(path, &p->in, &t.d) == 0);
  fputs(test_diag_close(&t), stderr);
  test_diag_free(&t);
  CHECK(access(tmp_path, F_OK) != 0);
  size_t size = 0;
  uint8_t *data = slurp(path, &size);
  CHECK(data != NULL);
  if (data) {
    check_sections(data, size, p);
    check_config(data);
    check_srcmap(data);
    check_dump(&a, path);
    check_refusals(data, size);
  }
  test_missing_entry(missing);
  test_bad_record(missing);
  free(data);
  free(p);
  unlink(path);
  rmdir(dir);
  arena_reset(&a);
  return test_result("zsb_roundtrip_test");
}
