/*
 * config.h - the broker's settings: defaults, then the config file
 * (--config FILE, config_file.c), then command-line flags, which win.
 * docs/configuration.md documents every key and flag.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acl.h"
#include "log.h"

typedef enum { FSYNC_NEVER, FSYNC_INTERVAL, FSYNC_ALWAYS } fsync_mode;

/* Retention and publish rate limit of auto-created topics whose name
 * matches `match`: the exact name, or a prefix when it ends with '*'. The
 * first match wins. */
typedef struct {
	char *match;                /* owned */
	int64_t retention_age_ms;   /* 0: keep forever */
	uint64_t retention_bytes;   /* 0: no size limit */
	uint64_t publish_rate_msgs; /* messages/s; 0: no limit */
	uint64_t publish_rate_bytes; /* bytes/s; 0: no limit */
} topic_policy;

typedef struct {
	const char *listen_url;        /* --listen / listen */
	const char *data_dir;          /* --data / data */
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
	sl_log_format log_format;      /* --log-format text|json */
	const char *metrics_listen;    /* --metrics-listen: http://host:port */
	uint32_t metrics_max_consumers; /* --metrics-max-consumers */
	/* tls: (--tls-cert, --tls-key, --tls-client-ca, --tls-client-crl; config file section
	 * tls): PEM files of the certificate and key served on tls+tcp:// and
	 * https:// listeners, and of the CA that must have signed a client's
	 * certificate (mutual TLS). NULL: not set. Checked by config_parse. */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_client_ca;
	const char *tls_client_crl; /* client certificates revoked (PEM CRL) */

	/* topics: retention of auto-created topics (config file only). */
	int64_t topic_retention_age_ms;   /* topics.defaults; 0: forever */
	uint64_t topic_retention_bytes;   /* topics.defaults; 0: no limit */
	uint64_t topic_publish_rate_msgs; /* topics.defaults; 0: no limit */
	uint64_t topic_publish_rate_bytes; /* topics.defaults; 0: no limit */
	topic_policy *policies;           /* topics.policies, in file order */
	size_t npolicies;

	/* subscriptions.defaults (config file only): applied to a Subscribe
	 * that leaves the field unset (window 0, queue_size 0, no overflow). */
	uint32_t sub_window;           /* 1..65535 */
	uint32_t sub_overflow;         /* Sluice__Overflow value */
	uint32_t sub_queue_size;       /* 0: the window */
	/* ... and to a Subscribe (or sub create) that leaves the dispatch
	 * limit or breaker fields unset; the engine's policy resolution reads
	 * them (config_defaults holds the engine's own defaults). */
	uint64_t sub_dispatch_rate_msgs;  /* messages/s; 0: no limit */
	uint64_t sub_dispatch_rate_bytes; /* bytes/s; 0: no limit */
	uint32_t sub_breaker_failures;    /* consecutive failures; 0: off */
	uint32_t sub_breaker_cooldown_ms; /* first open period */
	uint32_t sub_breaker_cooldown_max_ms; /* cap of the doubling */
	/* subscriptions.defaults: the failure policy of new subscriptions. */
	uint32_t sub_ack_timeout_ms;      /* 0: off */
	uint32_t sub_backoff;             /* Sluice__BackoffKind */
	uint32_t sub_backoff_base_ms, sub_backoff_max_ms;
	uint32_t sub_backoff_jitter_pct;
	uint32_t sub_max_redeliveries;    /* 0: unlimited */
	uint32_t sub_on_exhausted;        /* Sluice__OnExhausted */

	/* limits: (config file section, and flags; limit.c enforces them).
	 * Counts: 0 means no limit. Durations in ms: 0 turns the check off. */
	struct {
		uint32_t max_connections;         /* open connections, all clients */
		uint32_t max_connections_per_principal; /* per authenticated principal */
		uint32_t max_connection_rate_per_address; /* new connections/s from one IP */
		uint32_t max_producers_per_topic; /* connections publishing to one topic */
		uint32_t max_consumers_per_topic; /* consumers attached, all its subscriptions */
		uint32_t max_subscriptions_per_topic;
		uint32_t max_topics;              /* auto-create and admin create refuse past it */
		uint32_t idle_timeout_ms;         /* no request this long: closed */
		uint32_t handshake_timeout_ms;    /* no successful Hello this long: closed */
	} limits;

	/* auth: and acl: (docs/security.md; --auth, --auth-secret-file). */
	int auth_enabled;              /* auth.enabled; default off */
	const char *auth_secret_file;  /* auth.secret_file: the HMAC key */
	int metrics_token_required;    /* auth.metrics_token_required */
	acl acl;                       /* acl: per principal permissions */
	const char *config_file;       /* --config, re-read on SIGHUP */

	/* Strings read from the config file (config_fini frees them). */
	char **owned;
	size_t nowned;
} broker_config;

/*
 * The settings that have both a flag and a top-level key in the config
 * file, in the order --print-config prints them. config.c owns the table.
 */
typedef enum {
	CFG_STRING,  /* const char *; from the file: an owned copy */
	CFG_FSYNC,   /* fsync_mode */
	CFG_MS,      /* uint32_t milliseconds: 250, 250ms, 2s, 5m, 1h, 1d */
	CFG_BYTES,   /* uint64_t bytes: 1048576, 512B, 64KiB, 5MiB, 1GiB */
	CFG_COUNT,   /* uint32_t */
	CFG_BOOL,    /* int: true|false (also on|off, yes|no) */
	CFG_LEVEL,   /* sl_log_level */
	CFG_FORMAT,  /* sl_log_format */
} config_kind;

typedef struct {
	const char *key;    /* config file key; NULL ends the table */
	const char *flag;   /* the long flag, without its dashes */
	config_kind kind;
	uint64_t min, max;  /* CFG_MS, CFG_BYTES, CFG_COUNT */
	size_t off;         /* offsetof(broker_config, the field) */
} config_setting;

extern const config_setting config_settings[];
/* The settings of the config file's limits: section (each with a flag). */
extern const config_setting config_limit_settings[];
/* The setting with this file key, or NULL. */
const config_setting *config_setting_find(const char *key);
/* The limits: setting with this key (without "limits."), or NULL. */
const config_setting *config_limit_find(const char *key);
/*
 * config_setting_set parses v into c's field. copy: strings are copied
 * (owned by c) instead of borrowed. Returns 0, or -1 with the reason in
 * why (without the key's name, e.g. "'x' is not a number in 1..60").
 */
int config_setting_set(broker_config *c, const config_setting *s, const char *v,
    int copy, char *why, size_t n);
/* Writes the field's value as config_setting_set reads it (strings raw). */
void config_setting_format(const broker_config *c, const config_setting *s,
    char *buf, size_t n);
/* Durations: a number with ms, s, m, h or d; a bare number is ms when
 * bare_ms, else only 0 may go without a unit. Returns 0 or -1. */
int  config_parse_duration(const char *s, int bare_ms, uint64_t *ms);
/* Sizes: a number with B, KiB, MiB, GiB or TiB; bare = bytes. */
int  config_parse_bytes(const char *s, uint64_t *bytes);
/* The largest unit that divides exactly: 0, 1500ms, 2s, 1d; 0, 100B, 5MiB. */
void config_format_duration(uint64_t ms, char *buf, size_t n);
void config_format_bytes(uint64_t bytes, char *buf, size_t n);
/* Overflow names: 0 on success. */
int  config_parse_overflow(const char *s, uint32_t *out);
/* Keeps s (allocated by sl_alloc/sl_strdup) until config_fini; returns s,
 * or NULL (s freed) when out of memory. */
char *config_own(broker_config *c, char *s);

/*
 * config_parse fills c from the defaults, the file named by --config and
 * argv, in that order. Returns 0 to run, 1 when --help, --version or
 * --print-config printed something (exit 0), -1 on a usage error or a bad
 * config file (message printed to stderr; exit 2). c holds owned memory
 * after any return: config_fini frees it.
 */
int  config_parse(broker_config *c, int argc, char **argv);
void config_fini(broker_config *c);
/* Checks the tls settings against the listen addresses: cert and key
 * together, both required by a tls+tcp:// or https:// address, and no
 * certificate without such an address. Returns 0, or -1 after printing
 * why to stderr. config_parse calls it. */
int config_check_tls(const broker_config *c);
/* Sets every field to its built-in default (owns nothing). */
void config_defaults(broker_config *c);
const char *config_fsync_name(fsync_mode m);
/* "dead_letter", "block", "drop" or "park" and back (0 on success). */
const char *config_on_exhausted_name(uint32_t on_exhausted);
int config_parse_on_exhausted(const char *s, uint32_t *out);
/* "drop_newest", "drop_oldest" or "block" for a Sluice__Overflow value. */
const char *config_overflow_name(uint32_t overflow);

/*
 * config_topic_retention gives the retention for a new topic named topic:
 * the first policy that matches, else topics.defaults. *policy (may be
 * NULL) gets the matching policy's pattern, or NULL for the defaults.
 */
void config_topic_retention(const broker_config *c, const char *topic,
    int64_t *age_ms, uint64_t *bytes, const char **policy);
/* The publish rate limit (per second; 0: none) for a new topic named
 * topic, chosen as config_topic_retention chooses. */
void config_topic_publish_rate(const broker_config *c, const char *topic,
    uint64_t *msgs, uint64_t *bytes);

/* config_file.c: reads a YAML config file into c (over what it holds).
 * Returns 0, or -1 after printing "sluiced: FILE:LINE: reason". */
int  config_file_load(broker_config *c, const char *path);
/* Prints c as YAML that config_file_load accepts. */
void config_file_print(const broker_config *c, FILE *out);
#endif
