/* config.c - command-line flags of sluiced. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/sluice.h"

static const char usage[] =
    "usage: sluiced [options]\n"
    "\n"
    "The Sluice broker: keeps topics in a RocksDB log and serves producers.\n"
    "\n"
    "  --listen URL               nng URL to listen on (default " SLUICE_DEFAULT_URL ")\n"
    "  --data DIR                 data directory (default ./sluice-data)\n"
    "  --fsync MODE               never | interval | always (default interval)\n"
    "  --fsync-interval-ms MS     fsync period in interval mode (default 1000)\n"
    "  --max-message-bytes N      largest message accepted (default 5242880)\n"
    "  --max-outstanding N        requests in flight per connection (default 32)\n"
    "  --max-pending-bytes N      stop reading when this much publish data\n"
    "                             awaits its write (default 67108864)\n"
    "  --retention-check-ms MS    how often retention runs (default 1000)\n"
    "  --auto-create-topics on|off create topics on first publish (default on)\n"
    "  --cursor-flush-ms MS       how often changed cursors are written (default 5000)\n"
    "  --watchdog-ms MS           subscription watchdog period (default 500)\n"
    "  --consumer-lease-ms MS     close a consumer's connection after this long\n"
    "                             without a request (default 15000)\n"
    "  --log-level LEVEL          debug | info | warn | error (default info)\n"
    "  -h, --help                 this text\n"
    "  -V, --version              the version\n";

const char *
config_fsync_name(fsync_mode m)
{
	switch (m) {
	case FSYNC_NEVER:
		return "never";
	case FSYNC_ALWAYS:
		return "always";
	default:
		return "interval";
	}
}

static int
parse_u64(const char *flag, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *end != '\0' || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "sluiced: %s: '%s' is not a number in %llu..%llu\n",
		    flag, s, (unsigned long long) min, (unsigned long long) max);
		return -1;
	}
	*out = v;
	return 0;
}

int
config_parse(broker_config *c, int argc, char **argv)
{
	enum { O_LISTEN = 256, O_DATA, O_FSYNC, O_FSYNC_MS, O_MAXMSG, O_MAXOUT,
		O_MAXPEND, O_RET_MS, O_AUTO, O_LOG, O_CURSOR_MS, O_WATCHDOG_MS, O_LEASE_MS };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "data", required_argument, NULL, O_DATA },
		{ "fsync", required_argument, NULL, O_FSYNC },
		{ "fsync-interval-ms", required_argument, NULL, O_FSYNC_MS },
		{ "max-message-bytes", required_argument, NULL, O_MAXMSG },
		{ "max-outstanding", required_argument, NULL, O_MAXOUT },
		{ "max-pending-bytes", required_argument, NULL, O_MAXPEND },
		{ "retention-check-ms", required_argument, NULL, O_RET_MS },
		{ "auto-create-topics", required_argument, NULL, O_AUTO },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "cursor-flush-ms", required_argument, NULL, O_CURSOR_MS },
		{ "watchdog-ms", required_argument, NULL, O_WATCHDOG_MS },
		{ "consumer-lease-ms", required_argument, NULL, O_LEASE_MS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	*c = (broker_config) {
		.listen_url = SLUICE_DEFAULT_URL,
		.data_dir = "./sluice-data",
		.fsync = FSYNC_INTERVAL,
		.fsync_interval_ms = 1000,
		.max_message_bytes = 5u << 20,
		.max_pending_bytes = 64u << 20,
		.max_outstanding = 32,
		.retention_check_ms = 1000,
		.auto_create_topics = 1,
		.cursor_flush_ms = 5000,
		.watchdog_ms = 500,
		.consumer_lease_ms = 15000,
		.log_level = SL_LOG_INFO,
	};
	uint64_t v;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (ch) {
		case O_LISTEN:
			c->listen_url = optarg;
			break;
		case O_DATA:
			c->data_dir = optarg;
			break;
		case O_FSYNC:
			if (strcmp(optarg, "never") == 0)
				c->fsync = FSYNC_NEVER;
			else if (strcmp(optarg, "interval") == 0)
				c->fsync = FSYNC_INTERVAL;
			else if (strcmp(optarg, "always") == 0)
				c->fsync = FSYNC_ALWAYS;
			else {
				fprintf(stderr, "sluiced: --fsync: '%s' is not "
				                "never, interval or always\n", optarg);
				return -1;
			}
			break;
		case O_FSYNC_MS:
			if (parse_u64("--fsync-interval-ms", optarg, 1, 3600000, &v))
				return -1;
			c->fsync_interval_ms = (uint32_t) v;
			break;
		case O_MAXMSG:
			if (parse_u64("--max-message-bytes", optarg, 1, 256u << 20, &v))
				return -1;
			c->max_message_bytes = v;
			break;
		case O_MAXOUT:
			/* nng drops replies beyond 64 queued for one pipe. */
			if (parse_u64("--max-outstanding", optarg, 1, 60, &v))
				return -1;
			c->max_outstanding = (uint32_t) v;
			break;
		case O_MAXPEND:
			if (parse_u64("--max-pending-bytes", optarg, 1, UINT64_MAX / 2, &v))
				return -1;
			c->max_pending_bytes = v;
			break;
		case O_RET_MS:
			if (parse_u64("--retention-check-ms", optarg, 10, 3600000, &v))
				return -1;
			c->retention_check_ms = (uint32_t) v;
			break;
		case O_AUTO:
			if (strcmp(optarg, "on") == 0)
				c->auto_create_topics = 1;
			else if (strcmp(optarg, "off") == 0)
				c->auto_create_topics = 0;
			else {
				fprintf(stderr, "sluiced: --auto-create-topics: "
				                "'%s' is not on or off\n", optarg);
				return -1;
			}
			break;
		case O_CURSOR_MS:
			if (parse_u64("--cursor-flush-ms", optarg, 1, 3600000, &v))
				return -1;
			c->cursor_flush_ms = (uint32_t) v;
			break;
		case O_WATCHDOG_MS:
			if (parse_u64("--watchdog-ms", optarg, 10, 3600000, &v))
				return -1;
			c->watchdog_ms = (uint32_t) v;
			break;
		case O_LEASE_MS:
			if (parse_u64("--consumer-lease-ms", optarg, 100, 86400000, &v))
				return -1;
			c->consumer_lease_ms = (uint32_t) v;
			break;
		case O_LOG:
			if (sl_log_parse_level(optarg, &c->log_level) != 0) {
				fprintf(stderr, "sluiced: --log-level: '%s' is not "
				                "debug, info, warn or error\n", optarg);
				return -1;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("sluiced %s (protocol %d)\n", SLUICE_VERSION,
			    SLUICE_PROTOCOL_VERSION);
			return 1;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	return 0;
}
