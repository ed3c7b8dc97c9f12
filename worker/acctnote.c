/* Account notifications as link notices, see acctnote.h. */
#include <errno.h>
#include <stdlib.h>

#include "acctnote.h"
#include "msg.h"

void
acctnote_init(struct acctnote_batch *b)
{
	b->n = 0;
	b->all = 0;
}

/*
 * The user id a payload names, or 0 when it names every account (strict:
 * decimal digits only, no sign, no blanks, no overflow).
 */
static int64_t
acctnote_user(const char *payload)
{
	char		*end;
	long long	 user;

	if (payload[0] < '1' || payload[0] > '9')
		return 0;
	errno = 0;
	user = strtoll(payload, &end, 10);
	return *end == '\0' && errno == 0 ? (int64_t)user : 0;
}

/*
 * Adds one notification's payload.  Returns 0, or -1 when the batch is
 * full and payload names a user not in it yet: relay the batch, start
 * another and add the payload to that.
 */
int
acctnote_add(struct acctnote_batch *b, const char *payload)
{
	int64_t	 user = acctnote_user(payload);
	size_t	 i;

	if (user == 0) {
		b->all = 1;
		return 0;
	}
	if (b->all)
		return 0;	/* covered already */
	for (i = 0; i < b->n; i++)
		if (b->users[i] == user)
			return 0;
	if (b->n == ACCTNOTE_USERS_MAX)
		return -1;
	b->users[b->n++] = user;
	return 0;
}

/* The batch's notice, or NULL when nothing was added. */
struct json_object *
acctnote_notice(const struct acctnote_batch *b)
{
	struct json_object	*notice, *users;
	size_t			 i;

	if (b->all)
		return msg_notice_new(MSG_NOTICE_ACCOUNTS_CHANGED);
	if (b->n == 0)
		return NULL;
	if (b->n == 1) {
		notice = msg_notice_new(MSG_NOTICE_ACCOUNT_CHANGED);
		json_object_object_add(notice, "user",
		    json_object_new_int64(b->users[0]));
		return notice;
	}
	notice = msg_notice_new(MSG_NOTICE_ACCOUNTS_CHANGED);
	users = json_object_new_array_ext((int)b->n);
	for (i = 0; i < b->n; i++)
		json_object_array_add(users, json_object_new_int64(b->users[i]));
	json_object_object_add(notice, "users", users);
	return notice;
}
