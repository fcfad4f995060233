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

/* Argument helpers shared by the subcommands (args.c). */
/* Prints "sluice-cli: CMD: <fmt with arg>" and a hint; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* Decimal u64 without sign; returns 0, or -1 when s is not one. */
int cli_parse_u64(const char *s, uint64_t *out);
/* The one TOPIC operand at argv[optind], checked; 0 or a usage error. */
int cli_topic_operand(const char *cmd, int argc, char **argv, int optind,
    const char **topic);
#endif
