/*
 * main.c - sluice-admin entry point: global options (--help, --version)
 * and the dispatch from GROUP COMMAND to a command of broker.c, topics.c,
 * subs.c, consumers.c or parked.c. What each command does lives in its group's file.
 */
#include <stdio.h>
#include <string.h>

#include "adm.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

/* Add a group by adding a row. */
static const struct {
	const char    *name;
	const char    *summary;
	const adm_cmd *cmds;
} groups[] = {
	{ "broker", "the broker's health and counters", adm_broker_cmds },
	{ "topics", "list, create, delete, inspect and peek at topics",
	    adm_topics_cmds },
	{ "subs", "subscriptions: list, inspect, create, configure, move, explain",
	    adm_subs_cmds },
	{ "consumers", "the consumers attached to a subscription",
	    adm_consumers_cmds },
	{ "parked", "messages a subscription set aside: list, replay, drop",
	    adm_parked_cmds },
	{ "token", "bearer tokens signed by the broker", adm_token_cmds },
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static const char *exit_text =
    "Exit status: 0 success, 1 the operation failed (the broker refused it,\n"
    "or it is unhealthy), 2 usage error, 3 cannot reach the broker.\n";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-admin [--help] [--version] GROUP COMMAND [<args>]\n"
	    "\n"
	    "Operate a sluiced broker: one request per invocation, human output\n"
	    "or --json (docs/admin.md lists every field).\n"
	    "\n");
	for (size_t i = 0; i < NGROUPS; i++) {
		fprintf(f, "%s: %s\n", groups[i].name, groups[i].summary);
		for (const adm_cmd *c = groups[i].cmds; c->name != NULL; c++)
			fprintf(f, "  %s %s%s%s\n", c->group, c->name,
			    c->synopsis[0] ? " " : "", c->synopsis);
	}
	fprintf(f,
	    "\n"
	    "Every command takes --url URL (default %s), --json,\n"
	    "--timeout-ms MS and --help.\n\n%s",
	    SLUICE_DEFAULT_URL, exit_text);
}

static void
group_usage(FILE *f, size_t g)
{
	fprintf(f, "usage: sluice-admin %s COMMAND [<args>]\n\ncommands:\n",
	    groups[g].name);
	for (const adm_cmd *c = groups[g].cmds; c->name != NULL; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f,
	    "\nRun 'sluice-admin %s COMMAND --help' for the options of a "
	    "command.\n",
	    groups[g].name);
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 ||
	    strcmp(arg, "help") == 0;
}

static int
run_group(size_t g, int argc, char **argv)
{
	if (argc < 2) {
		group_usage(stderr, g);
		return ADM_EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		group_usage(stdout, g);
		return ADM_EXIT_OK;
	}
	for (const adm_cmd *c = groups[g].cmds; c->name != NULL; c++) {
		/* The command parses argv[1..] with getopt: argv[0] its name. */
		if (strcmp(argv[1], c->name) == 0)
			return c->run(c, argc - 1, argv + 1);
	}
	fprintf(stderr, "sluice-admin: %s: unknown command '%s'\n\n",
	    groups[g].name, argv[1]);
	group_usage(stderr, g);
	return ADM_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return ADM_EXIT_USAGE;
	}
	const char *arg = argv[1];
	if (is_help(arg)) {
		usage(stdout);
		return ADM_EXIT_OK;
	}
	if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
		printf("sluice-admin %s (protocol %d)\n", SLUICE_VERSION,
		    SLUICE_PROTOCOL_VERSION);
		return ADM_EXIT_OK;
	}
	for (size_t i = 0; i < NGROUPS; i++) {
		if (strcmp(arg, groups[i].name) == 0)
			return run_group(i, argc - 1, argv + 1);
	}
	fprintf(stderr, "sluice-admin: unknown group '%s'\n\n", arg);
	usage(stderr);
	return ADM_EXIT_USAGE;
}
