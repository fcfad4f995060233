/*
 * admin.h - operator requests of libsluice (what sluice-admin sends).
 *
 * The admin operations are described by protobuf messages of
 * proto/sluice.proto (sluice.Admin in, sluice.AdminResult out; see
 * docs/admin.md). This header deals in their encoded bytes so that it adds
 * no generated types to the public API: a program that wants the admin
 * operations compiles sluice.proto itself (protoc-c or any other protobuf
 * toolchain) and passes the bytes through here.
 */
#ifndef SLUICE_ADMIN_H
#define SLUICE_ADMIN_H

#include <stddef.h>

#include "sluice/sluice.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * sluice_admin_call sends one admin request and waits for its reply. admin
 * (len bytes) is an encoded sluice.Admin, borrowed for the call; it is
 * checked to decode (SLUICE_EINVAL otherwise) before it is sent.
 *
 * On SLUICE_OK *result receives the encoded sluice.AdminResult (len in
 * *result_len, possibly 0; *result is never NULL then) to be freed with
 * sluice_admin_result_free. Otherwise *result is left alone, and the
 * return value is either a local or transport error (SLUICE_ECLOSED when
 * the connection is lost, SLUICE_ETIMEDOUT after the client's request
 * timeout, SLUICE_EPROTO for a malformed reply) or the broker's refusal
 * (SLUICE_ENOTOPIC, SLUICE_EBUSY, ...; SLUICE_EUNKNOWNFRAME from a broker
 * without admin support).
 *
 * detail (detail_len bytes, may be NULL/0) always receives a
 * NUL-terminated text: the broker's explanation of a refusal, truncated to
 * fit, or "" when it gave none or the call failed locally.
 *
 * Thread-safe; it blocks the calling thread for at most about twice the
 * client's request timeout (send, then reply).
 */
SLUICE_API sluice_err sluice_admin_call(sluice_client *c, const void *admin,
    size_t len, void **result, size_t *result_len, char *detail,
    size_t detail_len);

/* sluice_admin_result_free frees a result of sluice_admin_call; NULL is
 * fine. */
SLUICE_API void sluice_admin_result_free(void *result);

#ifdef __cplusplus
}
#endif
#endif /* SLUICE_ADMIN_H */
