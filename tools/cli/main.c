/*
 * main.c - sluice-cli entry point: global options (--help, --version) and
 * the subcommand table. What each subcommand does lives in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

/* Add a subcommand by adding a row. */
static const cli_cmd cmds[] = {
	{ "produce", "publish messages to a topic", cli_produce },
	{ "consume", "receive messages through a subscription", cli_consume },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

int
cli_fail(const char *what, sluice_err rv)
{
	fprintf(stderr, "sluice-cli: %s: %s\n", what, sluice_strerror(rv));
	return CLI_EXIT_FAIL;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-cli [--help] [--version] <command> [<args>]\n"
	    "\n"
	    "commands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
	    "\n"
	    "Run 'sluice-cli <command> --help' for the options of a command.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *arg = argv[1];
	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
		printf("sluice-cli %s (protocol %d)\n", SLUICE_VERSION,
		    SLUICE_PROTOCOL_VERSION);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(arg, cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "sluice-cli: unknown command '%s'\n", arg);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
