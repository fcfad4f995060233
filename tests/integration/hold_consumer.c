/*
 * hold_consumer.c - a consumer process for crash tests: subscribes
 * (failover, reliable, earliest) to TOPIC/SUB at URL with window W, takes N
 * messages without acking them, prints "ready" and waits to be killed.
 * Usage: hold_consumer URL TOPIC SUB W N
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "raw.h"

int
main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: hold_consumer URL TOPIC SUB WINDOW COUNT\n");
		return 2;
	}
	raw_conn c;
	uint64_t id;
	uint32_t window = (uint32_t) atoi(argv[4]);
	size_t want = (size_t) atoi(argv[5]), got = 0;
	if (raw_open(&c, argv[1]) != 0 || raw_hello(&c, SLUICE_PROTOCOL_VERSION) != 0)
		return 3;
	if (raw_subscribe(&c, argv[2], argv[3], SLUICE__SUB_TYPE__SUB_FAILOVER,
	        SLUICE__SUB_MODE__MODE_RELIABLE, window, SLUICE__START_AT__START_EARLIEST,
	        &id) != 0)
		return 4;
	while (got < want) {
		Sluice__Reply *r;
		if (raw_fetch(&c, id, (uint32_t) (want - got), 1000, NULL, 0, &r) != 0)
			return 5;
		got += r->deliver->n_records;
		codec_reply_free(r);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
