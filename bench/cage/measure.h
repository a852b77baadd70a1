/* The cage benchmark's shared half (bench/cage and its test): the CPU-bound
 * programs of programs.bpf.c lifted in four variants (caged as shipped, no
 * poll budget, no cage, neither), compiled by clang and libtcc, and run
 * either in a runtime cage or in a window mapped at host address 0. */
#ifndef ZS_BENCH_CAGE_MEASURE_H
#define ZS_BENCH_CAGE_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "bpf/program.h"
#include "native/native.h"
#include "runtime/cage.h"

enum measure_variant { MEASURE_CAGED, MEASURE_NO_POLL, MEASURE_NO_CAGE, MEASURE_NEITHER, MEASURE_VARIANTS };
enum measure_cc { MEASURE_CLANG, MEASURE_TCC, MEASURE_CCS };
enum measure_entry { MEASURE_SHA256, MEASURE_HEADERS, MEASURE_ENTRIES };

#define MEASURE_REQ_BYTES 4096       /* request view bytes the programs read */
#define MEASURE_SHA256_R0 0x7486da8f1e13943full  /* SHA-256 of those bytes, first 8 */

extern const char *const measure_variant_names[MEASURE_VARIANTS];
extern const char *const measure_cc_names[MEASURE_CCS];
extern const char *const measure_entry_names[MEASURE_ENTRIES];

/* one compiled variant, copied to executable pages */
struct measure_code {
  struct native_image image;
  uint8_t *exec;
  size_t exec_map;
  zs_entry_fn entry[MEASURE_ENTRIES];
};

struct measure_set {
  struct bpf_program prog;
  struct measure_code code[MEASURE_CCS][MEASURE_VARIANTS];
};

/* Compiles the programs source (through the bpf stage), lifts and compiles
 * every variant with both compilers. 0, or -1 after reporting to d. */
int measure_build(struct arena *a, const char *source, size_t len, struct measure_set *s, struct diag *d);
void measure_release(struct measure_set *s);

/* The request bytes the programs see: (i * 7 + 3) & 0xff. */
void measure_fill_request(uint8_t *req, size_t len);

/* A window whose guest offsets are host addresses (the regions of abi/cage.h
 * mapped at those addresses), the only place uncaged code can run. 0, -EEXIST
 * when something already lives there, or -errno. */
struct measure_window {
  int mapped;
};
int measure_window_create(struct measure_window *w, const uint8_t *rodata, size_t rodata_size);
void measure_window_destroy(struct measure_window *w);

/* One call of an entry in the window (ctx: cage base 0, full budget); a trap
 * there is a bug in the benchmark and ends the process. */
uint64_t measure_window_call(zs_entry_fn fn);

/* One call of an entry in a runtime cage, as zsrt makes it (cage_call). */
unsigned measure_cage_call(struct cage *c, zs_entry_fn fn, uint64_t *r0);

#endif
