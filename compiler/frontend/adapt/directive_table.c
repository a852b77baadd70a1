/* The directive table: the rows of directives.def, which httptype_setup
 * installs in each adaptation. The one file that names every directive's
 * function, so that the dispatch (directives.c) below the adapters never
 * calls up into them. */
#include "adapt.h"

const struct directive directive_table[] = {
#define DIRECTIVE(n, fn) {#n, fn, NULL},
#define HANDLER(n, fn) {#n, NULL, fn},
#include "directives.def"
#undef DIRECTIVE
#undef HANDLER
};

const size_t directive_table_count = sizeof directive_table / sizeof directive_table[0];
