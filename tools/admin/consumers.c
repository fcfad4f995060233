/*
 * consumers.c - `sluice-admin consumers list TOPIC SUB`: who is attached
 * to a subscription, what each holds, how recently it spoke and how its
 * deliveries fail (circuit breaker, nacks, ack timeouts).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "adm.h"

static void
consumer_json(out_json *j, const Sluice__ConsumerInfo *c)
{
	out_json_obj_open(j, NULL);
	out_json_u64(j, "id", c->id);
	out_json_str(j, "name", c->name);
	out_json_str(j, "peer", c->peer);
	out_json_bool(j, "active", c->active);
	out_json_u64(j, "window_used", c->window_used);
	out_json_u64(j, "window_size", c->window_size);
	out_json_u64(j, "unacked", c->unacked);
	out_json_f64(j, "ack_rate", c->ack_rate);
	out_json_u64(j, "idle_ms", c->idle_ms);
	out_json_u64(j, "parked_fetches", c->parked_fetches);
	out_json_str(j, "breaker", c->breaker);
	out_json_u64(j, "breaker_open_ms", c->breaker_open_ms);
	out_json_u64(j, "recent_failures", c->recent_failures);
	out_json_u64(j, "nacked", c->nacked);
	out_json_u64(j, "ack_timeouts", c->ack_timeouts);
	out_json_obj_close(j);
}

static void
list_text(const Sluice__AdminResult *r)
{
	static const char *const h[] = { "ID", "NAME", "PEER", "ACTIVE",
		"WINDOW", "UNACKED", "ACK/S", "IDLE_MS", "PARKED", "BREAKER",
		"FAILS", "NACKED", "TIMEOUTS" };
	out_table *t = out_table_alloc(13, h, "rlllrrrrrlrrr");
	for (size_t i = 0; i < r->n_consumers; i++) {
		const Sluice__ConsumerInfo *c = r->consumers[i];
		out_table_cell(t, "%" PRIu64, c->id);
		out_table_cell(t, "%s", c->name);
		out_table_cell(t, "%s", c->peer[0] ? c->peer : "-");
		out_table_cell(t, "%s", c->active ? "yes" : "no");
		out_table_cell(t, "%" PRIu32 "/%" PRIu32, c->window_used,
		    c->window_size);
		out_table_cell(t, "%" PRIu64, c->unacked);
		out_table_cell(t, "%.1f", c->ack_rate);
		out_table_cell(t, "%" PRIu64, c->idle_ms);
		out_table_cell(t, "%" PRIu32, c->parked_fetches);
		/* Open: how long until the half-open probe. */
		if (strcmp(c->breaker, "open") == 0)
			out_table_cell(t, "open %" PRIu64 "ms", c->breaker_open_ms);
		else
			out_table_cell(t, "%s", c->breaker[0] ? c->breaker : "-");
		out_table_cell(t, "%" PRIu32, c->recent_failures);
		out_table_cell(t, "%" PRIu64, c->nacked);
		out_table_cell(t, "%" PRIu64, c->ack_timeouts);
	}
	out_table_print(t, stdout);
}

static int
list(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[2];
	adm_common co;
	int n, rv;
	if ((rv = adm_args(cmd, argc, argv, NULL, &co, ops, 2, 2, &n)) >= 0 ||
	    (rv = adm_check_name(cmd, &co, "topic", ops[0])) >= 0 ||
	    (rv = adm_check_name(cmd, &co, "subscription", ops[1])) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_CONSUMERS_LIST;
	rq.topic = (char *) ops[0];
	rq.subscription = (char *) ops[1];
	char what[600];
	snprintf(what, sizeof(what), "consumers list %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_arr_open(&j, "consumers");
		for (size_t i = 0; i < r->n_consumers; i++)
			consumer_json(&j, r->consumers[i]);
		out_json_arr_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	} else {
		list_text(r);
	}
	adm_result_free(r);
	return ADM_EXIT_OK;
}

const adm_cmd adm_consumers_cmds[] = {
	{ "consumers", "list", "TOPIC SUB", "the consumers of a subscription",
	    "Lists the consumers attached to subscription SUB of TOPIC: id,\n"
	    "name, remote address, whether it is the active one (failover),\n"
	    "window used/size, unacked messages, ack rate, time since its last\n"
	    "request, fetches it has waiting, its circuit breaker (closed, open\n"
	    "with the ms until its probe, half_open), failed deliveries in a\n"
	    "row, and its nacks and ack timeouts since it attached.\n"
	    "\n"
	    "--json: {\"consumers\":[{\"id\",\"name\",\"peer\",\"active\",\"window_used\",\n"
	    "  \"window_size\",\"unacked\",\"ack_rate\",\"idle_ms\",\"parked_fetches\",\n"
	    "  \"breaker\",\"breaker_open_ms\",\"recent_failures\",\"nacked\",\n"
	    "  \"ack_timeouts\"}]}\n",
	    list },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};
