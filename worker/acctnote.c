/* Account notifications as link notices, see acctnote.h. */
#include <errno.h>
#include <stdlib.h>

#include "acctnote.h"

/* The notice for one notification payload (never NULL). */
struct json_object *
acctnote_notice(const char *payload)
{
	struct json_object	*notice;
	char			*end;
	long long		 user;

	notice = json_object_new_object();
	errno = 0;
	user = strtoll(payload, &end, 10);
	if (payload[0] >= '1' && payload[0] <= '9' && *end == '\0' &&
	    errno == 0) {
		json_object_object_add(notice, "kind",
		    json_object_new_string("account_changed"));
		json_object_object_add(notice, "user",
		    json_object_new_int64(user));
	} else
		json_object_object_add(notice, "kind",
		    json_object_new_string("accounts_changed"));
	return notice;
}
