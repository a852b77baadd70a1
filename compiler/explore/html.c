/* The explorer page as one HTML file: header with the column toggles, one
 * column per stage (every line a row, HTML-escaped), the line links as JSON
 * and the page's CSS and script inline. No external URL of any kind. */
#include <string.h>

#include "explore/explore.h"

/* page.css and page.js, embedded at build time (tools/embed.py) */
extern const unsigned char zs_explore_css[];
extern const size_t zs_explore_css_len;
extern const unsigned char zs_explore_js[];
extern const size_t zs_explore_js_len;

#define HTML_COLOURS 8             /* distinct shades for Caddyfile lines (page.css k0..k7) */

void explore_html_escape(struct strbuf *out, const char *text, size_t len)
{
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    const char *rep = NULL;
    switch (text[i]) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '"': rep = "&quot;"; break;
    case '\'': rep = "&#39;"; break;
    case '\0': rep = "\xef\xbf\xbd"; break;   /* U+FFFD: a NUL has no place in HTML */
    default: continue;
    }
    strbuf_put(out, text + run, i - run);
    strbuf_puts(out, rep);
    run = i + 1;
  }
  strbuf_put(out, text + run, len - run);
}

static void html_text(struct strbuf *out, const char *text)
{
  explore_html_escape(out, text, strlen(text));
}

static void html_head(const struct explore_page *page, struct strbuf *out)
{
  strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>zsc explore: ");
  html_text(out, page->title);
  strbuf_puts(out, "</title>\n<style>\n");
  strbuf_put(out, zs_explore_css, zs_explore_css_len);
  strbuf_puts(out, "</style>\n</head>\n");
}

/* the title, the column toggles and the status line the script fills */
static void html_header(const struct explore_page *page, struct strbuf *out)
{
  strbuf_puts(out, "<body class=\"colours\">\n<header>\n<h1>zsc explore <span class=\"file\">");
  html_text(out, page->title);
  strbuf_puts(out, "</span></h1>\n<span class=\"sub\">");
  html_text(out, page->subtitle ? page->subtitle : "");
  strbuf_puts(out, "</span>\n<nav>\n");
  for (size_t i = 0; i < page->col_count; i++) {
    const struct explore_column *col = &page->cols[i];
    strbuf_printf(out, "<label><input type=\"checkbox\" data-col=\"%s\"%s> ", col->id, col->hidden ? "" : " checked");
    html_text(out, col->title);
    strbuf_puts(out, "</label>\n");
  }
  strbuf_puts(out, "<label><input type=\"checkbox\" id=\"zs-colours\" checked> colours</label>\n</nav>\n"
                   "<div id=\"zs-status\">hover a line to see where it comes from; click to pin it</div>\n</header>\n");
}

static void html_diagnostics(const struct explore_page *page, struct strbuf *out)
{
  if (!page->diagnostics || !*page->diagnostics)
    return;
  strbuf_puts(out, "<details class=\"diag\" open><summary>diagnostics</summary><pre>");
  html_text(out, page->diagnostics);
  strbuf_puts(out, "</pre></details>\n");
}

/* which Caddyfile lines some later stage has code from: only those are
 * shaded, so a line that produced nothing stands out */
static bool *html_used_lines(const struct explore_page *page, struct arena *a, size_t *count)
{
  *count = 0;
  for (size_t i = 0; i < page->col_count; i++)
    if (page->cols[i].level == EXPLORE_LEVEL_SRC)
      *count = page->cols[i].line_count;
  bool *used = arena_alloc(a, *count + 1);
  for (size_t i = 0; i < page->col_count; i++) {
    const struct explore_column *col = &page->cols[i];
    for (size_t j = 0; col->links && col->level > EXPLORE_LEVEL_SRC && j < col->line_count; j++)
      if (col->links[j].src > 0 && (size_t)col->links[j].src <= *count)
        used[col->links[j].src - 1] = true;
  }
  return used;
}

static void html_line(const struct explore_column *col, size_t i, const bool *used, struct strbuf *out)
{
  const struct explore_link *l = col->links ? &col->links[i] : NULL;
  if (l && l->src > 0 && (col->level != EXPLORE_LEVEL_SRC || used[i]))
    strbuf_printf(out, "<div class=\"l k%d\"><i>%zu</i>", (int)(l->src % HTML_COLOURS), i + 1);
  else
    strbuf_printf(out, "<div class=\"l\"><i>%zu</i>", i + 1);
  html_text(out, col->lines[i]);
  strbuf_puts(out, "</div>\n");
}

static void html_column(const struct explore_column *col, const bool *used, struct strbuf *out)
{
  strbuf_printf(out, "<section class=\"col\" id=\"col-%s\" data-level=\"%d\"%s>\n<h2>", col->id, (int)col->level,
                col->hidden ? " hidden" : "");
  html_text(out, col->title);
  strbuf_printf(out, " <small>%zu lines</small></h2>\n<div class=\"code\">\n", col->line_count);
  if (col->note) {
    strbuf_puts(out, "<p class=\"note\">");
    html_text(out, col->note);
    strbuf_puts(out, "</p>\n");
  }
  for (size_t i = 0; i < col->line_count; i++)
    html_line(col, i, used, out);
  strbuf_puts(out, "</div>\n</section>\n");
}

/* {"cols":[{"id":..,"level":..,"links":[src,c_line,pc,caged_line, ...]}]}:
 * numbers and [a-z-] ids only, so it cannot end the script element early */
static void html_links(const struct explore_page *page, struct strbuf *out)
{
  strbuf_puts(out, "<script type=\"application/json\" id=\"zs-links\">{\"cols\":[");
  const char *sep = "";
  for (size_t i = 0; i < page->col_count; i++) {
    const struct explore_column *col = &page->cols[i];
    if (!col->links || col->level == EXPLORE_LEVEL_NONE)
      continue;
    strbuf_printf(out, "%s\n{\"id\":\"%s\",\"level\":%d,\"links\":[", sep, col->id, (int)col->level);
    for (size_t j = 0; j < col->line_count; j++) {
      const struct explore_link *l = &col->links[j];
      strbuf_printf(out, "%s%d,%d,%d,%d", j ? "," : "", l->src, l->c_line, l->pc, l->caged_line);
    }
    strbuf_puts(out, "]}");
    sep = ",";
  }
  strbuf_puts(out, "\n]}</script>\n");
}

void explore_html_write(const struct explore_page *page, struct strbuf *out)
{
  html_head(page, out);
  html_header(page, out);
  html_diagnostics(page, out);
  size_t used_count;
  const bool *used = html_used_lines(page, out->arena, &used_count);
  strbuf_puts(out, "<main>\n");
  for (size_t i = 0; i < page->col_count; i++)
    html_column(&page->cols[i], used, out);
  strbuf_puts(out, "</main>\n");
  html_links(page, out);
  strbuf_puts(out, "<script>\n");
  strbuf_put(out, zs_explore_js, zs_explore_js_len);
  strbuf_puts(out, "</script>\n</body>\n</html>\n");
}
