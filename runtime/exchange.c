/* The exchange's own copy of what the program decided: header ops outlive
 * the per-worker decision, which the next request's program run overwrites
 * while an upstream is still answering this one. */
#include "exchange.h"

#include <errno.h>
#include <string.h>

int exchange_keep_ops(struct exchange *ex, const struct exec_decision *dec)
{
  ex->op_count = 0;
  ex->op_used = 0;
  for (size_t i = 0; i < dec->op_count; i++) {
    const struct exec_header_op *op = &dec->ops[i];
    if (op->name_len + op->value_len > EXCHANGE_OPS_CAP - ex->op_used)
      return -ENOSPC;
    struct exchange_op *k = &ex->ops[ex->op_count++];
    k->op = op->op;
    k->name_off = (uint32_t)ex->op_used;
    k->name_len = (uint32_t)op->name_len;
    memcpy(ex->op_bytes + ex->op_used, op->name, op->name_len);
    ex->op_used += op->name_len;
    k->value_off = (uint32_t)ex->op_used;
    k->value_len = (uint32_t)op->value_len;
    memcpy(ex->op_bytes + ex->op_used, op->value, op->value_len);
    ex->op_used += op->value_len;
  }
  return 0;
}

void exchange_ops_to_decision(const struct exchange *ex, struct exec_decision *dec)
{
  dec->op_count = ex->op_count;
  for (size_t i = 0; i < ex->op_count; i++) {
    const struct exchange_op *k = &ex->ops[i];
    dec->ops[i] = (struct exec_header_op){k->op, ex->op_bytes + k->name_off, k->name_len,
                                          ex->op_bytes + k->value_off, k->value_len};
  }
}
