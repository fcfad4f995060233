/*
 * topics.c - `sluice-admin topics list|create|configure|delete|stats|peek`.
 * Each command is one Admin request; this file owns their arguments and
 * their output (tables, key: value blocks, JSON with the proto's field
 * names).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "policy.h"
#include "request.h"
#include "units.h"

/* Most records one peek may ask for: a look, not an export. */
#define PEEK_MAX 1000

void
adm_json_topic(out_json *j, const char *key, const Sluice__TopicInfo *t)
{
	out_json_obj_open(j, key);
	out_json_str(j, "name", t->name);
	out_json_u64(j, "first_offset", t->first_offset);
	out_json_u64(j, "head_offset", t->head_offset);
	out_json_u64(j, "messages", t->messages);
	out_json_u64(j, "bytes", t->bytes);
	out_json_f64(j, "publish_rate", t->publish_rate);
	out_json_u64(j, "producers", t->producers);
	out_json_u64(j, "subscriptions", t->subscriptions);
	out_json_i64(j, "retention_age_ms", t->retention_age_ms);
	out_json_u64(j, "retention_bytes", t->retention_bytes);
	out_json_u64(j, "published_total", t->published_total);
	out_json_u64(j, "published_bytes_total", t->published_bytes_total);
	policy_json_limit(j, "publish_limit", t->publish_limit);
	out_json_u64(j, "rate_limited", t->rate_limited);
	out_json_obj_close(j);
}

/* "7d, 100 MiB", "7d", "100 MiB" or "forever". */
static void
retention(const Sluice__TopicInfo *t, char *buf, size_t n)
{
	char age[64] = "", size[32] = "";
	if (t->retention_age_ms > 0)
		units_format_duration_ms(t->retention_age_ms, age, sizeof(age));
	if (t->retention_bytes > 0)
		units_format_size(t->retention_bytes, size, sizeof(size));
	if (age[0] == '\0' && size[0] == '\0')
		snprintf(buf, n, "forever");
	else
		snprintf(buf, n, "%s%s%s", age, age[0] && size[0] ? ", " : "",
		    size);
}

/* The common start of a command: arguments, then the request. */
static int
args(const adm_cmd *cmd, int argc, char **argv, const adm_opt *opts,
    adm_common *co, const char **ops, int nops)
{
	int n, rv;
	if ((rv = adm_args(cmd, argc, argv, opts, co, ops, nops, nops, &n)) >= 0)
		return rv;
	return nops > 0 ? adm_check_name(cmd, co, "topic", ops[0]) : -1;
}

static int
no_topic(const adm_common *co, const char *what)
{
	return adm_fail(co, what, SLUICE_EPROTO, "the reply has no topic", 0);
}

/* ---- list ------------------------------------------------------------ */

static int
list(const adm_cmd *cmd, int argc, char **argv)
{
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, NULL, &co, NULL, 0)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_TOPICS_LIST;
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, "topics list", &rq, &r)) >= 0)
		return rv;
	if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_arr_open(&j, "topics");
		for (size_t i = 0; i < r->n_topics; i++)
			adm_json_topic(&j, NULL, r->topics[i]);
		out_json_arr_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	} else {
		static const char *const h[] = { "NAME", "FIRST", "HEAD",
			"MESSAGES", "BYTES", "PUB/S", "SUBS", "RETENTION" };
		out_table *t = out_table_alloc(8, h, "lrrrrrrl");
		for (size_t i = 0; i < r->n_topics; i++) {
			const Sluice__TopicInfo *ti = r->topics[i];
			char bytes[32], ret[96];
			units_format_size(ti->bytes, bytes, sizeof(bytes));
			retention(ti, ret, sizeof(ret));
			out_table_cell(t, "%s", ti->name);
			out_table_cell(t, "%" PRIu64, ti->first_offset);
			out_table_cell(t, "%" PRIu64, ti->head_offset);
			out_table_cell(t, "%" PRIu64, ti->messages);
			out_table_cell(t, "%s", bytes);
			out_table_cell(t, "%.1f", ti->publish_rate);
			out_table_cell(t, "%" PRIu32, ti->subscriptions);
			out_table_cell(t, "%s", ret);
		}
		out_table_print(t, stdout);
	}
	adm_result_free(r);
	return ADM_EXIT_OK;
}

/* ---- create ---------------------------------------------------------- */

int
req_topics_create(const req_topic_create *a, req_storage *st,
    Sluice__Admin *rq, char *err, size_t n)
{
	rq->op = SLUICE__ADMIN_OP__ADMIN_TOPIC_CREATE;
	rq->topic = (char *) a->topic;
	int64_t age;
	if (a->retention_age != NULL) {
		if (units_parse_duration_ms(a->retention_age, &age) != 0 || age < 0)
			return req_fail(err, n, "bad --retention-age '%s' (e.g. 30s, "
			    "5m, 2h, 7d, 1h30m)", a->retention_age);
		rq->retention_age_ms = age;
	}
	if (a->retention_bytes != NULL &&
	    units_parse_size(a->retention_bytes, &rq->retention_bytes) != 0)
		return req_fail(err, n, "bad --retention-bytes '%s' (e.g. 4096, "
		    "100MiB, 1.5GB)", a->retention_bytes);
	return policy_rate(a->rate_msgs, a->rate_bytes, &st->pb,
	    &rq->publish_limit, err, n);
}

/* ", publish limit 100 msg/s" when there is one. */
static void
limit_note(const Sluice__TopicInfo *t, char *buf, size_t n)
{
	char limit[96];
	policy_limit_text(t->publish_limit, limit, sizeof(limit));
	if (t->publish_limit == NULL || strcmp(limit, "none") == 0)
		buf[0] = '\0';
	else
		snprintf(buf, n, ", publish limit: %s", limit);
}

static int
create(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[1];
	req_topic_create a = { 0 };
	const adm_opt opts[] = { { "retention-age", 1, &a.retention_age },
		{ "retention-bytes", 1, &a.retention_bytes },
		{ "rate-msgs", 1, &a.rate_msgs }, { "rate-bytes", 1, &a.rate_bytes },
		{ NULL, 0, NULL } };
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, opts, &co, ops, 1)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	req_storage st;
	char err[512];
	a.topic = ops[0];
	if (req_topics_create(&a, &st, &rq, err, sizeof(err)) != 0)
		return adm_usage(cmd, &co, "%s", err);

	char what[300];
	snprintf(what, sizeof(what), "topics create %s", ops[0]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (r->n_topics == 0) {
		rv = no_topic(&co, what);
	} else if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		adm_json_topic(&j, "topic", r->topics[0]);
		out_json_obj_close(&j);
		out_json_end(&j);
		rv = ADM_EXIT_OK;
	} else {
		char ret[96], lim[128];
		retention(r->topics[0], ret, sizeof(ret));
		limit_note(r->topics[0], lim, sizeof(lim));
		printf("created topic %s (retention: %s%s)\n", r->topics[0]->name,
		    ret, lim);
		rv = ADM_EXIT_OK;
	}
	adm_result_free(r);
	return rv;
}

/* ---- configure -------------------------------------------------------- */

int
req_topics_configure(const char *topic, const char *rate_msgs,
    const char *rate_bytes, req_storage *st, Sluice__Admin *rq, char *err,
    size_t n)
{
	if (rate_msgs == NULL && rate_bytes == NULL)
		return req_fail(err, n, "nothing to configure: give --rate-msgs "
		                        "and/or --rate-bytes");
	rq->op = SLUICE__ADMIN_OP__ADMIN_TOPIC_CONFIGURE;
	rq->topic = (char *) topic;
	return policy_rate(rate_msgs, rate_bytes, &st->pb, &rq->publish_limit,
	    err, n);
}

static int
configure(const adm_cmd *cmd, int argc, char **argv)
{
	const char *msgs = NULL, *bytes = NULL, *ops[1];
	const adm_opt opts[] = { { "rate-msgs", 1, &msgs },
		{ "rate-bytes", 1, &bytes }, { NULL, 0, NULL } };
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, opts, &co, ops, 1)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	req_storage st;
	char err[512];
	if (req_topics_configure(ops[0], msgs, bytes, &st, &rq, err,
	        sizeof(err)) != 0)
		return adm_usage(cmd, &co, "%s", err);
	char what[300];
	snprintf(what, sizeof(what), "topics configure %s", ops[0]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	rv = ADM_EXIT_OK;
	if (r->n_topics == 0) {
		rv = no_topic(&co, what);
	} else if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		adm_json_topic(&j, "topic", r->topics[0]);
		out_json_obj_close(&j);
		out_json_end(&j);
	} else {
		char limit[96];
		policy_limit_text(r->topics[0]->publish_limit, limit, sizeof(limit));
		printf("configured topic %s: publish limit %s\n",
		    r->topics[0]->name, limit);
	}
	adm_result_free(r);
	return rv;
}

/* ---- delete ---------------------------------------------------------- */

static int
delete(const adm_cmd *cmd, int argc, char **argv)
{
	const char *force = NULL, *ops[1];
	const adm_opt opts[] = { { "force", 0, &force }, { NULL, 0, NULL } };
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, opts, &co, ops, 1)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_TOPIC_DELETE;
	rq.topic = (char *) ops[0];
	rq.force = force != NULL;
	char what[300];
	snprintf(what, sizeof(what), "topics delete %s", ops[0]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_obj_open(&j, "deleted");
		out_json_str(&j, "topic", ops[0]);
		out_json_u64(&j, "affected", r->affected);
		out_json_obj_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	} else {
		printf("deleted topic %s (%" PRIu64 " subscription%s deleted)\n",
		    ops[0], r->affected, r->affected == 1 ? "" : "s");
	}
	adm_result_free(r);
	return ADM_EXIT_OK;
}

/* ---- stats ----------------------------------------------------------- */

static void
stats_text(const Sluice__TopicInfo *t)
{
	char bytes[32], pbytes[32], ret[96];
	units_format_size(t->bytes, bytes, sizeof(bytes));
	units_format_size(t->published_bytes_total, pbytes, sizeof(pbytes));
	retention(t, ret, sizeof(ret));
	out_table *k = out_kv_alloc();
	out_kv(k, "name", "%s", t->name);
	out_kv(k, "first_offset", "%" PRIu64, t->first_offset);
	out_kv(k, "head_offset", "%" PRIu64, t->head_offset);
	out_kv(k, "messages", "%" PRIu64, t->messages);
	out_kv(k, "bytes", "%" PRIu64 " (%s)", t->bytes, bytes);
	out_kv(k, "publish_rate", "%.1f msg/s", t->publish_rate);
	out_kv(k, "producers", "%" PRIu32, t->producers);
	out_kv(k, "subscriptions", "%" PRIu32, t->subscriptions);
	out_kv(k, "retention", "%s", ret);
	out_kv(k, "retention_age_ms", "%" PRId64, t->retention_age_ms);
	out_kv(k, "retention_bytes", "%" PRIu64, t->retention_bytes);
	out_kv(k, "published_total", "%" PRIu64, t->published_total);
	out_kv(k, "published_bytes_total", "%" PRIu64 " (%s)",
	    t->published_bytes_total, pbytes);
	char limit[96];
	policy_limit_text(t->publish_limit, limit, sizeof(limit));
	out_kv(k, "publish_limit", "%s", limit);
	out_kv(k, "rate_limited", "%" PRIu64, t->rate_limited);
	out_table_print(k, stdout);
}

static int
stats(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[1];
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, NULL, &co, ops, 1)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_TOPIC_STATS;
	rq.topic = (char *) ops[0];
	char what[300];
	snprintf(what, sizeof(what), "topics stats %s", ops[0]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (r->n_topics == 0) {
		rv = no_topic(&co, what);
	} else if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		adm_json_topic(&j, "topic", r->topics[0]);
		out_json_obj_close(&j);
		out_json_end(&j);
		rv = ADM_EXIT_OK;
	} else {
		stats_text(r->topics[0]);
		rv = ADM_EXIT_OK;
	}
	adm_result_free(r);
	return rv;
}

/* ---- peek ------------------------------------------------------------ */

void
adm_json_message_fields(out_json *j, const Sluice__StoredMessage *m)
{
	out_json_i64(j, "publish_time_us", m ? m->publish_time_us : 0);
	out_json_i64(j, "event_time_us", m ? m->event_time_us : 0);
	out_json_u64(j, "producer_seq", m ? m->producer_seq : 0);
	if (m != NULL && m->has_key)
		out_json_bytes(j, "key", m->key.data, m->key.len);
	else
		out_json_null(j, "key");
	out_json_bytes(j, "payload", m ? m->payload.data : NULL,
	    m ? m->payload.len : 0);
	out_json_obj_open(j, "properties");
	for (size_t i = 0; m != NULL && i < m->n_properties; i++)
		out_json_str(j, m->properties[i]->key, m->properties[i]->value);
	out_json_obj_close(j);
}

static void
record_json(out_json *j, const Sluice__Record *rec)
{
	out_json_obj_open(j, NULL);
	out_json_u64(j, "offset", rec->offset);
	adm_json_message_fields(j, rec->message);
	out_json_obj_close(j);
}

static void
records_text(const Sluice__AdminResult *r)
{
	static const char *const h[] = { "OFFSET", "PUBLISHED", "KEY",
		"PAYLOAD" };
	out_table *t = out_table_alloc(4, h, "rlll");
	for (size_t i = 0; i < r->n_records; i++) {
		const Sluice__Record *rec = r->records[i];
		const Sluice__StoredMessage *m = rec->message;
		char when[64];
		units_format_rfc3339(m ? m->publish_time_us : 0, 3, when,
		    sizeof(when));
		char *key = m && m->has_key ? out_text(m->key.data, m->key.len)
		                            : NULL;
		char *payload = out_text(m ? m->payload.data : NULL,
		    m ? m->payload.len : 0);
		out_table_cell(t, "%" PRIu64, rec->offset);
		out_table_cell(t, "%s", when);
		out_table_cell(t, "%s", key ? key : "-");
		out_table_cell(t, "%s", payload ? payload : "");
		free(key);
		free(payload);
	}
	out_table_print(t, stdout);
}

static int
peek(const adm_cmd *cmd, int argc, char **argv)
{
	const char *from = NULL, *count = NULL, *ops[1];
	const adm_opt opts[] = { { "from", 1, &from }, { "count", 1, &count },
		{ NULL, 0, NULL } };
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, opts, &co, ops, 1)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_TOPIC_PEEK;
	rq.topic = (char *) ops[0];
	rq.count = 10;
	if (from != NULL) {
		if (units_parse_u64(from, &rq.from_offset) != 0)
			return adm_usage(cmd, &co, "bad --from '%s' (an offset)",
			    from);
		rq.has_from = 1;
	}
	if (count != NULL && (units_parse_u64(count, &rq.count) != 0 ||
	                         rq.count == 0 || rq.count > PEEK_MAX))
		return adm_usage(cmd, &co, "bad --count '%s' (1-%d)", count,
		    PEEK_MAX);
	char what[300];
	snprintf(what, sizeof(what), "topics peek %s", ops[0]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_arr_open(&j, "records");
		for (size_t i = 0; i < r->n_records; i++)
			record_json(&j, r->records[i]);
		out_json_arr_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	} else {
		records_text(r);
	}
	adm_result_free(r);
	return ADM_EXIT_OK;
}

const adm_cmd adm_topics_cmds[] = {
	{ "topics", "list", "", "every topic with its offsets and size",
	    "Lists every topic: first kept and next offset, messages, bytes,\n"
	    "publish rate, subscriptions and retention.\n"
	    "\n"
	    "--json: {\"topics\":[TOPIC...]}; TOPIC is {\"name\",\"first_offset\",\n"
	    "  \"head_offset\",\"messages\",\"bytes\",\"publish_rate\",\"producers\",\n"
	    "  \"subscriptions\",\"retention_age_ms\",\"retention_bytes\",\n"
	    "  \"published_total\",\"published_bytes_total\",\n"
	    "  \"publish_limit\":{\"msgs_per_sec\",\"bytes_per_sec\"},\"rate_limited\"}\n"
	    "  (a limit the broker did not report is null)\n",
	    list },
	{ "topics", "create",
	    "NAME [--retention-age D] [--retention-bytes B] [--rate-msgs N] "
	    "[--rate-bytes B]",
	    "create a topic, optionally with retention and a publish limit",
	    "Creates topic NAME. Without retention options it keeps every\n"
	    "message; with them the oldest messages go once they are older\n"
	    "than D or the topic holds more than B bytes. A publish limit\n"
	    "delays the acks of producers that publish faster.\n"
	    "\n"
	    "options:\n"
	    "      --retention-age D    e.g. 30s, 5m, 2h, 7d, 1h30m (units ms s m h\n"
	    "                           d w)\n"
	    "      --retention-bytes B  e.g. 4096, 100MiB, 1.5GB (B; KB MB GB TB =\n"
	    "                           1000^n; KiB MiB GiB TiB or K M G T = 1024^n)\n"
	    "      --rate-msgs N        publish at most N messages/s (0 = no limit)\n"
	    "      --rate-bytes B       publish at most B bytes/s (0 = no limit)\n"
	    "\n"
	    "--json: {\"topic\":TOPIC} (see `topics list --help`)\n",
	    create },
	{ "topics", "configure", "NAME [--rate-msgs N] [--rate-bytes B]",
	    "change a topic's publish limit",
	    "Changes the publish limit of topic NAME: only the option given\n"
	    "changes, the other keeps its value. Producers that publish faster\n"
	    "get their acks later (nothing is refused). Prints the limit in\n"
	    "force.\n"
	    "\n"
	    "options (at least one):\n"
	    "      --rate-msgs N   messages per second (0 = no limit)\n"
	    "      --rate-bytes B  bytes per second, e.g. 1MiB, 500KB (0 = no limit)\n"
	    "\n"
	    "--json: {\"topic\":TOPIC} (see `topics list --help`)\n",
	    configure },
	{ "topics", "delete", "NAME [--force]", "delete a topic and its messages",
	    "Deletes topic NAME with its messages. The broker refuses while the\n"
	    "topic has subscriptions, unless --force, which deletes them too;\n"
	    "either way none of them may have consumers attached.\n"
	    "\n"
	    "options:\n"
	    "      --force   also delete the topic's subscriptions\n"
	    "\n"
	    "--json: {\"deleted\":{\"topic\",\"affected\"}}; affected: subscriptions\n"
	    "  deleted with it\n",
	    delete },
	{ "topics", "stats", "NAME", "one topic's offsets, size, rates, retention",
	    "Shows one topic: offsets, messages, bytes, rates, producers,\n"
	    "subscriptions, retention, totals since the broker started, its\n"
	    "publish limit and how many publishes it delayed.\n"
	    "\n"
	    "--json: {\"topic\":TOPIC} (see `topics list --help`)\n",
	    stats },
	{ "topics", "peek", "NAME [--from OFFSET] [--count N]",
	    "show stored messages without consuming them",
	    "Shows up to N messages (default 10) of topic NAME from OFFSET\n"
	    "(default: the first kept). Peeking moves no subscription and\n"
	    "counts as no delivery.\n"
	    "\n"
	    "options:\n"
	    "      --from OFFSET  first offset to show\n"
	    "      --count N      messages to show, 1-1000 (default 10)\n"
	    "\n"
	    "Output: OFFSET, PUBLISHED (UTC), KEY (- when none), PAYLOAD; in KEY\n"
	    "and PAYLOAD a backslash is \\\\, tab \\t, newline \\n, CR \\r, other\n"
	    "bytes outside printable ASCII \\xHH.\n"
	    "--json: {\"records\":[{\"offset\",\"publish_time_us\",\"event_time_us\",\n"
	    "  \"producer_seq\",\"key\" (null when none),\"payload\",\"properties\":{}}]};\n"
	    "  key and payload are strings: valid UTF-8 as is, other bytes and\n"
	    "  control characters \\u00HH\n",
	    peek },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};
