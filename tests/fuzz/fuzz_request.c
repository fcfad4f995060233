/*
 * fuzz_request.c - the libFuzzer target over the request path: the frame
 * decoder (codec_request_unpack) and every handler, admin included, behind
 * broker_route (harness.h). Built with -Dfuzz=true and clang; see
 * docs/fuzzing.md.
 */
#include <stdlib.h>

#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	if (fuzz_harness_init() != 0)
		abort();
	/* libFuzzer ends with exit(): remove the temporary directory. */
	atexit(fuzz_harness_fini);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_harness_run(data, size);
	return 0;
}
