/*
 * config.c - the settings of sluiced: their defaults, the table shared by
 * the command-line flags and the config file, value parsing (durations,
 * sizes), the flags themselves, and which retention a new topic gets.
 * Reading and printing YAML is config_file.c's.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "codec.h"
#include "sluice/sluice.h"

static const char usage[] =
    "usage: sluiced [options]\n"
    "\n"
    "The Sluice broker: keeps topics in a RocksDB log and serves producers.\n"
    "\n"
    "  --config FILE              read settings from a YAML file first; flags\n"
    "                             given here override it (docs/configuration.md)\n"
    "  --print-config             print the effective configuration as YAML\n"
    "                             (a valid config file) and exit\n"
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
    "  --log-format FORMAT        text | json (JSON lines) (default text)\n"
    "  --metrics-listen URL       metrics endpoint, or off (default\n"
    "                             http://127.0.0.1:9650)\n"
    "  --metrics-max-consumers N  consumers listed in metrics (default 100)\n"
    "  --tls-cert FILE            certificate (PEM) of tls+tcp:// and https://\n"
    "                             listeners; needs --tls-key (docs/security.md)\n"
    "  --tls-key FILE             its private key (PEM, unencrypted)\n"
    "  --tls-client-ca FILE       mutual TLS: clients must present a certificate\n"
    "                             signed by this CA (PEM)\n"
    "  --tls-client-crl FILE      mutual TLS: refuse the client certificates\n"
    "                             this CRL (PEM, from the CA above) revokes\n"
    "  --auth on|off              require a token in Hello (default off)\n"
    "  --auth-secret-file PATH    the HMAC key tokens are signed with\n"
    "  -h, --help                 this text\n"
    "  -V, --version              the version\n";

#define F(field) offsetof(broker_config, field)
#define HOUR_MS 3600000u
#define DAY_MS 86400000u

const config_setting config_settings[] = {
	{ "listen", "listen", CFG_STRING, 0, 0, F(listen_url) },
	{ "data", "data", CFG_STRING, 0, 0, F(data_dir) },
	{ "fsync", "fsync", CFG_FSYNC, 0, 0, F(fsync) },
	{ "fsync_interval_ms", "fsync-interval-ms", CFG_MS, 1, HOUR_MS, F(fsync_interval_ms) },
	{ "max_message_bytes", "max-message-bytes", CFG_BYTES, 1, 256u << 20, F(max_message_bytes) },
	/* nng drops replies beyond 64 queued for one pipe. */
	{ "max_outstanding", "max-outstanding", CFG_COUNT, 1, 60, F(max_outstanding) },
	{ "max_pending_bytes", "max-pending-bytes", CFG_BYTES, 1, UINT64_MAX / 2, F(max_pending_bytes) },
	{ "retention_check_ms", "retention-check-ms", CFG_MS, 10, HOUR_MS, F(retention_check_ms) },
	{ "auto_create_topics", "auto-create-topics", CFG_BOOL, 0, 0, F(auto_create_topics) },
	{ "cursor_flush_ms", "cursor-flush-ms", CFG_MS, 1, HOUR_MS, F(cursor_flush_ms) },
	{ "watchdog_ms", "watchdog-ms", CFG_MS, 10, HOUR_MS, F(watchdog_ms) },
	{ "consumer_lease_ms", "consumer-lease-ms", CFG_MS, 100, DAY_MS, F(consumer_lease_ms) },
	{ "log_level", "log-level", CFG_LEVEL, 0, 0, F(log_level) },
	{ "log_format", "log-format", CFG_FORMAT, 0, 0, F(log_format) },
	{ "metrics_listen", "metrics-listen", CFG_STRING, 0, 0, F(metrics_listen) },
	{ "metrics_max_consumers", "metrics-max-consumers", CFG_COUNT, 0, 1000000,
	    F(metrics_max_consumers) },
	{ NULL, NULL, 0, 0, 0, 0 },
};

/* limits: (limit.c). Counts 0: no limit; durations 0: off. */
const config_setting config_limit_settings[] = {
	{ "max_connections", "max-connections", CFG_COUNT, 0, 10000000,
	    F(limits.max_connections) },
	{ "max_connections_per_principal", "max-connections-per-principal", CFG_COUNT,
	    0, 10000000, F(limits.max_connections_per_principal) },
	{ "max_connection_rate_per_address", "max-connection-rate-per-address",
	    CFG_COUNT, 0, 10000000, F(limits.max_connection_rate_per_address) },
	{ "max_producers_per_topic", "max-producers-per-topic", CFG_COUNT, 0, 10000000,
	    F(limits.max_producers_per_topic) },
	{ "max_consumers_per_topic", "max-consumers-per-topic", CFG_COUNT, 0, 10000000,
	    F(limits.max_consumers_per_topic) },
	{ "max_subscriptions_per_topic", "max-subscriptions-per-topic", CFG_COUNT, 0,
	    10000000, F(limits.max_subscriptions_per_topic) },
	{ "max_topics", "max-topics", CFG_COUNT, 0, 100000000, F(limits.max_topics) },
	{ "idle_timeout_ms", "idle-timeout-ms", CFG_MS, 0, 7 * DAY_MS,
	    F(limits.idle_timeout_ms) },
	{ "handshake_timeout_ms", "handshake-timeout-ms", CFG_MS, 0, HOUR_MS,
	    F(limits.handshake_timeout_ms) },
	{ NULL, NULL, 0, 0, 0, 0 },
};

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

static const char *overflow_names[] = { "drop_newest", "drop_oldest", "block" };

const char *
config_overflow_name(uint32_t overflow)
{
	return overflow < 3 ? overflow_names[overflow] : "drop_newest";
}

int
config_parse_overflow(const char *s, uint32_t *out)
{
	for (uint32_t i = 0; i < 3; i++) {
		if (strcmp(s, overflow_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

void
config_defaults(broker_config *c)
{
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
		.log_format = SL_LOG_TEXT,
		.metrics_listen = "http://127.0.0.1:9650",
		.metrics_max_consumers = 100,
		.sub_window = 1000,
		.sub_overflow = SLUICE_DROP_NEWEST,
		.sub_queue_size = 0,
		.sub_breaker_failures = 5,
		.sub_breaker_cooldown_ms = 1000,
		.sub_breaker_cooldown_max_ms = 60000,
		.sub_ack_timeout_ms = 30000,
		.sub_backoff = SLUICE__BACKOFF_KIND__BACKOFF_EXPONENTIAL,
		.sub_backoff_base_ms = 1000,
		.sub_backoff_max_ms = 60000,
		.sub_backoff_jitter_pct = 0,
		.sub_max_redeliveries = 5,
		.sub_on_exhausted = SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER,
		.limits = {
			.max_connections = 10000,
			.max_connections_per_principal = 1000,
			.max_connection_rate_per_address = 200,
			.max_producers_per_topic = 1000,
			.max_consumers_per_topic = 1000,
			.max_subscriptions_per_topic = 1000,
			.max_topics = 100000,
			.idle_timeout_ms = 600000,
			.handshake_timeout_ms = 10000,
		},
	};
}

void
config_fini(broker_config *c)
{
	for (size_t i = 0; i < c->npolicies; i++)
		sl_free(c->policies[i].match);
	sl_free(c->policies);
	acl_free(&c->acl);
	for (size_t i = 0; i < c->nowned; i++)
		sl_free(c->owned[i]);
	sl_free(c->owned);
	c->policies = NULL;
	c->npolicies = 0;
	c->owned = NULL;
	c->nowned = 0;
}

char *
config_own(broker_config *c, char *s)
{
	char **n = sl_realloc(c->owned, (c->nowned + 1) * sizeof(*n));
	if (s == NULL || n == NULL) {
		sl_free(s);
		return NULL;
	}
	c->owned = n;
	c->owned[c->nowned++] = s;
	return s;
}

const config_setting *
config_setting_find(const char *key)
{
	for (const config_setting *s = config_settings; s->key != NULL; s++)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

const config_setting *
config_limit_find(const char *key)
{
	for (const config_setting *s = config_limit_settings; s->key != NULL; s++)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

/* Reads a decimal number and an optional unit after it (spaces allowed
 * between). Returns 0 when s is digits then a unit of at most 3 chars. */
static int
number_unit(const char *s, uint64_t *num, char unit[4])
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	while (*end == ' ')
		end++;
	if (strlen(end) > 3)
		return -1;
	strcpy(unit, end);
	*num = v;
	return 0;
}

int
config_parse_duration(const char *s, int bare_ms, uint64_t *ms)
{
	static const struct { const char *u; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", HOUR_MS }, { "d", DAY_MS },
	};
	uint64_t v;
	char unit[4];
	if (number_unit(s, &v, unit) != 0)
		return -1;
	if (unit[0] == '\0') {
		if (!bare_ms && v != 0)
			return -1;
		*ms = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].u) == 0) {
			if (v > UINT64_MAX / units[i].ms)
				return -1;
			*ms = v * units[i].ms;
			return 0;
		}
	}
	return -1;
}

static const struct { const char *u; unsigned shift; } size_units[] = {
	{ "TiB", 40 }, { "GiB", 30 }, { "MiB", 20 }, { "KiB", 10 }, { "B", 0 },
};

int
config_parse_bytes(const char *s, uint64_t *bytes)
{
	uint64_t v;
	char unit[4];
	if (number_unit(s, &v, unit) != 0)
		return -1;
	if (unit[0] == '\0') {
		*bytes = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcmp(unit, size_units[i].u) == 0) {
			if (v > (UINT64_MAX >> size_units[i].shift))
				return -1;
			*bytes = v << size_units[i].shift;
			return 0;
		}
	}
	return -1;
}

void
config_format_duration(uint64_t ms, char *buf, size_t n)
{
	static const struct { const char *u; uint64_t ms; } units[] = {
		{ "d", DAY_MS }, { "h", HOUR_MS }, { "m", 60000 }, { "s", 1000 },
	};
	if (ms == 0) {
		snprintf(buf, n, "0");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, n, "%llu%s", (unsigned long long) (ms / units[i].ms),
			    units[i].u);
			return;
		}
	}
	snprintf(buf, n, "%llums", (unsigned long long) ms);
}

void
config_format_bytes(uint64_t bytes, char *buf, size_t n)
{
	/* Not "B": a bare number is bytes. */
	for (size_t i = 0; bytes != 0 && i + 1 < sizeof(size_units) / sizeof(size_units[0]); i++) {
		uint64_t unit = (uint64_t) 1 << size_units[i].shift;
		if (bytes % unit == 0) {
			snprintf(buf, n, "%llu%s", (unsigned long long) (bytes / unit),
			    size_units[i].u);
			return;
		}
	}
	snprintf(buf, n, "%llu", (unsigned long long) bytes);
}

static int
parse_bool(const char *v, int *out)
{
	static const char *yes[] = { "true", "on", "yes" }, *no[] = { "false", "off", "no" };
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			*out = strcmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

int
config_setting_set(broker_config *c, const config_setting *s, const char *v,
    int copy, char *why, size_t n)
{
	char *field = (char *) c + s->off;
	char lo[32], hi[32];
	uint64_t u = 0;
	switch (s->kind) {
	case CFG_STRING:
		if (*v == '\0') {
			snprintf(why, n, "must not be empty");
			return -1;
		}
		if (copy && (v = config_own(c, sl_strdup(v))) == NULL) {
			snprintf(why, n, "out of memory");
			return -1;
		}
		*(const char **) (void *) field = v;
		return 0;
	case CFG_FSYNC:
		if (strcmp(v, "never") == 0)
			c->fsync = FSYNC_NEVER;
		else if (strcmp(v, "interval") == 0)
			c->fsync = FSYNC_INTERVAL;
		else if (strcmp(v, "always") == 0)
			c->fsync = FSYNC_ALWAYS;
		else {
			snprintf(why, n, "'%s' is not never, interval or always", v);
			return -1;
		}
		return 0;
	case CFG_MS:
		if (config_parse_duration(v, 1, &u) != 0 || u < s->min || u > s->max) {
			config_format_duration(s->min, lo, sizeof(lo));
			config_format_duration(s->max, hi, sizeof(hi));
			snprintf(why, n, "'%s' is not a duration in %s..%s (milliseconds, "
			    "or a number with ms, s, m, h or d)", v, lo, hi);
			return -1;
		}
		*(uint32_t *) (void *) field = (uint32_t) u;
		return 0;
	case CFG_BYTES:
		if (config_parse_bytes(v, &u) != 0 || u < s->min || u > s->max) {
			snprintf(why, n, "'%s' is not a size in %llu..%llu (bytes, or a "
			    "number with B, KiB, MiB, GiB or TiB)", v,
			    (unsigned long long) s->min, (unsigned long long) s->max);
			return -1;
		}
		*(uint64_t *) (void *) field = u;
		return 0;
	case CFG_COUNT: {
		char *end;
		errno = 0;
		u = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || errno == ERANGE ||
		    u < s->min || u > s->max) {
			snprintf(why, n, "'%s' is not a number in %llu..%llu", v,
			    (unsigned long long) s->min, (unsigned long long) s->max);
			return -1;
		}
		*(uint32_t *) (void *) field = (uint32_t) u;
		return 0;
	}
	case CFG_BOOL:
		if (parse_bool(v, &c->auto_create_topics) != 0) {
			snprintf(why, n, "'%s' is not true or false (or on or off)", v);
			return -1;
		}
		return 0;
	case CFG_LEVEL:
		if (sl_log_parse_level(v, &c->log_level) != 0) {
			snprintf(why, n, "'%s' is not debug, info, warn or error", v);
			return -1;
		}
		return 0;
	case CFG_FORMAT:
		if (sl_log_parse_format(v, &c->log_format) != 0) {
			snprintf(why, n, "'%s' is not text or json", v);
			return -1;
		}
		return 0;
	}
	return -1;
}

void
config_setting_format(const broker_config *c, const config_setting *s,
    char *buf, size_t n)
{
	const char *field = (const char *) c + s->off;
	switch (s->kind) {
	case CFG_STRING:
		snprintf(buf, n, "%s", *(const char *const *) (const void *) field);
		break;
	case CFG_FSYNC:
		snprintf(buf, n, "%s", config_fsync_name(c->fsync));
		break;
	case CFG_MS:
	case CFG_COUNT:
		snprintf(buf, n, "%u", *(const uint32_t *) (const void *) field);
		break;
	case CFG_BYTES:
		config_format_bytes(*(const uint64_t *) (const void *) field, buf, n);
		break;
	case CFG_BOOL:
		snprintf(buf, n, "%s", c->auto_create_topics ? "true" : "false");
		break;
	case CFG_LEVEL:
		snprintf(buf, n, "%s", sl_log_level_name(c->log_level));
		break;
	case CFG_FORMAT:
		snprintf(buf, n, "%s", sl_log_format_name(c->log_format));
		break;
	}
}

static int
policy_matches(const char *pattern, const char *topic)
{
	size_t n = strlen(pattern);
	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, topic, n - 1) == 0;
	return strcmp(pattern, topic) == 0;
}

void
config_topic_retention(const broker_config *c, const char *topic,
    int64_t *age_ms, uint64_t *bytes, const char **policy)
{
	for (size_t i = 0; i < c->npolicies; i++) {
		const topic_policy *p = &c->policies[i];
		if (policy_matches(p->match, topic)) {
			*age_ms = p->retention_age_ms;
			*bytes = p->retention_bytes;
			if (policy != NULL)
				*policy = p->match;
			return;
		}
	}
	*age_ms = c->topic_retention_age_ms;
	*bytes = c->topic_retention_bytes;
	if (policy != NULL)
		*policy = NULL;
}

void
config_topic_publish_rate(const broker_config *c, const char *topic,
    uint64_t *msgs, uint64_t *bytes)
{
	for (size_t i = 0; i < c->npolicies; i++) {
		const topic_policy *p = &c->policies[i];
		if (policy_matches(p->match, topic)) {
			*msgs = p->publish_rate_msgs;
			*bytes = p->publish_rate_bytes;
			return;
		}
	}
	*msgs = c->topic_publish_rate_msgs;
	*bytes = c->topic_publish_rate_bytes;
}

enum { O_LIMITS = 700, O_CONFIG = 1000, O_PRINT };

#define NSETTINGS(t) (sizeof(t) / sizeof((t)[0]) - 1)

/* TLS flags (config_parse sets them; they have no config_setting). */
enum { O_TLS_CERT = 1100, O_TLS_KEY, O_TLS_CLIENT_CA, O_TLS_CLIENT_CRL };
/* Auth flags (docs/security.md); no config_setting either. */
enum { O_AUTH = 1200, O_AUTH_SECRET };

/* The flags: one per setting (value 256 + its index), one per limit
 * (O_LIMITS + its index), then the others. */
static void
build_options(struct option *o)
{
	size_t i = 0;
	for (; config_settings[i].key != NULL; i++)
		o[i] = (struct option) { config_settings[i].flag, required_argument,
			NULL, 256 + (int) i };
	for (size_t j = 0; config_limit_settings[j].key != NULL; j++)
		o[i++] = (struct option) { config_limit_settings[j].flag,
			required_argument, NULL, O_LIMITS + (int) j };
	o[i++] = (struct option) { "config", required_argument, NULL, O_CONFIG };
	o[i++] = (struct option) { "print-config", no_argument, NULL, O_PRINT };
	o[i++] = (struct option) { "tls-cert", required_argument, NULL, O_TLS_CERT };
	o[i++] = (struct option) { "tls-key", required_argument, NULL, O_TLS_KEY };
	o[i++] = (struct option) { "tls-client-ca", required_argument, NULL,
		O_TLS_CLIENT_CA };
	o[i++] = (struct option) { "tls-client-crl", required_argument, NULL,
		O_TLS_CLIENT_CRL };
	o[i++] = (struct option) { "auth", required_argument, NULL, O_AUTH };
	o[i++] = (struct option) { "auth-secret-file", required_argument, NULL, O_AUTH_SECRET };
	o[i++] = (struct option) { "help", no_argument, NULL, 'h' };
	o[i++] = (struct option) { "version", no_argument, NULL, 'V' };
	o[i] = (struct option) { NULL, 0, NULL, 0 };
}

int
config_parse(broker_config *c, int argc, char **argv)
{
	struct option opts[NSETTINGS(config_settings) +
	    NSETTINGS(config_limit_settings) + 5 + 4 /* tls */ + 2 /* auth */];
	const char *file = NULL;
	int print = 0, ch;
	char why[256];

	config_defaults(c);
	build_options(opts);
	/* First pass: --config, --print-config, --help and --version only,
	 * so the file is read before the flags that override it. Errors are
	 * reported by the second pass. */
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (ch == O_CONFIG) {
			file = optarg;
		} else if (ch == O_PRINT) {
			print = 1;
		} else if (ch == 'h') {
			fputs(usage, stdout);
			return 1;
		} else if (ch == 'V') {
			printf("sluiced %s (protocol %d)\n", SLUICE_VERSION,
			    SLUICE_PROTOCOL_VERSION);
			return 1;
		}
	}
	if (file != NULL && config_file_load(c, file) != 0)
		return -1;
	c->config_file = file;
	opterr = 1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (ch == O_CONFIG || ch == O_PRINT)
			continue;
		if (ch >= O_TLS_CERT && ch <= O_TLS_CLIENT_CRL) {
			static const char *const names[] = { "cert", "key", "client-ca",
				"client-crl" };
			const char **f = ch == O_TLS_CERT ? &c->tls_cert
			    : ch == O_TLS_KEY ? &c->tls_key
			    : ch == O_TLS_CLIENT_CA ? &c->tls_client_ca : &c->tls_client_crl;
			if (*optarg == '\0') {
				fprintf(stderr, "sluiced: --tls-%s: must not be empty\n",
				    names[ch - O_TLS_CERT]);
				return -1;
			}
			*f = optarg;
			continue;
		}
		if (ch == O_AUTH) {
			if (parse_bool(optarg, &c->auth_enabled) != 0) {
				fprintf(stderr, "sluiced: --auth: '%s' is not on or off\n", optarg);
				return -1;
			}
			continue;
		}
		if (ch == O_AUTH_SECRET) {
			c->auth_secret_file = optarg;
			continue;
		}
		if (ch < 256 || ch >= O_CONFIG) {
			fputs(usage, stderr);
			return -1;
		}
		const config_setting *s = ch >= O_LIMITS
		    ? &config_limit_settings[ch - O_LIMITS] : &config_settings[ch - 256];
		if (config_setting_set(c, s, optarg, 0, why, sizeof(why)) != 0) {
			fprintf(stderr, "sluiced: --%s: %s\n", s->flag, why);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	if (config_check_tls(c) != 0)
		return -1;
	if (print) {
		config_file_print(c, stdout);
		return 1;
	}
	return 0;
}

static const char *const exhausted_names[] = {
	[SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER] = "dead_letter",
	[SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK] = "block",
	[SLUICE__ON_EXHAUSTED__EXHAUSTED_DROP] = "drop",
	[SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK] = "park",
};

const char *
config_on_exhausted_name(uint32_t e)
{
	if (e >= sizeof(exhausted_names) / sizeof(exhausted_names[0]) ||
	    exhausted_names[e] == NULL)
		return "dead_letter";
	return exhausted_names[e];
}

int
config_parse_on_exhausted(const char *s, uint32_t *out)
{
	for (uint32_t e = 0; e < sizeof(exhausted_names) / sizeof(exhausted_names[0]); e++) {
		if (exhausted_names[e] != NULL && strcmp(s, exhausted_names[e]) == 0) {
			*out = e;
			return 0;
		}
	}
	return -1;
}

static int
url_is_tls(const char *url)
{
	return url != NULL && (strncmp(url, "tls+", 4) == 0 ||
	    strncmp(url, "https://", 8) == 0);
}

int
config_check_tls(const broker_config *c)
{
	int listen_tls = url_is_tls(c->listen_url);
	int metrics_tls = url_is_tls(c->metrics_listen);
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		fprintf(stderr, "sluiced: --tls-cert and --tls-key (tls.cert and "
		                "tls.key) go together: give both\n");
		return -1;
	}
	if ((listen_tls || metrics_tls) && c->tls_cert == NULL) {
		fprintf(stderr, "sluiced: %s %s needs a certificate and its key: "
		                "--tls-cert FILE --tls-key FILE (or tls.cert and "
		                "tls.key in the config file; docs/security.md)\n",
		    listen_tls ? "--listen" : "--metrics-listen",
		    listen_tls ? c->listen_url : c->metrics_listen);
		return -1;
	}
	if (c->tls_client_ca != NULL && c->tls_cert == NULL) {
		fprintf(stderr, "sluiced: --tls-client-ca needs --tls-cert and "
		                "--tls-key too\n");
		return -1;
	}
	if (c->tls_client_crl != NULL && c->tls_client_ca == NULL) {
		fprintf(stderr, "sluiced: --tls-client-crl (tls.client_crl) needs "
		                "--tls-client-ca: without client certificates there "
		                "is nothing to revoke\n");
		return -1;
	}
	/* A certificate nobody serves is a mistake: the operator believes
	 * the traffic is encrypted while it is not. */
	if (c->tls_cert != NULL && !listen_tls && !metrics_tls) {
		fprintf(stderr, "sluiced: --tls-cert given, but --listen %s is not "
		                "a tls+tcp:// address (nor --metrics-listen an "
		                "https:// one)\n", c->listen_url);
		return -1;
	}
	return 0;
}
