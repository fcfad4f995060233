/*
 * test_client.c - client.c: connecting, the Hello handshake and its
 * failures, options handed to open, closing.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "fake_broker.h"
#include "sluice/sluice.h"

static sluice_err
open_at(const char *url, sluice_client **c)
{
	sluice_opts *o = NULL;
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, url), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_connect_timeout(o, 2000), SLUICE_OK);
	sluice_err rv = sluice_client_open(c, o);
	sluice_opts_free(o);
	return rv;
}

/* A TCP port nobody listens on: bound, read back, closed. */
static int
free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	cr_assert(bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *) &sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}

TestSuite(client, .timeout = 20);

Test(client, handshake_learns_the_broker_limits)
{
	fake_broker *fb = NULL;
	fake_config cfg = { .max_message_bytes = 12345 };
	cr_assert_eq(fake_broker_start(&fb, &cfg), SLUICE_OK);
	sluice_client *c = NULL;
	sluice_err rv = open_at(fake_broker_url(fb), &c);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_eq(sluice_client_max_message_bytes(c), 12345);
	cr_assert_eq(fake_broker_hellos(fb), 1);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	fake_broker_stop(fb);
}

Test(client, nothing_listening_on_tcp_gives_econnrefused)
{
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	sluice_client *c = NULL;
	sluice_err rv = open_at(url, &c);
	cr_assert_eq(rv, SLUICE_ECONNREFUSED, "got %s", sluice_err_name(rv));
	cr_assert_null(c, "out-params are written only on success");
}

Test(client, nothing_listening_on_ipc_gives_econnrefused)
{
	sluice_client *c = NULL;
	sluice_err rv = open_at("ipc:///tmp/sluice-no-such-dir/x.sock", &c);
	cr_assert_eq(rv, SLUICE_ECONNREFUSED, "got %s", sluice_err_name(rv));
}

Test(client, bad_url_gives_einval)
{
	sluice_client *c = NULL;
	sluice_err rv = open_at("nonsense://x", &c);
	cr_assert_eq(rv, SLUICE_EINVAL, "got %s", sluice_err_name(rv));
}

Test(client, broker_refusing_the_version_gives_eversion)
{
	fake_broker *fb = NULL;
	fake_config cfg = { .hello_status = SLUICE_EVERSION };
	cr_assert_eq(fake_broker_start(&fb, &cfg), SLUICE_OK);
	sluice_client *c = NULL;
	sluice_err rv = open_at(fake_broker_url(fb), &c);
	cr_assert_eq(rv, SLUICE_EVERSION, "got %s", sluice_err_name(rv));
	fake_broker_stop(fb);
}

Test(client, broker_speaking_another_version_gives_eversion)
{
	fake_broker *fb = NULL;
	fake_config cfg = { .protocol_version = SLUICE_PROTOCOL_VERSION + 1 };
	cr_assert_eq(fake_broker_start(&fb, &cfg), SLUICE_OK);
	sluice_client *c = NULL;
	sluice_err rv = open_at(fake_broker_url(fb), &c);
	cr_assert_eq(rv, SLUICE_EVERSION, "got %s", sluice_err_name(rv));
	fake_broker_stop(fb);
}

Test(client, out_of_memory_during_open_is_enomem_without_leaks)
{
	fake_broker *fb = NULL;
	cr_assert_eq(fake_broker_start(&fb, NULL), SLUICE_OK);
	sluice_opts *o = NULL;
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, fake_broker_url(fb)), SLUICE_OK);
	/* Fail each allocation in turn until open gets through. */
	sluice_err rv = SLUICE_ENOMEM;
	int n;
	for (n = 1; n < 100 && rv != SLUICE_OK; n++) {
		sluice_client *c = NULL;
		sl_alloc_fail_after(n);
		rv = sluice_client_open(&c, o);
		sl_alloc_fail_after(0);
		if (rv == SLUICE_OK)
			cr_assert_eq(sluice_client_close(c), SLUICE_OK);
		else
			cr_assert_eq(rv, SLUICE_ENOMEM, "allocation %d: %s", n,
			    sluice_err_name(rv));
	}
	cr_assert_eq(rv, SLUICE_OK, "open never succeeded");
	cr_assert_gt(n, 2, "no allocation was exercised");
	sluice_opts_free(o);
	fake_broker_stop(fb);
}

Test(client, close_of_null_is_einval)
{
	cr_assert_eq(sluice_client_close(NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_client_open(NULL, NULL), SLUICE_EINVAL);
}
