/* Token cursor used by the parser and every adapt function, with the exact
 * semantics of Caddy's caddyfile.Dispenser (Next, NextArg, NextBlock, ...),
 * and the error value the front end passes up instead of printing. */
#ifndef ZSC_FRONTEND_DISPENSER_H
#define ZSC_FRONTEND_DISPENSER_H

#include <stdbool.h>

#include "lexer.h"

/* The first error of an adaptation; callers wrap it on the way up. */
struct frontend_error {
  struct arena *arena;
  char *msg;                   /* NULL while no error */
  struct srcpos pos;
};

struct dispenser {
  struct arena *arena;
  struct frontend_error *err;
  struct token *tokens;
  long count, cursor;
  int nesting;
  void *context;               /* matcher name while unmarshalling a matcher (Caddy's context) */
};

int fe_fail(struct frontend_error *e, struct srcpos pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int fe_wrap(struct frontend_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void disp_init(struct dispenser *d, struct arena *a, struct frontend_error *e, struct token *tokens, long count);
bool disp_next(struct dispenser *d);
bool disp_prev(struct dispenser *d);
bool disp_next_arg(struct dispenser *d);
bool disp_next_line(struct dispenser *d);
bool disp_next_block(struct dispenser *d, int initial_nesting);
const char *disp_val(const struct dispenser *d);          /* "" outside the tokens */
struct token *disp_token(const struct dispenser *d);      /* NULL outside the tokens */
bool disp_val_is(const struct dispenser *d, const char *text);  /* unquoted, equal */
bool disp_is_new_line(const struct dispenser *d);
bool disp_is_next_on_new_line(const struct dispenser *d);
bool disp_args(struct dispenser *d, int n, const char **out);
bool disp_all_args(struct dispenser *d, int n, const char **out);
int disp_count_remaining_args(struct dispenser *d);
const char **disp_remaining_args(struct dispenser *d, int *n);
const char **disp_remaining_args_raw(struct dispenser *d, int *n);  /* quotes kept */
struct dispenser disp_next_segment(struct dispenser *d);   /* NewFromNextSegment */
void disp_reset(struct dispenser *d);
void disp_delete_n(struct dispenser *d, long n);          /* DeleteN: n tokens ending at the cursor */
struct srcpos disp_pos(const struct dispenser *d);

/* Errors: ", at FILE:LINE[ import chain ['...']]" is appended as Caddy does. */
int disp_errf(struct dispenser *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int disp_arg_err(struct dispenser *d);
/* Errf("PREFIX%v", err): prefix the pending error and append this cursor's location. */
int disp_wrap(struct dispenser *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int disp_syntax_err(struct dispenser *d, const char *expected);

#endif
