/* zsc fmt: the Caddyfile formatter, with the output of `caddy fmt` byte for
 * byte, and the verb around it. It reads raw bytes, as Caddy's formatter does,
 * and knows nothing of the lexer or the parser. */
#ifndef ZSC_FMT_H
#define ZSC_FMT_H

#include <stddef.h>

#include "base/arena.h"
#include "base/strbuf.h"

/* The formatted text of text[0..len) into out (appended), as Caddy's
 * caddyfile.Format returns it: always ending in one newline. */
void fmt_format(struct arena *a, const char *text, size_t len, struct strbuf *out);

/* `caddy fmt --diff` of the two texts: every line of each, by '\n' (so a
 * final newline gives a last empty line), prefixed "  ", "- " or "+ ". */
void fmt_diff(struct arena *a, const char *old, size_t old_len, const char *new, size_t new_len,
              struct strbuf *out);

/* `zsc fmt [--overwrite|-w] [--diff|-d] [FILE|-]`: argv[0] is "fmt". Returns the
 * exit status: 0, 1 when FILE is not formatted (after printing the result, as
 * caddy fmt does) or cannot be read or written, 2 for a bad command line. */
int fmt_main(int argc, char **argv);

#endif
