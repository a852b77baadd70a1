/* Private temporary folders for the external tools zsc drives (clang): made
 * under $TMPDIR, removed with their files when the tool is done. */
#ifndef ZSC_TMPDIR_H
#define ZSC_TMPDIR_H

#include "arena.h"
#include "diag.h"

/* "<$TMPDIR or /tmp>/zsc-<what>-XXXXXX", created; NULL after reporting */
char *tmpdir_create(struct arena *a, const char *what, struct diag *d);
/* removes the files of a flat folder, then the folder */
void tmpdir_remove(const char *dir);

#endif
