/* Cage tests with hand-assembled x86_64 guest functions: faults on rodata
 * writes, on unmapped pages and past 4 GiB become traps, 32-bit offsets wrap
 * inside the window, the worker goes on after a trap, stack and heap
 * contents do not leak between calls, and faults outside guest code still
 * crash. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi/cage.h"
#include "abi/helpers.h"
#include "runtime/cage.h"

#if defined(__x86_64__)
/* assembled from Intel syntax; offsets of each function below */
static const unsigned char guest_code[] = {
  0x48, 0x8b, 0x07, 0xc6, 0x80, 0x00, 0x00, 0x10, 0x00, 0x01, 0xc3,   /* 0x00 rodata_write */
  0x48, 0x8b, 0x07, 0x0f, 0xb6, 0x00, 0xc3,                           /* 0x0b read0 */
  0x48, 0x8b, 0x07, 0x89, 0xf6, 0x0f, 0xb6, 0x04, 0x30, 0xc3,         /* 0x12 read byte at (u32)r1 */
  0x48, 0x8b, 0x07, 0x89, 0xf6, 0x48, 0x8b, 0x04, 0x30, 0xc3,         /* 0x1c read 8 at (u32)r1 */
  0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3,                                 /* 0x26 return 42 */
  0x48, 0x8b, 0x07, 0x89, 0xd2, 0x48, 0x89, 0x74, 0x10, 0xf8, 0xc3,   /* 0x2c stack[-8] = r1 */
  0x48, 0x8b, 0x07, 0x89, 0xd2, 0x48, 0x8b, 0x44, 0x10, 0xf8, 0xc3,   /* 0x37 return stack[-8] */
  0x48, 0x83, 0xec, 0x08, 0x48, 0x8b, 0x47, 0x18, 0xbe, 0x02, 0x00, 0x00, 0x00,
  0xff, 0xd0, 0x48, 0x83, 0xc4, 0x08, 0xc3,                           /* 0x42 ctx->trap(ctx, 2) */
  0x48, 0x8b, 0x06, 0xc3,                                             /* 0x56 read host address r1 */
  0x48, 0x8b, 0x07, 0x89, 0xf6, 0xc6, 0x04, 0x30, 0x01, 0xc3,         /* 0x5a write 1 at (u32)r1 */
};
enum {
  F_RODATA_WRITE = 0x00, F_READ0 = 0x0b, F_READ_BYTE = 0x12, F_READ8 = 0x1c, F_RET42 = 0x26,
  F_STACK_WRITE = 0x2c, F_STACK_READ = 0x37, F_TRAP_BUDGET = 0x42, F_HOST_READ = 0x56,
  F_WRITE_BYTE = 0x5a,
};

static int failures;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
  __FILE__, __LINE__, #cond); failures++; } } while (0)

static unsigned char *code_page;

static zs_entry_fn fn_at(unsigned off)
{
  return (zs_entry_fn)(void *)(code_page + off);
}

static unsigned call(struct cage *c, unsigned off, uint64_t r1, uint64_t *r0)
{
  return cage_call(c, fn_at(off), r1, 64, r0);
}

static void test_traps(struct cage *c)
{
  uint64_t r0;
  CHECK(call(c, F_RODATA_WRITE, 0, &r0) == ZS_TRAP_FAULT);
  CHECK(c->trap_addr - (uintptr_t)c->base == ZS_CAGE_RODATA_OFF);
  CHECK(call(c, F_READ0, 0, &r0) == ZS_TRAP_FAULT);
  CHECK(call(c, F_READ_BYTE, 0xffffffffu, &r0) == ZS_TRAP_FAULT);
  CHECK(call(c, F_READ8, 0xfffffffcu, &r0) == ZS_TRAP_FAULT);   /* straddles into the guard */
  CHECK(call(c, F_WRITE_BYTE, ZS_CAGE_REQ_OFF, &r0) == ZS_TRAP_FAULT); /* request view is read-only */
  CHECK(call(c, F_WRITE_BYTE, ZS_CAGE_STACK_OFF - 1, &r0) == ZS_TRAP_FAULT); /* below the stack */
  CHECK(call(c, F_TRAP_BUDGET, 0, &r0) == ZS_TRAP_BUDGET);
  CHECK(call(c, F_RET42, 0, &r0) == 0 && r0 == 42);              /* the worker goes on */
}

static void test_wrap_and_regions(struct cage *c)
{
  uint64_t r0;
  c->req_host[0] = 0x5a;
  CHECK(call(c, F_READ_BYTE, (1ull << 32) + ZS_CAGE_REQ_OFF, &r0) == 0 && r0 == 0x5a);
  CHECK(call(c, F_READ_BYTE, 0xabcdull << 32 | ZS_CAGE_RODATA_OFF, &r0) == 0 && r0 == 'R');
  CHECK(call(c, F_STACK_WRITE, 0x1122334455667788ull, &r0) == 0);
  CHECK(call(c, F_STACK_READ, 0, &r0) == 0 && r0 == 0);                     /* declared stack cleared */
  c->heap_dirty = 4096;                       /* as a helper writing there would note */
  CHECK(call(c, F_WRITE_BYTE, ZS_CAGE_HEAP_OFF + 100, &r0) == 0);
  CHECK(call(c, F_READ_BYTE, ZS_CAGE_HEAP_OFF + 100, &r0) == 0 && r0 == 0);  /* heap_dirty cleared */
  cage_note_heap_write(c, ZS_CAGE_HEAP_OFF + 10, 20);
  CHECK(c->heap_dirty == 30);
  cage_note_heap_write(c, ZS_CAGE_STACK_OFF, 20);                           /* not heap: ignored */
  CHECK(c->heap_dirty == 30);
  /* undeclared writes survive a normal call, but a trap scrubs every touched page */
  CHECK(call(c, F_WRITE_BYTE, ZS_CAGE_HEAP_OFF + 200000, &r0) == 0);
  CHECK(call(c, F_WRITE_BYTE, ZS_CAGE_STACK_OFF + 16, &r0) == 0);
  CHECK(call(c, F_READ_BYTE, ZS_CAGE_HEAP_OFF + 200000, &r0) == 0 && r0 == 1);
  CHECK(call(c, F_READ0, 0, &r0) == ZS_TRAP_FAULT);
  CHECK(call(c, F_READ_BYTE, ZS_CAGE_HEAP_OFF + 200000, &r0) == 0 && r0 == 0);
  CHECK(call(c, F_READ_BYTE, ZS_CAGE_STACK_OFF + 16, &r0) == 0 && r0 == 0);
}

static void test_ranges(struct cage *c)
{
  CHECK(cage_readable(c, ZS_CAGE_RODATA_OFF, 4));
  CHECK(!cage_readable(c, ZS_CAGE_RODATA_OFF, 4096 + 1));
  CHECK(cage_readable(c, ZS_CAGE_REQ_OFF, ZS_CAGE_REQ_SIZE));
  CHECK(!cage_readable(c, ZS_CAGE_REQ_OFF, ZS_CAGE_REQ_SIZE + 1));
  CHECK(!cage_writable(c, ZS_CAGE_REQ_OFF, 1));
  CHECK(cage_writable(c, ZS_CAGE_STACK_TOP - 8, 8));
  CHECK(!cage_writable(c, ZS_CAGE_STACK_TOP - 8, 9));
  CHECK(cage_writable(c, ZS_CAGE_HEAP_OFF, ZS_CAGE_HEAP_SIZE));
  CHECK(!cage_writable(c, ZS_CAGE_HEAP_OFF + 1, UINT64_MAX));
  CHECK(!cage_readable(c, 0, 1));
  CHECK(!cage_readable(c, UINT64_MAX, 2));
}

/* with a stack reach, the stack below it is PROT_NONE and all of the reach is
 * cleared after every call, written through the frame or not */
static void test_stack_reach(struct cage *c)
{
  uint64_t r0;
  CHECK(cage_set_stack_reach(c, 100) == 0 && c->stack_reach == 4096);
  CHECK(call(c, F_WRITE_BYTE, ZS_CAGE_STACK_TOP - 3000, &r0) == 0);
  CHECK(call(c, F_READ_BYTE, ZS_CAGE_STACK_TOP - 3000, &r0) == 0 && r0 == 0);
  CHECK(call(c, F_WRITE_BYTE, ZS_CAGE_STACK_TOP - 4097, &r0) == ZS_TRAP_FAULT);
  CHECK(call(c, F_READ_BYTE, ZS_CAGE_STACK_OFF + 16, &r0) == ZS_TRAP_FAULT);
  CHECK(call(c, F_RET42, 0, &r0) == 0 && r0 == 42);
  CHECK(cage_writable(c, ZS_CAGE_STACK_TOP - 4096, 4096));
  CHECK(!cage_writable(c, ZS_CAGE_STACK_TOP - 4097, 8));   /* helpers refuse it too */
  CHECK(cage_set_stack_reach(c, ZS_CAGE_STACK_SIZE) == 0);
  CHECK(call(c, F_READ_BYTE, ZS_CAGE_STACK_OFF + 16, &r0) == 0 && r0 == 0);
}

/* a fault whose address is outside the cage is a real crash, not a trap */
static void test_real_crash(struct cage *c)
{
  pid_t pid = fork();
  if (pid == 0) {
    uint64_t r0;
    call(c, F_HOST_READ, 16, &r0);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

int main(void)
{
  if (trap_install() < 0)
    return 1;
  code_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(code_page, guest_code, sizeof guest_code);
  mprotect(code_page, 4096, PROT_READ | PROT_EXEC);
  static const char rodata[4096] = "Rodata";
  static struct cage c;
  int rc = cage_create(&c, rodata, sizeof rodata, NULL, 0, NULL);
  if (rc < 0) {
    fprintf(stderr, "cage_create: %s\n", strerror(-rc));
    return 1;
  }
  cage_set_code(&c, code_page, sizeof guest_code);
  test_traps(&c);
  test_wrap_and_regions(&c);
  test_ranges(&c);
  test_stack_reach(&c);
  test_real_crash(&c);
  cage_destroy(&c);
  return failures ? 1 : 0;
}
#else
int main(void)
{
  fprintf(stderr, "skip: the hand-assembled guest code is x86_64\n");
  return 77;
}
#endif
