/* `caddy fmt --diff`: the lines of the input and the formatted text, marked
 * as Caddy's diff library marks them (a longest common subsequence over the
 * lines between the common head and tail, with its order of ties), so the
 * listing is the one caddy prints. Not a patch format. */
#include "fmt.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Beyond this many table cells the middle is listed as removed then added
 * instead of aligned (Caddy would need gigabytes for it). */
#define FMT_DIFF_MAX_CELLS ((size_t)1 << 24)

struct fmt_line {
  const char *text;
  size_t len;
};

struct fmt_lines {
  struct fmt_line *items;
  size_t count, cap;
};

/* strings.Split(text, "\n"): n line breaks give n + 1 lines */
static void fmt_lines_split(struct arena *a, const char *text, size_t len, struct fmt_lines *out)
{
  size_t from = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && text[i] != '\n')
      continue;
    struct fmt_line *l = ARENA_PUSH(a, out->items, out->count, out->cap);
    *l = (struct fmt_line){text + from, i - from};
    from = i + 1;
  }
}

static bool fmt_line_eq(const struct fmt_line *x, const struct fmt_line *y)
{
  return x->len == y->len && memcmp(x->text, y->text, x->len) == 0;
}

static void fmt_diff_put(struct strbuf *out, const char *mark, const struct fmt_line *l)
{
  strbuf_puts(out, mark);
  strbuf_put(out, l->text, l->len);
  strbuf_putc(out, '\n');
}

/* lcs[i][j]: the longest common subsequence of the last i lines of x and the
 * last j of y; walked from the front, a removal wins every tie, then an
 * addition, then a common line. */
static void fmt_diff_middle(struct arena *a, const struct fmt_line *x, size_t nx, const struct fmt_line *y,
                            size_t ny, struct strbuf *out)
{
  size_t w = ny + 1;
  if ((nx + 1) > FMT_DIFF_MAX_CELLS / w) {
    for (size_t i = 0; i < nx; i++)
      fmt_diff_put(out, "- ", &x[i]);
    for (size_t j = 0; j < ny; j++)
      fmt_diff_put(out, "+ ", &y[j]);
    return;
  }
  uint32_t *lcs = arena_alloc(a, (nx + 1) * w * sizeof *lcs);
  for (size_t i = 1; i <= nx; i++)
    for (size_t j = 1; j <= ny; j++) {
      uint32_t up = lcs[(i - 1) * w + j], left = lcs[i * w + j - 1];
      lcs[i * w + j] = fmt_line_eq(&x[nx - i], &y[ny - j]) ? lcs[(i - 1) * w + j - 1] + 1 : up > left ? up : left;
    }
  size_t i = nx, j = ny;
  while (i > 0 || j > 0) {
    if (i > 0 && lcs[i * w + j] == lcs[(i - 1) * w + j])
      fmt_diff_put(out, "- ", &x[nx - i]), i--;
    else if (j > 0 && lcs[i * w + j] == lcs[i * w + j - 1])
      fmt_diff_put(out, "+ ", &y[ny - j]), j--;
    else
      fmt_diff_put(out, "  ", &x[nx - i]), i--, j--;
  }
}

void fmt_diff(struct arena *a, const char *old, size_t old_len, const char *new, size_t new_len,
              struct strbuf *out)
{
  struct fmt_lines x = {0}, y = {0};
  fmt_lines_split(a, old, old_len, &x);
  fmt_lines_split(a, new, new_len, &y);
  size_t head = 0, tail = 0;
  while (head < x.count && head < y.count && fmt_line_eq(&x.items[head], &y.items[head]))
    head++;
  /* the tail stops one line short of the head, as in Caddy's library */
  while (x.count - 1 - tail > head && y.count - 1 - tail > head &&
         fmt_line_eq(&x.items[x.count - 1 - tail], &y.items[y.count - 1 - tail]))
    tail++;
  for (size_t i = 0; i < head; i++)
    fmt_diff_put(out, "  ", &x.items[i]);
  fmt_diff_middle(a, x.items + head, x.count - tail - head, y.items + head, y.count - tail - head, out);
  for (size_t i = x.count - tail; i < x.count; i++)
    fmt_diff_put(out, "  ", &x.items[i]);
}
