/* names.c - the rule for topic names, shared by client and broker. */
#include "sluice/sluice.h"

#include <string.h>

int
sluice_topic_name_is_valid(const char *name)
{
	if (name == NULL)
		return 0;
	size_t n = strlen(name);
	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '/' || c == '-';
		if (!ok)
			return 0;
	}
	return 1;
}
