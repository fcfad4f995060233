/*
 * config_file.c - the YAML config file of sluiced (--config FILE), read
 * with libyaml, and --print-config, which writes the effective settings
 * back as a file this reads. Owns the file's shape (docs/configuration.md);
 * the settings' meaning, ranges and defaults are config.c's.
 *
 * Every mistake is refused with "sluiced: FILE:LINE: reason", the reason
 * naming the key: the broker never starts on a config it half understood.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "alloc.h"
#include "config.h"
#include "codec.h"
#include "sluice/sluice.h"

/* Retention age limit: 100 years, far below where ms * 1000 overflows. */
#define MAX_AGE_MS (36500ull * 86400000ull)
#define MAX_WINDOW 65535

typedef struct {
	const char *path;
	yaml_document_t doc;
	broker_config *c;
	int *policy_has;   /* per policy: bit 0 retention_age, bit 1 bytes,
	                    * bit 2 publish_rate_msgs, bit 3 publish_rate_bytes given */
} loader;

static int
fail(loader *L, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sluiced: %s:%zu: %s\n", L->path,
	    n != NULL ? n->start_mark.line + 1 : 1, why);
	return -1;
}

static yaml_node_t *
node(loader *L, int index)
{
	return yaml_document_get_node(&L->doc, index);
}

static const char *
kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a value";
	}
}

/* The scalar's text, or NULL (after an error naming key) when n is not a
 * non-null scalar. */
static const char *
scalar(loader *L, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail(L, n, "%s: expected a value, got %s", key, kind_name(n));
		return NULL;
	}
	const char *v = (const char *) n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		fail(L, n, "%s: the value contains a NUL byte", key);
		return NULL;
	}
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)) {
		fail(L, n, "%s: a value is required", key);
		return NULL;
	}
	return v;
}

static int
expect(loader *L, const yaml_node_t *n, yaml_node_type_t type, const char *key)
{
	if (n->type == type)
		return 0;
	return fail(L, n, "%s: expected %s, got %s", key,
	    type == YAML_MAPPING_NODE ? "a mapping" : "a list", kind_name(n));
}

/*
 * The key of pair p of mapping m, checked: a scalar, and not seen before
 * in m. prefix ("" or "topics.defaults.") names where m is. NULL after an
 * error.
 */
static const char *
pair_key(loader *L, const yaml_node_t *m, const yaml_node_pair_t *p, const char *prefix)
{
	const yaml_node_t *k = node(L, p->key);
	if (k->type != YAML_SCALAR_NODE) {
		fail(L, k, "%skeys must be names, not %s", prefix, kind_name(k));
		return NULL;
	}
	const char *name = (const char *) k->data.scalar.value;
	for (const yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
		const yaml_node_t *qk = node(L, q->key);
		if (qk->type == YAML_SCALAR_NODE &&
		    strcmp((const char *) qk->data.scalar.value, name) == 0) {
			fail(L, k, "%s%s: duplicate key (first at line %zu)", prefix,
			    name, qk->start_mark.line + 1);
			return NULL;
		}
	}
	return name;
}

static int
load_duration(loader *L, const yaml_node_t *n, const char *key, int64_t *out)
{
	uint64_t ms;
	const char *v = scalar(L, n, key);
	if (v == NULL)
		return -1;
	if (config_parse_duration(v, 0, &ms) != 0 || ms > MAX_AGE_MS)
		return fail(L, n, "%s: '%s' is not a duration (0, or a number with "
		    "ms, s, m, h or d, up to 36500d)", key, v);
	*out = (int64_t) ms;
	return 0;
}

static int
load_bytes(loader *L, const yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *v = scalar(L, n, key);
	if (v == NULL)
		return -1;
	if (config_parse_bytes(v, out) != 0 || *out > UINT64_MAX / 2)
		return fail(L, n, "%s: '%s' is not a size (bytes, or a number with "
		    "B, KiB, MiB, GiB or TiB)", key, v);
	return 0;
}

static int
load_count(loader *L, const yaml_node_t *n, const char *key, uint32_t min,
    uint32_t max, uint32_t *out)
{
	const char *v = scalar(L, n, key);
	char *end;
	if (v == NULL)
		return -1;
	errno = 0;
	unsigned long long u = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno == ERANGE || u < min || u > max)
		return fail(L, n, "%s: '%s' is not a number in %u..%u", key, v, min, max);
	*out = (uint32_t) u;
	return 0;
}

/* Rates: messages per second, 0 (no limit) up to 2^40. */
static int
load_rate(loader *L, const yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *v = scalar(L, n, key);
	char *end;
	if (v == NULL)
		return -1;
	errno = 0;
	unsigned long long u = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno == ERANGE || u > (1ull << 40))
		return fail(L, n, "%s: '%s' is not a rate (messages per second, 0 "
		    "for no limit)", key, v);
	*out = u;
	return 0;
}

/* Durations that fit a uint32_t of milliseconds (about 49 days). */
static int
load_ms32(loader *L, const yaml_node_t *n, const char *key, uint32_t *out)
{
	uint64_t ms;
	const char *v = scalar(L, n, key);
	if (v == NULL)
		return -1;
	if (config_parse_duration(v, 1, &ms) != 0 || ms > UINT32_MAX)
		return fail(L, n, "%s: '%s' is not a duration (a number with ms, "
		    "s, m, h or d, up to 49d)", key, v);
	*out = (uint32_t) ms;
	return 0;
}

/* The keys of topics.defaults and of each policy. has: bit 0 age, bit 1
 * bytes, bit 2 publish_rate_msgs, bit 3 publish_rate_bytes were given. */
static int
load_retention(loader *L, const yaml_node_t *m, const char *prefix,
    topic_policy *tp, const char **match, int *has)
{
	int64_t *age = &tp->retention_age_ms;
	uint64_t *bytes = &tp->retention_bytes;
	char key[128];
	if (expect(L, m, YAML_MAPPING_NODE, prefix) != 0)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		char pfx[128];
		snprintf(pfx, sizeof(pfx), "%s.", prefix);
		const char *k = pair_key(L, m, p, pfx);
		const yaml_node_t *v = node(L, p->value);
		if (k == NULL)
			return -1;
		snprintf(key, sizeof(key), "%s.%s", prefix, k);
		if (strcmp(k, "retention_age") == 0) {
			if (load_duration(L, v, key, age) != 0)
				return -1;
			*has |= 1;
		} else if (strcmp(k, "retention_bytes") == 0) {
			if (load_bytes(L, v, key, bytes) != 0)
				return -1;
			*has |= 2;
		} else if (strcmp(k, "publish_rate_msgs") == 0) {
			if (load_rate(L, v, key, &tp->publish_rate_msgs) != 0)
				return -1;
			*has |= 4;
		} else if (strcmp(k, "publish_rate_bytes") == 0) {
			if (load_bytes(L, v, key, &tp->publish_rate_bytes) != 0)
				return -1;
			*has |= 8;
		} else if (match != NULL && strcmp(k, "match") == 0) {
			if ((*match = scalar(L, v, key)) == NULL)
				return -1;
		} else {
			return fail(L, node(L, p->key), "unknown key '%s' (expected %s"
			    "retention_age, retention_bytes, publish_rate_msgs or "
			    "publish_rate_bytes)", key, match != NULL ? "match, " : "");
		}
	}
	return 0;
}

/* A policy's pattern: a topic name, or a prefix of one followed by '*'. */
static int
pattern_is_valid(const char *s)
{
	size_t n = strlen(s);
	char prefix[256];
	if (n == 0 || n > 255)
		return 0;
	if (s[n - 1] != '*')
		return sluice_topic_name_is_valid(s);
	if (n == 1)
		return 1;
	memcpy(prefix, s, n - 1);
	prefix[n - 1] = '\0';
	return sluice_topic_name_is_valid(prefix);
}

static int
load_policies(loader *L, const yaml_node_t *seq)
{
	broker_config *c = L->c;
	if (expect(L, seq, YAML_SEQUENCE_NODE, "topics.policies") != 0)
		return -1;
	size_t n = (size_t) (seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (c->policies != NULL)
		return fail(L, seq, "topics.policies: given twice");
	int *has = sl_alloc((n ? n : 1) * sizeof(*has));
	topic_policy *ps = sl_alloc((n ? n : 1) * sizeof(*ps));
	if (has == NULL || ps == NULL) {
		sl_free(has);
		sl_free(ps);
		return fail(L, seq, "topics.policies: out of memory");
	}
	/* Owned from here on, so they are freed on any error. */
	c->policies = ps;
	c->npolicies = 0;
	L->policy_has = has;
	int rv = 0;
	for (size_t i = 0; i < n && rv == 0; i++) {
		const yaml_node_t *m = node(L, seq->data.sequence.items.start[i]);
		const char *match = NULL;
		char key[64];
		snprintf(key, sizeof(key), "topics.policies[%zu]", i);
		rv = load_retention(L, m, key, &ps[i], &match, &has[i]);
		if (rv != 0)
			break;
		if (match == NULL) {
			rv = fail(L, m, "%s: match is required (a topic name, or a "
			    "prefix ending with *)", key);
		} else if (!pattern_is_valid(match)) {
			rv = fail(L, m, "%s.match: '%s' is not a topic name or a prefix "
			    "ending with *", key, match);
		} else if ((ps[i].match = sl_strdup(match)) == NULL) {
			rv = fail(L, m, "%s: out of memory", key);
		} else {
			c->npolicies++;
		}
	}
	return rv;
}

static int
load_topics(loader *L, const yaml_node_t *m)
{
	if (expect(L, m, YAML_MAPPING_NODE, "topics") != 0)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = pair_key(L, m, p, "topics.");
		const yaml_node_t *v = node(L, p->value);
		int has = 0;
		if (k == NULL)
			return -1;
		if (strcmp(k, "defaults") == 0) {
			broker_config *c = L->c;
			topic_policy d = { NULL, c->topic_retention_age_ms,
				c->topic_retention_bytes, c->topic_publish_rate_msgs,
				c->topic_publish_rate_bytes };
			if (load_retention(L, v, "topics.defaults", &d, NULL, &has) != 0)
				return -1;
			c->topic_retention_age_ms = d.retention_age_ms;
			c->topic_retention_bytes = d.retention_bytes;
			c->topic_publish_rate_msgs = d.publish_rate_msgs;
			c->topic_publish_rate_bytes = d.publish_rate_bytes;
		} else if (strcmp(k, "policies") == 0) {
			if (load_policies(L, v) != 0)
				return -1;
		} else {
			return fail(L, node(L, p->key), "unknown key 'topics.%s' (expected "
			    "defaults or policies)", k);
		}
	}
	return 0;
}

static int
load_sub_defaults(loader *L, const yaml_node_t *m)
{
	broker_config *c = L->c;
	char key[96];
	if (expect(L, m, YAML_MAPPING_NODE, "subscriptions.defaults") != 0)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = pair_key(L, m, p, "subscriptions.defaults.");
		const yaml_node_t *v = node(L, p->value);
		const char *s;
		if (k == NULL)
			return -1;
		snprintf(key, sizeof(key), "subscriptions.defaults.%s", k);
		if (strcmp(k, "window") == 0) {
			if (load_count(L, v, key, 1, MAX_WINDOW, &c->sub_window) != 0)
				return -1;
		} else if (strcmp(k, "queue_size") == 0) {
			if (load_count(L, v, key, 0, MAX_WINDOW, &c->sub_queue_size) != 0)
				return -1;
		} else if (strcmp(k, "overflow") == 0) {
			if ((s = scalar(L, v, key)) == NULL)
				return -1;
			if (config_parse_overflow(s, &c->sub_overflow) != 0)
				return fail(L, v, "%s: '%s' is not drop_newest, drop_oldest "
				    "or block", key, s);
		} else if (strcmp(k, "dispatch_rate_msgs") == 0) {
			if (load_rate(L, v, key, &c->sub_dispatch_rate_msgs) != 0)
				return -1;
		} else if (strcmp(k, "dispatch_rate_bytes") == 0) {
			if (load_bytes(L, v, key, &c->sub_dispatch_rate_bytes) != 0)
				return -1;
		} else if (strcmp(k, "breaker_failures") == 0) {
			if (load_count(L, v, key, 0, 1000000, &c->sub_breaker_failures) != 0)
				return -1;
		} else if (strcmp(k, "breaker_cooldown") == 0) {
			if (load_ms32(L, v, key, &c->sub_breaker_cooldown_ms) != 0)
				return -1;
		} else if (strcmp(k, "breaker_cooldown_max") == 0) {
			if (load_ms32(L, v, key, &c->sub_breaker_cooldown_max_ms) != 0)
				return -1;
		} else if (strcmp(k, "ack_timeout") == 0) {
			if (load_ms32(L, v, key, &c->sub_ack_timeout_ms) != 0)
				return -1;
		} else if (strcmp(k, "backoff") == 0) {
			if ((s = scalar(L, v, key)) == NULL)
				return -1;
			if (strcmp(s, "exponential") == 0)
				c->sub_backoff = SLUICE__BACKOFF_KIND__BACKOFF_EXPONENTIAL;
			else if (strcmp(s, "fixed") == 0)
				c->sub_backoff = SLUICE__BACKOFF_KIND__BACKOFF_FIXED;
			else
				return fail(L, v, "%s: '%s' is not fixed or exponential", key, s);
		} else if (strcmp(k, "backoff_base") == 0) {
			if (load_ms32(L, v, key, &c->sub_backoff_base_ms) != 0)
				return -1;
		} else if (strcmp(k, "backoff_max") == 0) {
			if (load_ms32(L, v, key, &c->sub_backoff_max_ms) != 0)
				return -1;
		} else if (strcmp(k, "backoff_jitter_pct") == 0) {
			if (load_count(L, v, key, 0, 100, &c->sub_backoff_jitter_pct) != 0)
				return -1;
		} else if (strcmp(k, "max_redeliveries") == 0) {
			if (load_count(L, v, key, 0, 1000000, &c->sub_max_redeliveries) != 0)
				return -1;
		} else if (strcmp(k, "on_exhausted") == 0) {
			if ((s = scalar(L, v, key)) == NULL)
				return -1;
			if (config_parse_on_exhausted(s, &c->sub_on_exhausted) != 0)
				return fail(L, v, "%s: '%s' is not dead_letter, block, drop or "
				    "park", key, s);
		} else {
			return fail(L, node(L, p->key), "unknown key '%s' (expected window, "
			    "overflow, queue_size, dispatch_rate_msgs, dispatch_rate_bytes, "
			    "breaker_failures, breaker_cooldown, breaker_cooldown_max, "
			    "ack_timeout, backoff, backoff_base, backoff_max, "
			    "backoff_jitter_pct, max_redeliveries or on_exhausted)", key);
		}
	}
	if (c->sub_backoff_max_ms < c->sub_backoff_base_ms)
		return fail(L, m, "subscriptions.defaults: backoff_max (%u ms) must be "
		    "at least backoff_base (%u ms)", c->sub_backoff_max_ms,
		    c->sub_backoff_base_ms);
	if (c->sub_breaker_cooldown_max_ms < c->sub_breaker_cooldown_ms)
		return fail(L, m, "subscriptions.defaults: breaker_cooldown_max (%u ms) "
		    "must be at least breaker_cooldown (%u ms)",
		    c->sub_breaker_cooldown_max_ms, c->sub_breaker_cooldown_ms);
	return 0;
}

static int
load_subscriptions(loader *L, const yaml_node_t *m)
{
	if (expect(L, m, YAML_MAPPING_NODE, "subscriptions") != 0)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = pair_key(L, m, p, "subscriptions.");
		if (k == NULL)
			return -1;
		if (strcmp(k, "defaults") != 0)
			return fail(L, node(L, p->key), "unknown key 'subscriptions.%s' "
			    "(expected defaults)", k);
		if (load_sub_defaults(L, node(L, p->value)) != 0)
			return -1;
	}
	return 0;
}

/* limits: each key is a setting of config_limit_settings (config.c). */
static int
load_limits(loader *L, const yaml_node_t *m)
{
	char why[256];
	if (expect(L, m, YAML_MAPPING_NODE, "limits") != 0)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = pair_key(L, m, p, "limits.");
		const yaml_node_t *v = node(L, p->value);
		const config_setting *s;
		const char *val;
		char key[96];
		if (k == NULL)
			return -1;
		snprintf(key, sizeof(key), "limits.%s", k);
		if ((s = config_limit_find(k)) == NULL)
			return fail(L, node(L, p->key), "unknown key '%s'", key);
		if ((val = scalar(L, v, key)) == NULL)
			return -1;
		if (config_setting_set(L->c, s, val, 1, why, sizeof(why)) != 0)
			return fail(L, v, "%s: %s", key, why);
	}
	return 0;
}

static int
load_bool(loader *L, const yaml_node_t *n, const char *key, int *out)
{
	const char *v = scalar(L, n, key);
	if (v == NULL)
		return -1;
	if (strcmp(v, "true") == 0 || strcmp(v, "on") == 0 || strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "no") == 0)
		*out = 0;
	else
		return fail(L, n, "%s: '%s' is not true or false", key, v);
	return 0;
}

/* auth: { enabled, secret_file, metrics_token_required } */
static int
load_auth(loader *L, const yaml_node_t *m)
{
	broker_config *c = L->c;
	if (expect(L, m, YAML_MAPPING_NODE, "auth") != 0)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = pair_key(L, m, p, "auth.");
		const yaml_node_t *v = node(L, p->value);
		const char *s;
		if (k == NULL)
			return -1;
		if (strcmp(k, "enabled") == 0) {
			if (load_bool(L, v, "auth.enabled", &c->auth_enabled) != 0)
				return -1;
		} else if (strcmp(k, "metrics_token_required") == 0) {
			if (load_bool(L, v, "auth.metrics_token_required",
			        &c->metrics_token_required) != 0)
				return -1;
		} else if (strcmp(k, "secret_file") == 0) {
			if ((s = scalar(L, v, "auth.secret_file")) == NULL)
				return -1;
			if ((c->auth_secret_file = config_own(c, sl_strdup(s))) == NULL)
				return fail(L, v, "auth.secret_file: out of memory");
		} else {
			return fail(L, node(L, p->key), "unknown key 'auth.%s' (expected "
			    "enabled, secret_file or metrics_token_required)", k);
		}
	}
	return 0;
}

/* acl: [ { principal: NAME, produce: [PATTERN...], consume: [...], admin: [...] } ] */
static int
load_acl(loader *L, const yaml_node_t *seq)
{
	broker_config *c = L->c;
	if (expect(L, seq, YAML_SEQUENCE_NODE, "acl") != 0)
		return -1;
	if (c->acl.n != 0)
		return fail(L, seq, "acl: given twice");
	size_t n = (size_t) (seq->data.sequence.items.top - seq->data.sequence.items.start);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *m = node(L, seq->data.sequence.items.start[i]);
		const char *who = NULL;
		char key[96];
		snprintf(key, sizeof(key), "acl[%zu]", i);
		if (expect(L, m, YAML_MAPPING_NODE, key) != 0)
			return -1;
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
		     p < m->data.mapping.pairs.top; p++) {
			const char *k = pair_key(L, m, p, "acl[].");
			if (k == NULL)
				return -1;
			if (strcmp(k, "principal") == 0) {
				snprintf(key, sizeof(key), "acl[%zu].principal", i);
				if ((who = scalar(L, node(L, p->value), key)) == NULL)
					return -1;
				if (strlen(who) >= 128 || strchr(who, '\n') != NULL)
					return fail(L, node(L, p->value), "%s: '%s' is not a "
					    "principal name (1..127 bytes, one line)", key, who);
			}
		}
		if (who == NULL)
			return fail(L, m, "acl[%zu]: principal is required", i);
		if (acl_find(&c->acl, who) != NULL)
			return fail(L, m, "acl[%zu]: principal '%s' is listed twice", i, who);
		acl_entry *e = acl_add(&c->acl, who);
		if (e == NULL)
			return fail(L, m, "acl: out of memory");
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
		     p < m->data.mapping.pairs.top; p++) {
			const char *k = (const char *) node(L, p->key)->data.scalar.value;
			const yaml_node_t *v = node(L, p->value);
			acl_perm perm;
			if (strcmp(k, "principal") == 0)
				continue;
			snprintf(key, sizeof(key), "acl[%zu].%s", i, k);
			if (acl_perm_parse(k, &perm) != 0)
				return fail(L, node(L, p->key), "unknown key '%s' (expected "
				    "principal, produce, consume or admin)", key);
			if (expect(L, v, YAML_SEQUENCE_NODE, key) != 0)
				return -1;
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++) {
				const yaml_node_t *pn = node(L, *it);
				const char *pat = scalar(L, pn, key);
				if (pat == NULL)
					return -1;
				if (!pattern_is_valid(pat))
					return fail(L, pn, "%s: '%s' is not a topic name or a "
					    "prefix ending with *", key, pat);
				if (acl_entry_add(e, perm, pat) != 0)
					return fail(L, pn, "%s: out of memory", key);
			}
		}
	}
	return 0;
}

/* tls: cert, key and client_ca, each a path to a PEM file (relative to
 * the directory sluiced runs in). config_check_tls checks them after the
 * flags are read. */
static int
load_tls(loader *L, const yaml_node_t *m)
{
	broker_config *c = L->c;
	if (expect(L, m, YAML_MAPPING_NODE, "tls") != 0)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = pair_key(L, m, p, "tls.");
		const yaml_node_t *v = node(L, p->value);
		const char **field, *val;
		char key[64];
		if (k == NULL)
			return -1;
		snprintf(key, sizeof(key), "tls.%s", k);
		if (strcmp(k, "cert") == 0)
			field = &c->tls_cert;
		else if (strcmp(k, "key") == 0)
			field = &c->tls_key;
		else if (strcmp(k, "client_ca") == 0)
			field = &c->tls_client_ca;
		else if (strcmp(k, "client_crl") == 0)
			field = &c->tls_client_crl;
		else
			return fail(L, node(L, p->key), "unknown key '%s' (expected "
			    "cert, key, client_ca or client_crl)", key);
		if ((val = scalar(L, v, key)) == NULL)
			return -1;
		if (*val == '\0')
			return fail(L, v, "%s: must not be empty", key);
		if ((*field = config_own(c, sl_strdup(val))) == NULL)
			return fail(L, v, "%s: out of memory", key);
	}
	return 0;
}

static int
load_root(loader *L, const yaml_node_t *root)
{
	char why[256];
	if (root->type != YAML_MAPPING_NODE)
		return fail(L, root, "the file must be a mapping of keys to values, "
		    "not %s", kind_name(root));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		const char *k = pair_key(L, root, p, "");
		const yaml_node_t *v = node(L, p->value);
		const config_setting *s;
		const char *val;
		if (k == NULL)
			return -1;
		if (strcmp(k, "topics") == 0) {
			if (load_topics(L, v) != 0)
				return -1;
		} else if (strcmp(k, "subscriptions") == 0) {
			if (load_subscriptions(L, v) != 0)
				return -1;
		} else if (strcmp(k, "tls") == 0) {
			if (load_tls(L, v) != 0)
				return -1;
		} else if (strcmp(k, "auth") == 0) {
			if (load_auth(L, v) != 0)
				return -1;
		} else if (strcmp(k, "acl") == 0) {
			if (load_acl(L, v) != 0)
				return -1;
		} else if (strcmp(k, "limits") == 0) {
			if (load_limits(L, v) != 0)
				return -1;
		} else if ((s = config_setting_find(k)) != NULL) {
			if ((val = scalar(L, v, k)) == NULL)
				return -1;
			if (config_setting_set(L->c, s, val, 1, why, sizeof(why)) != 0)
				return fail(L, v, "%s: %s", k, why);
		} else {
			return fail(L, node(L, p->key), "unknown key '%s'", k);
		}
	}
	return 0;
}

static void
syntax_error(loader *L, const yaml_parser_t *p)
{
	const char *what = p->error == YAML_MEMORY_ERROR ? "out of memory"
	                                                 : "YAML syntax error";
	size_t line = p->problem_mark.line + 1;
	if (p->error == YAML_READER_ERROR)
		line = p->mark.line + 1;
	fprintf(stderr, "sluiced: %s:%zu: %s: %s%s%s\n", L->path, line, what,
	    p->problem ? p->problem : "unknown problem", p->context ? " " : "",
	    p->context ? p->context : "");
}

/* Keys a policy leaves out come from topics.defaults, wherever in the
 * file those are: filled in once the whole file is read. */
static void
resolve_policies(loader *L)
{
	broker_config *c = L->c;
	for (size_t i = 0; i < c->npolicies; i++) {
		topic_policy *p = &c->policies[i];
		if (!(L->policy_has[i] & 1))
			p->retention_age_ms = c->topic_retention_age_ms;
		if (!(L->policy_has[i] & 2))
			p->retention_bytes = c->topic_retention_bytes;
		if (!(L->policy_has[i] & 4))
			p->publish_rate_msgs = c->topic_publish_rate_msgs;
		if (!(L->policy_has[i] & 8))
			p->publish_rate_bytes = c->topic_publish_rate_bytes;
	}
	sl_free(L->policy_has);
	L->policy_has = NULL;
}

int
config_file_load(broker_config *c, const char *path)
{
	loader L = { .path = path, .c = c };
	yaml_parser_t parser;
	FILE *f = fopen(path, "rb");
	int rv = -1;
	if (f == NULL) {
		fprintf(stderr, "sluiced: %s:0: cannot open the config file: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "sluiced: %s:0: out of memory\n", path);
		fclose(f);
		return -1;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &L.doc)) {
		syntax_error(&L, &parser);
		goto out;
	}
	yaml_node_t *root = yaml_document_get_root_node(&L.doc);
	/* An empty file sets nothing. */
	rv = root != NULL ? load_root(&L, root) : 0;
	resolve_policies(&L);
	yaml_document_delete(&L.doc);
	if (rv != 0)
		goto out;
	/* One document per file: a second one would be silently ignored. */
	rv = -1;
	if (!yaml_parser_load(&parser, &L.doc)) {
		syntax_error(&L, &parser);
		goto out;
	}
	if ((root = yaml_document_get_root_node(&L.doc)) != NULL)
		fail(&L, root, "a second YAML document; the file must hold one");
	else
		rv = 0;
	yaml_document_delete(&L.doc);
out:
	yaml_parser_delete(&parser);
	fclose(f);
	return rv;
}

/* Writes s as a YAML double-quoted scalar. */
static void
print_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *) s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7F)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
print_retention(FILE *out, const char *indent, int64_t age, uint64_t bytes)
{
	char a[32], b[32];
	config_format_duration((uint64_t) age, a, sizeof(a));
	config_format_bytes(bytes, b, sizeof(b));
	fprintf(out, "%sretention_age: %s\n%sretention_bytes: %s\n", indent, a,
	    indent, b);
}

static void
print_publish_rate(FILE *out, const char *indent, uint64_t msgs, uint64_t bytes)
{
	char b[32];
	config_format_bytes(bytes, b, sizeof(b));
	fprintf(out, "%spublish_rate_msgs: %llu\n%spublish_rate_bytes: %s\n", indent,
	    (unsigned long long) msgs, indent, b);
}

/* tls: only the keys that are set (an empty mapping when none is). */
static void
print_tls(const broker_config *c, FILE *out)
{
	const char *keys[] = { "cert", "key", "client_ca", "client_crl" };
	const char *vals[] = { c->tls_cert, c->tls_key, c->tls_client_ca,
		c->tls_client_crl };
	int any = 0;
	for (size_t i = 0; i < 4; i++)
		any |= vals[i] != NULL;
	fprintf(out, "tls:%s\n", any ? "" : " {}");
	for (size_t i = 0; i < 4; i++) {
		if (vals[i] == NULL)
			continue;
		fprintf(out, "  %s: ", keys[i]);
		print_string(out, vals[i]);
		fputc('\n', out);
	}
}

void
config_file_print(const broker_config *c, FILE *out)
{
	char v[4096];
	fprintf(out, "# sluiced %s: effective configuration (--print-config)\n",
	    SLUICE_VERSION);
	for (const config_setting *s = config_settings; s->key != NULL; s++) {
		config_setting_format(c, s, v, sizeof(v));
		fprintf(out, "%s: ", s->key);
		if (s->kind == CFG_STRING)
			print_string(out, v);
		else
			fputs(v, out);
		fputc('\n', out);
	}
	fprintf(out, "topics:\n  defaults:\n");
	print_retention(out, "    ", c->topic_retention_age_ms, c->topic_retention_bytes);
	print_publish_rate(out, "    ", c->topic_publish_rate_msgs, c->topic_publish_rate_bytes);
	fprintf(out, "  policies:%s\n", c->npolicies == 0 ? " []" : "");
	for (size_t i = 0; i < c->npolicies; i++) {
		fprintf(out, "    - match: ");
		print_string(out, c->policies[i].match);
		fputc('\n', out);
		print_retention(out, "      ", c->policies[i].retention_age_ms,
		    c->policies[i].retention_bytes);
		print_publish_rate(out, "      ", c->policies[i].publish_rate_msgs,
		    c->policies[i].publish_rate_bytes);
	}
	fprintf(out, "subscriptions:\n  defaults:\n    window: %u\n    overflow: %s\n"
	             "    queue_size: %u\n",
	    c->sub_window, config_overflow_name(c->sub_overflow), c->sub_queue_size);
	char rb[32], cd[32], cdm[32];
	config_format_bytes(c->sub_dispatch_rate_bytes, rb, sizeof(rb));
	config_format_duration(c->sub_breaker_cooldown_ms, cd, sizeof(cd));
	config_format_duration(c->sub_breaker_cooldown_max_ms, cdm, sizeof(cdm));
	fprintf(out, "    dispatch_rate_msgs: %llu\n    dispatch_rate_bytes: %s\n"
	             "    breaker_failures: %u\n    breaker_cooldown: %s\n"
	             "    breaker_cooldown_max: %s\n",
	    (unsigned long long) c->sub_dispatch_rate_msgs, rb, c->sub_breaker_failures,
	    cd, cdm);
	char at[32], bb[32], bm[32];
	config_format_duration(c->sub_ack_timeout_ms, at, sizeof(at));
	config_format_duration(c->sub_backoff_base_ms, bb, sizeof(bb));
	config_format_duration(c->sub_backoff_max_ms, bm, sizeof(bm));
	fprintf(out, "    ack_timeout: %s\n    backoff: %s\n    backoff_base: %s\n"
	             "    backoff_max: %s\n    backoff_jitter_pct: %u\n"
	             "    max_redeliveries: %u\n    on_exhausted: %s\n",
	    at, c->sub_backoff == SLUICE__BACKOFF_KIND__BACKOFF_FIXED ? "fixed" : "exponential",
	    bb, bm, c->sub_backoff_jitter_pct, c->sub_max_redeliveries,
	    config_on_exhausted_name(c->sub_on_exhausted));
	print_tls(c, out);
	fprintf(out, "limits:\n");
	for (const config_setting *s = config_limit_settings; s->key != NULL; s++) {
		config_setting_format(c, s, v, sizeof(v));
		fprintf(out, "  %s: %s\n", s->key, v);
	}	fprintf(out, "auth:\n  enabled: %s\n  metrics_token_required: %s\n",
	    c->auth_enabled ? "true" : "false",
	    c->metrics_token_required ? "true" : "false");
	if (c->auth_secret_file != NULL) {
		fprintf(out, "  secret_file: ");
		print_string(out, c->auth_secret_file);
		fputc('\n', out);
	}
	fprintf(out, "acl:%s\n", c->acl.n == 0 ? " []" : "");
	for (size_t i = 0; i < c->acl.n; i++) {
		const acl_entry *e = &c->acl.entries[i];
		fprintf(out, "  - principal: ");
		print_string(out, e->principal);
		fputc('\n', out);
		for (int p = 0; p < ACL_NPERMS; p++) {
			fprintf(out, "    %s: [", acl_perm_name((acl_perm) p));
			for (size_t j = 0; j < e->npats[p]; j++) {
				fputs(j ? ", " : "", out);
				print_string(out, e->pats[p][j]);
			}
			fprintf(out, "]\n");
		}
	}
}
