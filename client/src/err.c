/* err.c - the status code table: sluice_strerror and sluice_err_name. */
#include "sluice/sluice.h"

const char *
sluice_strerror(sluice_err rv)
{
	switch (rv) {
#define X(name, val, text)  \
	case SLUICE_##name: \
		return text;
		SLUICE_ERRORS(X)
#undef X
	}
	return "unknown error";
}

const char *
sluice_err_name(sluice_err rv)
{
	switch (rv) {
#define X(name, val, text)  \
	case SLUICE_##name: \
		return "SLUICE_" #name;
		SLUICE_ERRORS(X)
#undef X
	}
	return "SLUICE_UNKNOWN";
}
