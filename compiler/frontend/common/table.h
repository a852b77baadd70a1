/* Name tables: static const arrays of rows whose first member is the
 * name (`struct { const char *name; ... }`), e.g. a directive's
 * subdirectives and the function that parses each. One lookup serves them
 * all, so parsing a block reads as a table, not a strcmp chain. */
#ifndef ZSC_FRONTEND_COMMON_TABLE_H
#define ZSC_FRONTEND_COMMON_TABLE_H

#include <stddef.h>

/* The first of count rows of size bytes whose name is name, or NULL. */
const void *table_find(const void *rows, size_t count, size_t size, const char *name);

/* table_find over a whole array: `const struct x_option *o = TABLE_FIND(x_options, name);` */
#define TABLE_FIND(rows, name) table_find((rows), sizeof(rows) / sizeof((rows)[0]), sizeof((rows)[0]), (name))

#endif
