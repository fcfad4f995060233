/* main.c - sluiced, the Sluice broker: read the config and flags, run the loop. */
#include "broker.h"

int
main(int argc, char **argv)
{
	broker_config cfg;
	int rv = config_parse(&cfg, argc, argv);
	if (rv == 0)
		rv = broker_run(&cfg);
	else
		rv = rv > 0 ? 0 : 2;
	config_fini(&cfg);
	return rv;
}
