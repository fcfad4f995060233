/*
 * flooder.c - a hostile client process for the flood test of
 * test_limits_abuse: three threads flood the broker at URL (PORT is its
 * TCP port) with connections that open and close at once, connections
 * that send one oversize frame each, and connections that send requests
 * without Hello. It prints "flooding" once all three run, floods until
 * SIGTERM, then prints the number of flood operations and exits 0.
 *
 * A process of its own, at idle priority as a whole (SCHED_IDLE, nng's
 * threads included): real flooders run on other machines, and on the
 * 2-core test machine the flood's own client-side CPU must not be counted
 * against the broker. What it makes the broker do runs at the broker's
 * priority.
 *
 * Usage: flooder URL PORT [churn|oversize|nohello]
 * (the third argument runs that flood alone, to measure it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "raw.h"

static const char *url;
static int port;
static volatile sig_atomic_t flooding = 1;
static atomic_long ops;

static void
on_term(int sig)
{
	(void) sig;
	flooding = 0;
}

/* raw_open without redialing: the broker closes these connections, and
 * closing a socket while nng redials leaks nng's dialer state. */
static int
flood_open(raw_conn *c)
{
	if (nng_req0_open(&c->sock) != 0)
		return -1;
	nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, 200);
	nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, 200);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 60000);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 60000);
	if (nng_dial(c->sock, url, NULL, 0) != 0) {
		nng_close(c->sock);
		return -1;
	}
	return 0;
}

/* Connections that open and close at once. */
static void *
flood_churn(void *arg)
{
	(void) arg;
	while (flooding) {
		raw_conn c;
		if (flood_open(&c) == 0)
			raw_close(&c);
		ops++;
		usleep(1000);
	}
	return NULL;
}

/* Connections that send one oversize frame each, over plain TCP (the SP
 * header of a req0 peer, then a frame length past the broker's limit):
 * nng reads the length and closes the connection. */
static void *
flood_oversize(void *arg)
{
	static const uint8_t sp[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };
	uint64_t len = (1u << 20) + (128u << 10);
	uint8_t hdr[8], junk[4096] = { 0 }, peer[64];
	(void) arg;
	for (int i = 0; i < 8; i++)
		hdr[i] = (uint8_t) (len >> (56 - 8 * i));
	while (flooding) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
		struct timeval tv = { 1, 0 };
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
		    write(fd, sp, sizeof(sp)) == (ssize_t) sizeof(sp) &&
		    write(fd, hdr, sizeof(hdr)) == (ssize_t) sizeof(hdr)) {
			(void) !write(fd, junk, sizeof(junk));
			/* Until the broker closes it (or 1 s). */
			while (read(fd, peer, sizeof(peer)) > 0)
				;
		}
		if (fd >= 0)
			close(fd);
		ops++;
	}
	return NULL;
}

/* Connections sending requests without Hello as fast as answered (the
 * broker closes each after a few). */
static void *
flood_nohello(void *arg)
{
	(void) arg;
	while (flooding) {
		raw_conn c;
		if (flood_open(&c) != 0)
			continue;
		uint64_t base;
		while (flooding && raw_publish(&c, "flood", 1, "x", &base) == SLUICE_ENOHELLO)
			ops++;
		raw_close(&c);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	void *(*fns[3])(void *) = { flood_churn, flood_oversize, flood_nohello };
	pthread_t th[3];
	struct sigaction sa;
	static const char *const names[3] = { "churn", "oversize", "nohello" };
	int only = -1;
	if (argc == 4)
		for (int i = 0; i < 3; i++)
			if (strcmp(argv[3], names[i]) == 0)
				only = i;
	if (argc < 3 || argc > 4 || (argc == 4 && only < 0)) {
		fprintf(stderr, "usage: flooder URL PORT [churn|oversize|nohello]\n");
		return 2;
	}
	url = argv[1];
	port = atoi(argv[2]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Before nng starts its threads: they inherit it. SCHED_IDLE, not
	 * just nice 19: a nice task still preempts others when it wakes. */
	struct sched_param sp = { .sched_priority = 0 };
	if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0 &&
	    setpriority(PRIO_PROCESS, 0, 19) != 0)
		perror("flooder: lowering its priority");
	for (int i = 0; i < 3; i++) {
		if (only >= 0 && i != only)
			continue;
		if (pthread_create(&th[i], NULL, fns[i], NULL) != 0) {
			fprintf(stderr, "flooder: cannot start its threads\n");
			return 1;
		}
	}
	printf("flooding\n");
	fflush(stdout);
	for (int i = 0; i < 3; i++)
		if (only < 0 || i == only)
			pthread_join(th[i], NULL);
	printf("%ld\n", (long) ops);
	fflush(stdout);
	/* _exit: the flood abandons requests in flight by design, and nng
	 * 1.5.2 leaks their messages when a socket closes under them; leak
	 * checking at exit (ASan builds) would fail this helper over them. */
	_exit(0);
}
