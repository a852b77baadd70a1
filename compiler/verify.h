/* zsc verify: a blob checked as zsrt would, its eBPF verified again. */
#ifndef ZSC_VERIFY_H
#define ZSC_VERIFY_H

/* argv[0] is "verify"; exit status: 0 ok, 1 refused, 2 usage */
int verify_main(int argc, char **argv);

#endif
