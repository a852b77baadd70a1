/* The explorer's columns from one (possibly partial) pipeline run: each
 * stage's text as zsc --emit prints it, split into lines and linked. A stage
 * that did not run gets a note instead of text. */
#include <string.h>

#include "bpf/bpf.h"
#include "explore_parts.h"
#include "frontend/frontend.h"

const char **explore_split_lines(struct arena *a, const char *text, size_t *count)
{
  size_t n = 0;
  for (const char *p = text; *p; n++) {
    const char *nl = strchr(p, '\n');
    p = nl ? nl + 1 : p + strlen(p);
  }
  const char **lines = arena_alloc(a, (n + 1) * sizeof *lines);
  const char *p = text;
  for (size_t i = 0; i < n; i++) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    lines[i] = arena_strndup(a, p, len && p[len - 1] == '\r' ? len - 1 : len);
    p += nl ? len + 1 : len;
  }
  *count = n;
  return lines;
}

static struct explore_column *page_column(struct arena *a, struct explore_page *page, size_t *cap,
                                          const char *id, const char *title, enum explore_level level)
{
  struct explore_column *cols = (struct explore_column *)page->cols;
  struct explore_column *col = ARENA_PUSH(a, cols, page->col_count, *cap);
  page->cols = cols;
  col->id = id;
  col->title = title;
  col->level = level;
  col->hidden = level == EXPLORE_LEVEL_NONE;
  return col;
}

/* fills col with text, or with a note when the stage did not run */
static void page_text(struct arena *a, struct explore_column *col, const char *text)
{
  if (!text) {
    col->note = "(this stage did not run: see the diagnostics)";
    col->lines = NULL;
    return;
  }
  size_t n;
  col->lines = explore_split_lines(a, text, &n);
  col->line_count = n;
}

static const char *page_ir_text(struct arena *a, const struct explore_stages *st, bool as_json)
{
  if (st->run->done < EMIT_JSON)
    return NULL;
  struct strbuf sb;
  strbuf_init(&sb, a);
  if (as_json) {
    json_write(&sb, st->run->ir, true);
    strbuf_putc(&sb, '\n');
  } else {
    frontend_emit_ir(st->run->ir, &sb);
  }
  return strbuf_cstr(&sb);
}

static const char *page_lowered_text(struct arena *a, const struct pipeline *run)
{
  if (run->done < EMIT_LOWERED)
    return NULL;
  struct strbuf sb;
  strbuf_init(&sb, a);
  lower_dump(&run->lowered, &sb);
  return strbuf_cstr(&sb);
}

static const char *page_bpf_text(struct arena *a, const struct pipeline *run)
{
  if (run->done < EMIT_BPF)
    return NULL;
  struct strbuf sb;
  strbuf_init(&sb, a);
  bpf_disasm(&run->prog, &sb);
  return strbuf_cstr(&sb);
}

static const char *page_asm_text(struct arena *a, const struct pipeline *run, const char *caged, const char **note)
{
  if (run->done < EMIT_ASM)
    return NULL;
  struct strbuf sb;
  strbuf_init(&sb, a);
  if (native_disasm(a, &run->image, &run->prog, caged ? caged : "", &sb) < 0)
    *note = "(no disassembler for this target in this build)";
  else if (!run->image.line_count)
    *note = "(this compiler recorded no line table: the asm is not linked to the caged C)";
  return strbuf_cstr(&sb);
}

/* the stages after the front end, each linked through the ones before it */
static void page_code_columns(struct arena *a, const struct explore_stages *st, struct explore_page *page,
                              size_t *cap, struct explore_linker *lk)
{
  const struct pipeline *run = st->run;
  const char *caged = run->done >= EMIT_CAGED_C && run->caged.len ? run->caged.data : NULL;
  explore_linker_set_code(lk, run->done >= EMIT_BPF ? &run->prog : NULL, caged,
                          run->done >= EMIT_ASM ? &run->image : NULL);
  struct explore_column *col = page_column(a, page, cap, "bpf", "eBPF", EXPLORE_LEVEL_BPF);
  page_text(a, col, page_bpf_text(a, run));
  col->links = explore_link_bpf(lk, col->lines, col->line_count);
  col = page_column(a, page, cap, "caged", "caged C", EXPLORE_LEVEL_CAGED);
  page_text(a, col, caged);
  col->links = explore_link_caged(lk, col->line_count);
  col = page_column(a, page, cap, "asm", st->asm_title, EXPLORE_LEVEL_ASM);
  const char *note = NULL;
  page_text(a, col, page_asm_text(a, run, caged, &note));
  col->note = note ? note : col->note;
  col->links = explore_link_asm(lk, col->lines, col->line_count);
}

void explore_page_build(struct arena *a, const struct explore_stages *st, struct explore_page *page)
{
  memset(page, 0, sizeof *page);
  page->title = st->path;
  page->subtitle = st->subtitle;
  page->diagnostics = st->diagnostics;
  size_t cap = 0;
  const char *c_source = st->run->done >= EMIT_C ? st->run->cg.c_source : NULL;
  size_t c_count = 0;
  const char **c_lines = c_source ? explore_split_lines(a, c_source, &c_count) : NULL;
  struct explore_linker lk;
  explore_linker_init(&lk, a, st->path, c_lines, c_count);
  const char *base = strrchr(st->path, '/');
  struct explore_column *col = page_column(a, page, &cap, "caddyfile", base ? base + 1 : st->path, EXPLORE_LEVEL_SRC);
  page_text(a, col, st->source);
  col->links = explore_link_source(&lk, col->line_count);
  /* the lowered records sit between the IR and the C they become (off until toggled) */
  page_text(a, page_column(a, page, &cap, "lowered", "lowered", EXPLORE_LEVEL_NONE), page_lowered_text(a, st->run));
  col = page_column(a, page, &cap, "c", "eBPF C", EXPLORE_LEVEL_C);
  page_text(a, col, c_source);
  col->links = explore_link_c(&lk, col->line_count);
  page_code_columns(a, st, page, &cap, &lk);
  page_text(a, page_column(a, page, &cap, "ast", "AST", EXPLORE_LEVEL_NONE), st->ast);
  page_text(a, page_column(a, page, &cap, "ir", "IR", EXPLORE_LEVEL_NONE), page_ir_text(a, st, false));
  page_text(a, page_column(a, page, &cap, "json", "Caddy JSON", EXPLORE_LEVEL_NONE), page_ir_text(a, st, true));
}
