/* The crash-sweep driver links vctl's own command table and runs a command
 * in a forked child the way the vctl binary would: GNUmakefile compiles
 * cmd/vctl.c a second time with -Dmain=vctl_cli_main and this header
 * included, so that its main() becomes this function. */
#ifndef VCTL_TESTS_CRASH_CLI_H
#define VCTL_TESTS_CRASH_CLI_H

int vctl_cli_main(int argc, const char **argv);

#endif
