/* zsc-adapt: the `zsc adapt` subcommand as a program of its own, so the
 * conformance suite can run the front end without the rest of zsc. */
#include "frontend/frontend.h"

int main(int argc, char **argv)
{
  return frontend_adapt_main(argc, argv);
}
