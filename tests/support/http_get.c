/* http_get.c - a tiny HTTP/1.0 client for tests (see http_get.h). */
#define _XOPEN_SOURCE 700
#include "http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int
connect_local(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until the peer closes; returns a NUL-terminated buffer or NULL. */
static char *
read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		if (cap - n < 1024) {
			char *p = realloc(buf, cap * 2);
			if (p == NULL)
				break;
			buf = p;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k == 0) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		if (k < 0)
			break; /* error or timeout */
		n += (size_t) k;
	}
	free(buf);
	return NULL;
}

int
http_request(int port, const char *method, const char *path, http_reply *out)
{
	char req[512];
	size_t len;
	memset(out, 0, sizeof(*out));
	int fd = connect_local(port);
	if (fd < 0)
		return -1;
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n",
	    method, path, port);
	if (write(fd, req, (size_t) n) != n) {
		close(fd);
		return -1;
	}
	char *all = read_all(fd, &len);
	close(fd);
	if (all == NULL)
		return -1;
	char *end = strstr(all, "\r\n\r\n");
	int major, minor;
	if (end == NULL || sscanf(all, "HTTP/%d.%d %d", &major, &minor, &out->status) != 3) {
		free(all);
		return -1;
	}
	*end = '\0';
	char *eol = strstr(all, "\r\n");
	out->headers = strdup(eol != NULL ? eol + 2 : "");
	out->body_len = len - (size_t) (end + 4 - all);
	out->body = malloc(out->body_len + 1);
	if (out->headers == NULL || out->body == NULL) {
		free(all);
		http_reply_free(out);
		return -1;
	}
	memcpy(out->body, end + 4, out->body_len);
	out->body[out->body_len] = '\0';
	free(all);
	return 0;
}

void
http_reply_free(http_reply *r)
{
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

const char *
http_header(const http_reply *r, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	for (const char *p = r->headers; p != NULL && *p != '\0';) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol != NULL ? (size_t) (eol - p) : strlen(p);
		if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(buf, n, "%.*s", (int) (ll - (size_t) (v - p)), v);
			return buf;
		}
		p = eol != NULL ? eol + 2 : NULL;
	}
	return NULL;
}
