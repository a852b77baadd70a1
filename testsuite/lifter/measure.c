/* The measurement-only lifter (ZS_LIFT_MEASURE, bench/cage): code lifted
 * without the cage never becomes a loadable blob (the writer refuses it, the
 * loader refuses a blob holding its marker), and every variant computes what
 * the shipped caged code computes on the benchmark programs. */
#define ZS_LIFT_MEASURE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/blob.h"
#include "abi/cage.h"
#include "base/file.h"
#include "base/tmpdir.h"
#include "bench/cage/measure.h"
#include "bpf/lift.h"
#include "pipeline.h"
#include "runtime/loader.h"
#include "zsb/zsb.h"

static int measure_passed, measure_failed, measure_skipped;

static void measure_expect(int ok, const char *what)
{
  printf("%s: %s\n", ok ? "ok" : "FAIL", what);
  measure_passed += !!ok;
  measure_failed += !ok;
}

static int measure_has_marker(const uint8_t *p, size_t n)
{
  return memmem(p, n, ZS_UNCAGED_MARKER, sizeof ZS_UNCAGED_MARKER - 1) != NULL;
}

/* the site's blob bytes with the marker written into its code section */
static int measure_plant_marker(struct arena *a, const char *from, const char *to)
{
  char *data;
  size_t size;
  if (file_read_all(a, from, &data, &size) < 0 || size < sizeof(struct zs_blob_header))
    return -1;
  struct zs_blob_header *h = (struct zs_blob_header *)data;
  const struct zs_section *code = zsb_find_section(h, ZS_SEC_CODE);
  if (!code || code->size < sizeof ZS_UNCAGED_MARKER)
    return -1;
  memcpy(data + code->offset, ZS_UNCAGED_MARKER, sizeof ZS_UNCAGED_MARKER - 1);
  h->checksum = 0;
  h->checksum = zs_checksum((const unsigned char *)data, size);
  return file_write_all(to, data, size);
}

static void measure_blobs(struct arena *a, const char *dir, struct diag *d)
{
  const char *caddyfile = arena_printf(a, "%s/Caddyfile", dir);
  const char *text = ":8080 {\n\trespond \"caged\"\n}\n";
  struct pipeline p;
  struct options opt = {.input = caddyfile, .arch = ZS_ARCH_X86_64, .cc = NATIVE_CC_CLANG};
  if (file_write_all(caddyfile, text, strlen(text)) < 0 || pipeline_run(a, &opt, EMIT_NONE, &p, d) < 0)
    return measure_expect(0, "the site compiles");
  struct zsb_input in = {.image = &p.image, .bpf = &p.prog, .config = &p.cg.config};
  const char *good = arena_printf(a, "%s/good.zsb", dir), *bad = arena_printf(a, "%s/bad.zsb", dir);
  measure_expect(!measure_has_marker(p.image.code, p.image.code_size), "shipped code has no uncaged marker");
  measure_expect(zsb_write(good, &in, d) == 0, "the caged site is written");

  struct strbuf uncaged;
  strbuf_init(&uncaged, a);
  struct lift_measure m = {.no_cage = true, .no_poll = true};
  struct native_image img;
  if (lift_program_measure(a, &p.prog, &m, &uncaged, d) < 0 ||
      native_compile(a, strbuf_cstr(&uncaged), ZS_ARCH_X86_64, NATIVE_CC_CLANG, NULL, &img, d) < 0)
    return measure_expect(0, "the uncaged variant compiles");
  measure_expect(measure_has_marker(img.code, img.code_size), "uncaged code carries the marker");
  struct zsb_input uin = in;
  uin.image = &img;
  fprintf(stderr, "(the refusal below is expected)\n");
  measure_expect(zsb_write(bad, &uin, d) < 0 && access(bad, F_OK) != 0, "the writer refuses uncaged code");

  struct blob b;
  char err[256] = "";
  measure_expect(blob_open(good, &b, err, sizeof err) == 0, "zsrt's loader takes the caged blob");
  blob_close(&b);
  if (measure_plant_marker(a, good, bad) < 0)
    return measure_expect(0, "a blob with the marker is made");
  measure_expect(blob_open(bad, &b, err, sizeof err) < 0 && strstr(err, "without the cage"),
                 "zsrt's loader refuses a blob holding the marker");
  printf("  loader: %s\n", err);
}

/* every variant and compiler agrees with the shipped code in a runtime cage */
static void measure_results(struct arena *a, const char *source_path, struct diag *d)
{
  char *source;
  size_t len;
  struct measure_set s;
  if (file_read_all(a, source_path, &source, &len) < 0 || measure_build(a, source, len, &s, d) < 0)
    return measure_expect(0, "the benchmark programs build in every variant");
  struct measure_window w;
  int rc = measure_window_create(&w, s.prog.rodata, s.prog.rodata_size);
  if (rc == -EEXIST) {
    printf("skip: something already lives at the identity window's addresses\n");
    measure_skipped = 1;
    measure_release(&s);
    return;
  }
  struct cage c;
  if (rc < 0 || trap_install() < 0 ||
      cage_create(&c, s.prog.rodata, s.prog.rodata_size, NULL, 0, NULL) < 0)
    return measure_expect(0, "the identity window and a cage are mapped");
  measure_fill_request(c.req_host, MEASURE_REQ_BYTES);
  for (int e = 0; e < MEASURE_ENTRIES; e++) {
    uint64_t want = 0;
    int ok = measure_cage_call(&c, s.code[MEASURE_CLANG][MEASURE_CAGED].entry[e], &want) == 0;
    if (e == MEASURE_SHA256)
      ok = ok && want == MEASURE_SHA256_R0;
    for (int cc = 0; cc < MEASURE_CCS; cc++) {
      uint64_t r0 = 0;
      ok = ok && measure_cage_call(&c, s.code[cc][MEASURE_CAGED].entry[e], &r0) == 0 && r0 == want;
      for (int v = 0; v < MEASURE_VARIANTS; v++)
        ok = ok && measure_window_call(s.code[cc][v].entry[e]) == want;
    }
    char *what = arena_printf(a, "%s: every variant, clang and tcc, returns %#llx", measure_entry_names[e],
                              (unsigned long long)want);
    measure_expect(ok, what);
  }
  cage_destroy(&c);
  measure_window_destroy(&w);
  measure_release(&s);
}

int main(int argc, char **argv)
{
  if (argc != 2)
    return fprintf(stderr, "usage: lifter-measure programs.bpf.c\n"), 2;
  struct arena a = {0};
  struct diag d;
  diag_init(&d, stderr);
  char *dir = tmpdir_create(&a, "measure", &d);
  if (!dir)
    return 1;
  measure_blobs(&a, dir, &d);
  measure_results(&a, argv[1], &d);
  tmpdir_remove(dir);
  printf("%d passed, %d failed, %d skipped\n", measure_passed, measure_failed, measure_skipped);
  return measure_failed ? 1 : measure_skipped ? 77 : 0;
}
