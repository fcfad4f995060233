/*
 * config.h - the broker's settings, from command-line flags.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdint.h>

#include "log.h"

typedef enum { FSYNC_NEVER, FSYNC_INTERVAL, FSYNC_ALWAYS } fsync_mode;

typedef struct {
	const char *listen_url;        /* --listen */
	const char *data_dir;          /* --data */
	fsync_mode fsync;              /* --fsync never|interval|always */
	uint32_t fsync_interval_ms;    /* --fsync-interval-ms, interval mode */
	uint64_t max_message_bytes;    /* --max-message-bytes */
	uint64_t max_pending_bytes;    /* --max-pending-bytes: read stop mark */
	uint32_t max_outstanding;      /* --max-outstanding per connection */
	uint32_t retention_check_ms;   /* --retention-check-ms */
	int auto_create_topics;        /* --auto-create-topics on|off */
	uint32_t cursor_flush_ms;      /* --cursor-flush-ms: cursor write debounce */
	uint32_t watchdog_ms;          /* --watchdog-ms */
	uint32_t consumer_lease_ms;    /* --consumer-lease-ms: silent consumers */
	sl_log_level log_level;        /* --log-level */
} broker_config;

/*
 * config_parse fills c from argv. Returns 0 to run, 1 when --help or
 * --version printed something (exit 0), -1 on a usage error (message
 * printed to stderr; exit 2).
 */
int config_parse(broker_config *c, int argc, char **argv);
const char *config_fsync_name(fsync_mode m);
#endif
