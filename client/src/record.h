/*
 * record.h - received messages (record.c) as consumer.c builds them: the
 * records of one Deliver share its decoded Reply, which stays alive until
 * the last of them is freed. Nothing here is installed.
 */
#ifndef SL_RECORD_H
#define SL_RECORD_H

#include "codec.h"
#include "sluice/sluice.h"

/*
 * A record is a view into its batch's Reply: pb points at one element of
 * reply->deliver->records. `next` links the consumer's local queue and is
 * owned by consumer.c while the record is queued.
 */
struct sluice_record {
	struct record_batch *batch;
	const Sluice__Record *pb;   /* never NULL */
	sluice_record        *next; /* consumer.c: queue link */
};

/*
 * record_batch_make takes reply (a Deliver with at least one record) and
 * returns its records linked through `next` in delivery order, in one
 * allocation with the shared reference count. On SLUICE_ENOMEM the caller
 * keeps reply. Records are freed one by one with sluice_record_free, from
 * any thread; the last one frees the reply.
 */
sluice_err record_batch_make(Sluice__Reply *reply, sluice_record **first);
#endif
