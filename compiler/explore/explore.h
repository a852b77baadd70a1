/* `zsc explore`: one self-contained HTML page with the Caddyfile and every
 * stage's output side by side, each line linked to the lines it comes from
 * and to the lines that come from it (like a compiler explorer, offline). */
#ifndef ZSC_EXPLORE_H
#define ZSC_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "bpf/program.h"
#include "native/native.h"
#include "pipeline.h"

/* Where one shown line comes from, one field per linked stage (0, or -1 for
 * pc, when unknown). Two columns are linked through the field of the coarser
 * of their two stages: Caddyfile <-> anything by src, eBPF <-> caged C by pc,
 * caged C <-> asm by caged_line, and so on. */
struct explore_link {
  int32_t src;                 /* Caddyfile line */
  int32_t c_line;              /* eBPF C line (the first one with that #line location) */
  int32_t pc;                  /* eBPF instruction */
  int32_t caged_line;          /* caged C line */
};

/* which field of struct explore_link a column owns */
enum explore_level {
  EXPLORE_LEVEL_NONE = -1,     /* not linked (AST, IR, JSON) */
  EXPLORE_LEVEL_SRC, EXPLORE_LEVEL_C, EXPLORE_LEVEL_BPF, EXPLORE_LEVEL_CAGED, EXPLORE_LEVEL_ASM,
};

struct explore_column {
  const char *id;              /* [a-z-]: element ids and the column toggle */
  const char *title;
  enum explore_level level;
  bool hidden;                 /* off until toggled on */
  const char *const *lines;    /* the stage's text, split at newlines */
  size_t line_count;
  const struct explore_link *links;   /* line_count entries, or NULL */
  const char *note;            /* shown when the stage produced nothing, or NULL */
};

struct explore_page {
  const char *title;           /* the input's name */
  const char *subtitle;        /* target and compiler */
  const char *diagnostics;     /* what the stages reported, or NULL */
  const struct explore_column *cols;
  size_t col_count;
};

/* The linking context: what the stages recorded about where code comes from. */
struct explore_linker {
  struct arena *arena;
  const char *src_file;        /* the input path, as zsc was given it */
  const struct bpf_program *prog;     /* NULL before the bpf stage ran */
  const struct native_image *image;   /* NULL before the native stage ran */
  struct explore_cmap *cmap;   /* eBPF C #line locations (links.c) */
  const long *pc_of_caged;     /* caged C line -> pc (srcmap_caged_lines) */
  size_t caged_count;
};

/* what one run produced, for the page */
struct explore_stages {
  const char *path;            /* the input as given */
  const char *source;          /* its text, or NULL when unreadable */
  const char *ast;             /* the --emit=ast text, or NULL */
  const struct pipeline *run;  /* filled as far as the stages got */
  const char *asm_title;       /* "x86_64 asm (clang)", ... */
  const char *subtitle;
  const char *diagnostics;     /* what the stages reported, or NULL */
};

/* `zsc explore CADDYFILE [-o FILE | --stdout] [--cc=..] [--target=..]`: exit code */
int explore_main(int argc, char **argv);

/* page.c: the columns of one run (a page holds pointers into the arena) */
void explore_page_build(struct arena *a, const struct explore_stages *st, struct explore_page *page);

/* page.c: a text split at newlines (a final newline makes no empty line) */
const char **explore_split_lines(struct arena *a, const char *text, size_t *count);

/* links.c: the origin of every line of each stage's text */
void explore_linker_init(struct explore_linker *lk, struct arena *a, const char *src_file,
                         const char *const *c_lines, size_t c_count);
void explore_linker_set_code(struct explore_linker *lk, const struct bpf_program *prog, const char *caged_c,
                             const struct native_image *image);
struct explore_link *explore_link_source(struct explore_linker *lk, size_t count);
struct explore_link *explore_link_c(struct explore_linker *lk, size_t count);
struct explore_link *explore_link_bpf(struct explore_linker *lk, const char *const *lines, size_t count);
struct explore_link *explore_link_caged(struct explore_linker *lk, size_t count);
struct explore_link *explore_link_asm(struct explore_linker *lk, const char *const *lines, size_t count);

/* html.c: the page, CSS and script inline, every text HTML-escaped */
void explore_html_write(const struct explore_page *page, struct strbuf *out);
void explore_html_escape(struct strbuf *out, const char *text, size_t len);

#endif
