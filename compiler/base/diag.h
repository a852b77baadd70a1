/* Diagnostics: `file:line:col: error: message`, then the source line and a caret.
 * Every stage reports through a struct diag; nothing prints errors directly. */
#ifndef ZSC_DIAG_H
#define ZSC_DIAG_H

#include <stdio.h>

/* A position in a source file; line and col are 1-based, 0 when unknown. */
struct srcpos {
  const char *file;
  int line, col;
};

struct diag {
  FILE *out;                   /* where messages go (stderr) */
  int errors;
  int warnings;
  int no_caret;                /* 1: print only the first line (zsc adapt, tests) */
};

void diag_init(struct diag *d, FILE *out);
void diag_error(struct diag *d, struct srcpos pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(struct diag *d, struct srcpos pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
