/* stdlib-bpf as one translation unit: the build compiles this file to the
 * single eBPF object zsc links into every program. */
#include "strings.c"
#include "path.c"
#include "request.c"
#include "plugin.c"
