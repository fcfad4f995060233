/*
 * broker.c - `sluice-admin broker health` and `broker stats`: the broker's
 * own state, as opposed to a topic's or a subscription's. Health exits 1
 * when the broker says it is unhealthy, so it can serve as a probe.
 */
#include <inttypes.h>
#include <stdio.h>

#include "adm.h"
#include "units.h"

static const char *
yes_no(int v)
{
	return v ? "yes" : "no";
}

static void
health_json(const Sluice__BrokerHealth *h)
{
	out_json j;
	out_json_init(&j, stdout);
	out_json_obj_open(&j, NULL);
	out_json_obj_open(&j, "health");
	out_json_bool(&j, "healthy", h->healthy);
	out_json_bool(&j, "storage_writable", h->storage_writable);
	out_json_bool(&j, "listener_up", h->listener_up);
	out_json_u64(&j, "loop_lag_ms", h->loop_lag_ms);
	out_json_arr_open(&j, "problems");
	for (size_t i = 0; i < h->n_problems; i++)
		out_json_str(&j, NULL, h->problems[i]);
	out_json_arr_close(&j);
	out_json_obj_close(&j);
	out_json_obj_close(&j);
	out_json_end(&j);
}

static void
health_text(const Sluice__BrokerHealth *h)
{
	out_table *t = out_kv_alloc();
	out_kv(t, "healthy", "%s", yes_no(h->healthy));
	out_kv(t, "storage_writable", "%s", yes_no(h->storage_writable));
	out_kv(t, "listener_up", "%s", yes_no(h->listener_up));
	out_kv(t, "loop_lag_ms", "%" PRIu64, h->loop_lag_ms);
	out_kv(t, "problems", "%s", h->n_problems ? "" : "none");
	out_table_print(t, stdout);
	for (size_t i = 0; i < h->n_problems; i++)
		printf("  - %s\n", h->problems[i]);
}

static int
health(const adm_cmd *cmd, int argc, char **argv)
{
	adm_common co;
	const char *ops[1];
	int nops, rv;
	if ((rv = adm_args(cmd, argc, argv, NULL, &co, ops, 0, 0, &nops)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_BROKER_HEALTH;
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, "broker health", &rq, &r)) >= 0)
		return rv;
	const Sluice__BrokerHealth *h = r->health;
	if (h == NULL) {
		rv = adm_fail(&co, "broker health", SLUICE_EPROTO,
		    "the reply has no health", 0);
	} else {
		if (co.json)
			health_json(h);
		else
			health_text(h);
		rv = h->healthy ? ADM_EXIT_OK : ADM_EXIT_FAIL;
		if (!h->healthy)
			fprintf(stderr, "sluice-admin: broker health: the broker "
			                "is unhealthy\n");
	}
	adm_result_free(r);
	return rv;
}

static void
stats_json(const Sluice__BrokerStats *s)
{
	out_json j;
	out_json_init(&j, stdout);
	out_json_obj_open(&j, NULL);
	out_json_obj_open(&j, "broker");
	out_json_str(&j, "version", s->version);
	out_json_u64(&j, "uptime_ms", s->uptime_ms);
	out_json_u64(&j, "connections", s->connections);
	out_json_u64(&j, "topics", s->topics);
	out_json_u64(&j, "subscriptions", s->subscriptions);
	out_json_u64(&j, "published_total", s->published_total);
	out_json_u64(&j, "delivered_total", s->delivered_total);
	out_json_f64(&j, "publish_rate", s->publish_rate);
	out_json_f64(&j, "delivery_rate", s->delivery_rate);
	out_json_u64(&j, "disk_bytes", s->disk_bytes);
	out_json_u64(&j, "rss_bytes", s->rss_bytes);
	out_json_obj_close(&j);
	out_json_obj_close(&j);
	out_json_end(&j);
}

static void
stats_text(const Sluice__BrokerStats *s)
{
	char up[64], disk[32], rss[32];
	units_format_duration_ms((int64_t) s->uptime_ms, up, sizeof(up));
	units_format_size(s->disk_bytes, disk, sizeof(disk));
	units_format_size(s->rss_bytes, rss, sizeof(rss));
	out_table *t = out_kv_alloc();
	out_kv(t, "version", "%s", s->version);
	out_kv(t, "uptime_ms", "%" PRIu64 " (%s)", s->uptime_ms, up);
	out_kv(t, "connections", "%" PRIu32, s->connections);
	out_kv(t, "topics", "%" PRIu32, s->topics);
	out_kv(t, "subscriptions", "%" PRIu32, s->subscriptions);
	out_kv(t, "published_total", "%" PRIu64, s->published_total);
	out_kv(t, "delivered_total", "%" PRIu64, s->delivered_total);
	out_kv(t, "publish_rate", "%.1f msg/s", s->publish_rate);
	out_kv(t, "delivery_rate", "%.1f msg/s", s->delivery_rate);
	out_kv(t, "disk_bytes", "%" PRIu64 " (%s)", s->disk_bytes, disk);
	out_kv(t, "rss_bytes", "%" PRIu64 " (%s)", s->rss_bytes, rss);
	out_table_print(t, stdout);
}

static int
stats(const adm_cmd *cmd, int argc, char **argv)
{
	adm_common co;
	const char *ops[1];
	int nops, rv;
	if ((rv = adm_args(cmd, argc, argv, NULL, &co, ops, 0, 0, &nops)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_BROKER_STATS;
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, "broker stats", &rq, &r)) >= 0)
		return rv;
	if (r->broker == NULL) {
		rv = adm_fail(&co, "broker stats", SLUICE_EPROTO,
		    "the reply has no stats", 0);
	} else {
		if (co.json)
			stats_json(r->broker);
		else
			stats_text(r->broker);
		rv = ADM_EXIT_OK;
	}
	adm_result_free(r);
	return rv;
}

const adm_cmd adm_broker_cmds[] = {
	{ "broker", "health", "", "is the broker healthy (exit 1 if not)",
	    "Asks the broker whether it can serve: its storage takes writes, its\n"
	    "listener is up, its event loop is not lagging. Exits 1 when it is\n"
	    "unhealthy and lists the problems, so it serves as a probe.\n"
	    "\n"
	    "--json: {\"health\":{\"healthy\",\"storage_writable\",\"listener_up\",\n"
	    "  \"loop_lag_ms\",\"problems\":[...]}}\n",
	    health },
	{ "broker", "stats", "", "uptime, connections, totals, rates, memory",
	    "Shows the broker's counters: version, uptime, connections, topics,\n"
	    "subscriptions, messages published and delivered since start, the\n"
	    "rates over the last ~10 s, disk and resident memory use.\n"
	    "\n"
	    "--json: {\"broker\":{\"version\",\"uptime_ms\",\"connections\",\"topics\",\n"
	    "  \"subscriptions\",\"published_total\",\"delivered_total\",\n"
	    "  \"publish_rate\",\"delivery_rate\",\"disk_bytes\",\"rss_bytes\"}}\n",
	    stats },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};
