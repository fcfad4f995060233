/* main.c - sluiced, the Sluice broker: parse flags and run the loop. */
#include "broker.h"

int
main(int argc, char **argv)
{
	broker_config cfg;
	int rv = config_parse(&cfg, argc, argv);
	if (rv != 0)
		return rv > 0 ? 0 : 2;
	return broker_run(&cfg);
}
