/* args.c - command-line helpers shared by the sluice-cli subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int
cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "sluice-cli: %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nRun 'sluice-cli %s --help' for usage.\n", cmd);
	return CLI_EXIT_USAGE;
}

int
cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
cli_topic_operand(const char *cmd, int argc, char **argv, int optind,
    const char **topic)
{
	if (optind != argc - 1)
		return cli_usage_error(cmd, "%s",
		    optind >= argc ? "missing TOPIC" : "expected one TOPIC");
	*topic = argv[optind];
	if (!sluice_topic_name_is_valid(*topic))
		return cli_usage_error(cmd, "invalid topic name '%s' (1-255 of "
		                            "[A-Za-z0-9._/-])", *topic);
	return CLI_EXIT_OK;
}
