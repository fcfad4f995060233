/*
 * cli.h - what the subcommands of sluice-cli share with main.c: the shape
 * of a subcommand and the exit codes. Each subcommand lives in its own file
 * (produce.c, consume.c) and sees only the public libsluice API.
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include "sluice/sluice.h"

/* Exit statuses: scripts tell a failed run from a wrong command line. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/*
 * A subcommand: run gets argv with argv[0] the subcommand name and returns
 * an exit status; it prints its own errors as
 * "sluice-cli: <what>: <sluice_strerror>".
 */
typedef struct {
	const char *name;
	const char *summary; /* one line for `sluice-cli --help` */
	int (*run)(int argc, char **argv);
} cli_cmd;

int cli_produce(int argc, char **argv);
int cli_consume(int argc, char **argv);

/* cli_fail prints "sluice-cli: <what>: <text of rv>" and returns 1. */
int cli_fail(const char *what, sluice_err rv);
#endif
