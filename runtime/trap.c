/* Turning guest faults into traps: the process-wide SIGSEGV/SIGBUS handler,
 * the per-thread alternate signal stack, and the rate-limited trap log.
 * A fault only becomes a trap when its pc is in the current cage's code and
 * its address in the cage's reservation; any other fault is a real crash. */
#include "cage.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../abi/cage.h"
#include "../abi/helpers.h"

#define TRAP_ALTSTACK_MIN  (64 * 1024)
#define TRAP_LOG_PER_SECOND 5

/* The one piece of per-thread state: a signal handler has no other way to
 * find the cage the faulting thread was running. */
static _Thread_local struct cage *trap_current_cage;
static _Thread_local int trap_altstack_ready;

static pthread_once_t trap_once = PTHREAD_ONCE_INIT;
static int trap_install_error;

static uintptr_t trap_pc_of(const void *uc_void)
{
  const ucontext_t *uc = uc_void;
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.pc;
#else
#error "zsrt supports x86_64 and aarch64"
#endif
}

static int trap_is_guest_fault(const struct cage *c, const siginfo_t *si, uintptr_t pc)
{
  uintptr_t addr = (uintptr_t)si->si_addr;
  return c != NULL && si->si_code > 0 &&
         pc - (uintptr_t)c->code < c->code_size &&
         addr - (uintptr_t)c->base < ZS_CAGE_RESERVE;
}

static void trap_handler(int sig, siginfo_t *si, void *uc_void)
{
  struct cage *c = trap_current_cage;
  uintptr_t pc = trap_pc_of(uc_void);
  if (trap_is_guest_fault(c, si, pc)) {
    c->trap_code = ZS_TRAP_FAULT;
    c->trap_addr = (uintptr_t)si->si_addr;
    c->trap_pc = pc;
    siglongjmp(c->trap_jmp, 1);
  }
  /* not ours: die as if there were no handler (the faulting instruction
   * re-executes on return; a sent signal is raised again) */
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
  if (si->si_code <= 0)
    raise(sig);
}

static void trap_install_once(void)
{
  struct sigaction sa = { .sa_sigaction = trap_handler };
  /* SA_NODEFER: the handler leaves by siglongjmp to a sigsetjmp(.., 0) point,
   * so the signal must not stay blocked (and no sigprocmask per call) */
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) < 0 || sigaction(SIGBUS, &sa, NULL) < 0)
    trap_install_error = -errno;
}

int trap_install(void)
{
  pthread_once(&trap_once, trap_install_once);
  return trap_install_error;
}

/* Each thread that runs guest code gets an alternate signal stack once; it
 * lives as long as the thread (workers live as long as the process). */
static int trap_setup_altstack(void)
{
  long min = sysconf(_SC_SIGSTKSZ);
  size_t size = min > TRAP_ALTSTACK_MIN ? (size_t)min : TRAP_ALTSTACK_MIN;
  void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return -errno;
  stack_t ss = { .ss_sp = mem, .ss_size = size, .ss_flags = 0 };
  if (sigaltstack(&ss, NULL) < 0) {
    int rc = -errno;
    munmap(mem, size);
    return rc;
  }
  trap_altstack_ready = 1;
  return 0;
}

int trap_enter(struct cage *c)
{
  int rc = trap_install();
  if (rc == 0 && !trap_altstack_ready)
    rc = trap_setup_altstack();
  trap_current_cage = c;
  return rc;
}

void trap_leave(struct cage *c)
{
  (void)c;
  trap_current_cage = NULL;
}

static const char *trap_kind_name(unsigned code)
{
  switch (code) {
  case ZS_TRAP_FAULT: return "fault";
  case ZS_TRAP_BUDGET: return "budget";
  case ZS_TRAP_DEPTH: return "depth";
  case ZS_TRAP_HELPER: return "helper";
  default: return "unknown";
  }
}

static int trap_log_allowed(struct cage *c)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (now.tv_sec != c->log_second) {
    c->log_second = now.tv_sec;
    c->log_count = 0;
  }
  return c->log_count++ < TRAP_LOG_PER_SECOND;
}

/* one line in log.h's shape, logger "http.handlers.zsrt", msg "trap KIND",
 * the server index and, for a fault, where (guest address, offset in the
 * blob's code). Every field is a number or a fixed word, so no escaping is
 * needed and trap.c stays free of the log module (the lifter tests link it
 * alone). */
void trap_log(struct cage *c)
{
  if (!trap_log_allowed(c))
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char line[320];
  int n = snprintf(line, sizeof line,
                   "{\"level\":\"error\",\"ts\":%lld.%09ld,\"logger\":\"http.handlers.zsrt\","
                   "\"msg\":\"trap %s\",\"server\":%u", (long long)ts.tv_sec, ts.tv_nsec,
                   trap_kind_name(c->trap_code), c->server);
  if (c->trap_code == ZS_TRAP_FAULT)
    n += snprintf(line + n, sizeof line - (size_t)n,
                  ",\"guest_address\":\"0x%" PRIx64 "\",\"code_offset\":\"0x%zx\"",
                  (uint64_t)(c->trap_addr - (uintptr_t)c->base), (size_t)(c->trap_pc - (uintptr_t)c->code));
  n += snprintf(line + n, sizeof line - (size_t)n, "}\n");
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}
