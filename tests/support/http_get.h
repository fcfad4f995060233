/*
 * http_get.h - a tiny HTTP/1.0 client for tests: one request over a plain
 * TCP socket to 127.0.0.1, reading the whole reply until the server closes
 * the connection (HTTP/1.0 asks it to).
 */
#ifndef SL_TEST_HTTP_GET_H
#define SL_TEST_HTTP_GET_H

#include <stddef.h>

typedef struct {
	int status;          /* e.g. 200 */
	char *headers;       /* the header lines, NUL-terminated */
	char *body;          /* NUL-terminated */
	size_t body_len;
} http_reply;

/*
 * http_request sends `method path` to 127.0.0.1:port and fills *out.
 * Returns 0, or -1 (connection refused, malformed reply, 5 s timeout).
 * Free with http_reply_free.
 */
int  http_request(int port, const char *method, const char *path, http_reply *out);
void http_reply_free(http_reply *r);
/* The value of header name (case-insensitive), copied into buf; NULL when
 * absent. */
const char *http_header(const http_reply *r, const char *name, char *buf, size_t n);
#endif
