/* Account notifications as link notices, see acctnote.h. */
#include <errno.h>
#include <stdlib.h>

#include "acctnote.h"
#include "msg.h"

/* The notice for one notification payload (never NULL). */
struct json_object *
acctnote_notice(const char *payload)
{
	struct json_object	*notice;
	char			*end;
	long long		 user;

	errno = 0;
	user = strtoll(payload, &end, 10);
	if (payload[0] >= '1' && payload[0] <= '9' && *end == '\0' &&
	    errno == 0) {
		notice = msg_notice_new(MSG_NOTICE_ACCOUNT_CHANGED);
		json_object_object_add(notice, "user",
		    json_object_new_int64(user));
	} else
		notice = msg_notice_new(MSG_NOTICE_ACCOUNTS_CHANGED);
	return notice;
}
