/* table_find: the one lookup behind every {name, ...} table of the
 * adapters (subdirectives, options). Linear: the tables are short. */
#include <string.h>

#include "frontend/common/table.h"

const void *table_find(const void *rows, size_t count, size_t size, const char *name)
{
  const char *row = rows;
  for (size_t i = 0; i < count; i++, row += size) {
    const char *row_name;
    memcpy(&row_name, row, sizeof row_name);   /* the row's first member */
    if (strcmp(row_name, name) == 0)
      return row;
  }
  return NULL;
}
