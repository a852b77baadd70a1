/* Caret diagnostics. The source line is read back from the file when a
 * message is printed, so no stage has to keep its text around for this. */
#include "diag.h"

#include <stdarg.h>
#include <string.h>

void diag_init(struct diag *d, FILE *out)
{
  memset(d, 0, sizeof *d);
  d->out = out;
}

static void diag_print_caret(struct diag *d, struct srcpos pos)
{
  if (d->no_caret || !pos.file || pos.line <= 0)
    return;
  FILE *f = fopen(pos.file, "r");
  if (!f)
    return;
  char line[4096];
  int n = 0;
  while (fgets(line, sizeof line, f))
    if (++n == pos.line)
      break;
  fclose(f);
  if (n != pos.line)
    return;
  line[strcspn(line, "\r\n")] = 0;
  fprintf(d->out, "%s\n", line);
  int col = pos.col > 0 ? pos.col : 1;
  for (int i = 1; i < col && line[i - 1]; i++)
    fputc(line[i - 1] == '\t' ? '\t' : ' ', d->out);
  fputs("^\n", d->out);
}

static void diag_vreport(struct diag *d, struct srcpos pos, const char *kind, const char *fmt, va_list ap)
{
  if (pos.file && pos.line > 0)
    fprintf(d->out, "%s:%d:%d: %s: ", pos.file, pos.line, pos.col > 0 ? pos.col : 1, kind);
  else if (pos.file)
    fprintf(d->out, "%s: %s: ", pos.file, kind);
  else
    fprintf(d->out, "zsc: %s: ", kind);
  vfprintf(d->out, fmt, ap);
  fputc('\n', d->out);
  diag_print_caret(d, pos);
}

void diag_error(struct diag *d, struct srcpos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(d, pos, "error", fmt, ap);
  va_end(ap);
  d->errors++;
}

void diag_warning(struct diag *d, struct srcpos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(d, pos, "warning", fmt, ap);
  va_end(ap);
  d->warnings++;
}
