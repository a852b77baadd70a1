/* zsc hash-password [--plaintext P] [--algorithm bcrypt] [--bcrypt-cost N]:
 * as `caddy hash-password`: the password from the flag, else from the
 * terminal (asked twice, not echoed) or the first line of standard input;
 * the bcrypt hash ($2a$, as Go writes it; cost 14 unless 4..31 is given)
 * on standard output. argon2id is Caddy's other algorithm; zsc refuses it. */
#include "hash_password.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define HASH_DEFAULT_COST 14
#define HASH_MAX_PASSWORD 4096

static int hash_usage(void)
{
  fputs("usage: zsc hash-password [--plaintext P] [--algorithm bcrypt] [--bcrypt-cost N]\n", stderr);
  return 2;
}

static int hash_fail(const char *msg)
{
  fprintf(stderr, "zsc: error: %s\n", msg);
  return 1;
}

/* one line from the terminal with echo off */
static int hash_read_tty(const char *prompt, char *out, size_t cap)
{
  struct termios old, quiet;
  fputs(prompt, stderr);
  int restore = tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  int ok = fgets(out, (int)cap, stdin) != NULL;
  if (restore)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  fputc('\n', stderr);
  if (ok)
    out[strcspn(out, "\r\n")] = '\0';
  return ok ? 0 : -1;
}

/* the password when no --plaintext: Caddy's terminal prompt, or stdin up to a newline */
static int hash_read_password(char *pw, size_t cap)
{
  if (isatty(STDIN_FILENO)) {
    char again[HASH_MAX_PASSWORD];
    if (hash_read_tty("Enter password: ", pw, cap) < 0 || hash_read_tty("Confirm password: ", again, sizeof again) < 0)
      return hash_fail("EOF");
    int same = strcmp(pw, again) == 0;
    explicit_bzero(again, sizeof again);
    if (!same)
      return hash_fail("password does not match");
  } else {
    if (!fgets(pw, (int)cap, stdin) || !strchr(pw, '\n'))
      return hash_fail("EOF");
    *strchr(pw, '\n') = '\0';
  }
  return *pw ? 0 : hash_fail("plaintext is required");
}

static int hash_bcrypt(const char *pw, int cost)
{
  struct crypt_data data;
  memset(&data, 0, sizeof data);
  if (cost < 4 || cost > 31)
    cost = HASH_DEFAULT_COST;   /* Caddy's BcryptHash.Hash does the same */
  /* Go writes $2a$; libxcrypt's $2b$ is the same computation */
  const char *salt = crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, data.setting, sizeof data.setting);
  const char *hash = salt ? crypt_rn(pw, salt, &data, sizeof data) : NULL;
  if (!hash || hash[0] == '*')
    return hash_fail("cannot hash the password");
  printf("$2a$%s\n", hash + 4);
  explicit_bzero(&data, sizeof data);
  return 0;
}

int hash_password_main(int argc, char **argv)
{
  const char *plaintext = NULL, *algorithm = "bcrypt";
  int cost = HASH_DEFAULT_COST;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc)
      return hash_usage();
    if (!strcmp(a, "--plaintext") || !strcmp(a, "-p"))
      plaintext = argv[++i];
    else if (!strcmp(a, "--algorithm") || !strcmp(a, "-a"))
      algorithm = argv[++i];
    else if (!strcmp(a, "--bcrypt-cost") || !strcmp(a, "--cost"))
      cost = atoi(argv[++i]);
    else
      return hash_usage();
  }
  if (strcmp(algorithm, "bcrypt") != 0) {
    fprintf(stderr, "zsc: error: %s: zsc cannot %s passwords yet (bcrypt only)\n", algorithm,
            strcmp(algorithm, "argon2id") ? "hash with an unrecognized algorithm's" : "compile argon2id");
    return 1;
  }
  char pw[HASH_MAX_PASSWORD];
  if (plaintext && *plaintext)
    snprintf(pw, sizeof pw, "%s", plaintext);
  else if (hash_read_password(pw, sizeof pw) != 0)
    return 1;
  int rc = hash_bcrypt(pw, cost);
  explicit_bzero(pw, sizeof pw);
  return rc;
}
