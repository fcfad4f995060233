/*
 * admin_broker.c - `broker health` and `broker stats`: the figures come
 * from status.c, shared with the HTTP /health endpoint and /metrics.
 */
#include "admin.h"
#include "status.h"

sluice_err
admin_broker_health(admin_call *c)
{
	Sluice__BrokerHealth *h = admin_alloc(c->arena, sizeof(*h));
	status_problems *buf = admin_alloc(c->arena, sizeof(*buf));
	if (h == NULL || buf == NULL)
		return SLUICE_ENOMEM;
	status_health(c->b, h, buf);
	c->res->health = h;
	return SLUICE_OK;
}

sluice_err
admin_broker_stats(admin_call *c)
{
	Sluice__BrokerStats *st = admin_alloc(c->arena, sizeof(*st));
	if (st == NULL)
		return SLUICE_ENOMEM;
	status_broker_stats(c->b, st);
	c->res->broker = st;
	return SLUICE_OK;
}
