/* `zsc validate FILE`: the checks of a compile, without a blob (as `caddy
 * validate` or `nginx -t`). */
#ifndef ZSC_VALIDATE_H
#define ZSC_VALIDATE_H

/* argv[0] is "validate". Returns the exit status: 0 valid, 1 after printing
 * every error found, 2 for a bad command line. */
int validate_main(int argc, char **argv);

#endif
