/* Running an aarch64 image through the static runner under qemu-aarch64. */
#ifndef ZS_TEST_LIFTER_REMOTE_H
#define ZS_TEST_LIFTER_REMOTE_H

#include "base/arena.h"
#include "compiler/bpf/program.h"
#include "native/native.h"
#include "run.h"

/* fills got[0..count) from the runner's report; 0, or -1 after saying why */
int remote_run(struct arena *a, const char *qemu, const char *runner, const struct native_image *img,
               const struct bpf_program *prog, const uint64_t *offsets, size_t count, struct run_result *got);

#endif
