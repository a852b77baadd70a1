/* Internal to the blob writer: the pieces writer.c assembles. */
#ifndef ZSC_ZSB_PARTS_H
#define ZSC_ZSB_PARTS_H

#include "zsb.h"

/* the ZS_SEC_CONFIG bytes for a site config (NULL: an empty config) */
int zsb_build_config(struct arena *a, const struct site_config *cfg, uint8_t **out, size_t *size,
                     struct diag *d);

#endif
