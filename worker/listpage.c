/* Keyset pages of a user's growing lists; see listpage.h. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "listpage.h"
#include "msg.h"

/* The page is LISTPAGE_SIZE rows; one more tells that another exists. */
#define LP_LIMIT	"21"

/* What a row of each list shows, as a jsonb object with its "id". */
#define LP_DEPOSIT_ROW \
	"jsonb_build_object('id', d.id, 'txid', d.txid, 'vout', d.vout, " \
	"'amount', d.amount, 'status', d.status, 'confirmations', " \
	"CASE WHEN d.status = 'credited' AND d.block_height IS NOT NULL " \
	"AND tip.height >= d.block_height THEN greatest(tip.height - " \
	"d.block_height + 1, d.confirmations) ELSE d.confirmations END, " \
	"'at', to_char(d.seen_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD HH24:MI:SS'))"
#define LP_DEPOSIT_FROM \
	"FROM deposits d LEFT JOIN (SELECT height FROM chain_cursor " \
	"WHERE id = 1) tip ON true WHERE d.user_id = $1"
#define LP_WITHDRAWAL_ROW \
	"jsonb_build_object('id', d.id, 'address', d.address, 'amount', " \
	"d.amount, 'status', d.status, 'txid', d.txid, 'at', " \
	"to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))"
#define LP_WITHDRAWAL_FROM \
	"FROM withdrawals d WHERE d.user_id = $1"
#define LP_HISTORY_ROW \
	"jsonb_build_object('id', d.id, 'kind', d.kind, 'detail', d.detail, " \
	"'at', to_char(d.created_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD HH24:MI:SS'))"
#define LP_HISTORY_FROM \
	"FROM account_events d WHERE d.user_id = $1"
#define LP_AD_ROW \
	"jsonb_build_object('id', d.id, 'nickname', d.nickname, 'hover', " \
	"d.hover, 'url', d.url, 'image', d.image, 'width', i.width, " \
	"'height', i.height, 'ran', dash_ad_runs(d.id, 5))"
#define LP_AD_FROM \
	"FROM ads d JOIN images i ON i.sha256 = d.image " \
	"WHERE d.user_id = $1 AND ($3::integer IS NULL OR i.width = $3) " \
	"AND ($4::integer IS NULL OR i.height = $4) " \
	"AND ($5::bigint IS NULL OR d.id = $5)"

/*
 * One page: the rows nearest the cursor in its direction (so the index on
 * (user_id, id) serves it), aggregated newest first.
 */
#define LP_SQL(row, from, cmp, dir) \
	"SELECT coalesce(jsonb_agg(r ORDER BY id DESC), '[]')::text " \
	"FROM (SELECT d.id, " row " AS r " from " AND d.id " cmp " $2 " \
	"ORDER BY d.id " dir " LIMIT " LP_LIMIT ") p"

/* Indexed by enum listpage_list: [0] older-than, [1] newer-than. */
static const char *const lp_sql[LISTPAGE__MAX][2] = {
	{ LP_SQL(LP_DEPOSIT_ROW, LP_DEPOSIT_FROM, "<", "DESC"),
	  LP_SQL(LP_DEPOSIT_ROW, LP_DEPOSIT_FROM, ">", "ASC") },
	{ LP_SQL(LP_WITHDRAWAL_ROW, LP_WITHDRAWAL_FROM, "<", "DESC"),
	  LP_SQL(LP_WITHDRAWAL_ROW, LP_WITHDRAWAL_FROM, ">", "ASC") },
	{ LP_SQL(LP_HISTORY_ROW, LP_HISTORY_FROM, "<", "DESC"),
	  LP_SQL(LP_HISTORY_ROW, LP_HISTORY_FROM, ">", "ASC") },
	{ LP_SQL(LP_AD_ROW, LP_AD_FROM, "<", "DESC"),
	  LP_SQL(LP_AD_ROW, LP_AD_FROM, ">", "ASC") },
};

/* The account overview with the newest page of each of its lists. */
static const char lp_overview[] =
	"SELECT acct_overview($1), ("
	LP_SQL(LP_DEPOSIT_ROW, LP_DEPOSIT_FROM, "<", "DESC") "), ("
	LP_SQL(LP_WITHDRAWAL_ROW, LP_WITHDRAWAL_FROM, "<", "DESC") "), ("
	LP_SQL(LP_HISTORY_ROW, LP_HISTORY_FROM, "<", "DESC") ")";

static const char *const lp_names[LISTPAGE__MAX] = {
	"deposits", "withdrawals", "history", "ads",
};

/* Reads a list's name; 0, or -1 when unknown. */
int
listpage_parse(const char *name, enum listpage_list *out)
{
	int	 i;

	for (i = 0; name != NULL && i < LISTPAGE__MAX; i++)
		if (strcmp(name, lp_names[i]) == 0) {
			*out = (enum listpage_list)i;
			return 0;
		}
	return -1;
}

const char *
listpage_name(enum listpage_list l)
{
	return (unsigned)l < LISTPAGE__MAX ? lp_names[l] : "?";
}

/*
 * Reads the request's "before" (an id, at least 1) or "after" (at least
 * 0: after=0 is the oldest page) into cur, not both; neither means the
 * newest page.  0, or -1 when malformed.
 */
int
listpage_cursor(struct json_object *req, struct listpage_cur *cur)
{
	int64_t	 before = 0, after = 0;
	int	 hb, ha;

	hb = json_object_object_get_ex(req, "before", NULL);
	ha = json_object_object_get_ex(req, "after", NULL);
	if ((hb && (msg_get_int(req, "before", &before) != 0 ||
	    before < 1)) || (ha && (msg_get_int(req, "after", &after) != 0 ||
	    after < 0)) || (hb && ha))
		return -1;
	cur->after = ha;
	cur->id = ha ? after : before;
	return 0;
}

/* The statement of list l's page in one direction; NULL if l is unknown. */
const char *
listpage_sql(enum listpage_list l, int after)
{
	return (unsigned)l < LISTPAGE__MAX ? lp_sql[l][after != 0] : NULL;
}

/*
 * The account overview ($1 user, $2 the newest-page cursor): acct_overview
 * then the newest page of deposits, withdrawals and history, one column
 * each, for listpage_fill to put in place of the overview's own lists.
 */
const char *
listpage_overview_sql(void)
{
	return lp_overview;
}

/* The $2 parameter for cur: the cursor, or above every id. */
void
listpage_cursor_param(const struct listpage_cur *cur, char *out,
    size_t outlen)
{
	snprintf(out, outlen, "%" PRId64, cur->id > 0 || cur->after ?
	    cur->id : INT64_MAX);
}

/* The "id" of row i of arr, or 0. */
static int64_t
lp_id(struct json_object *arr, size_t i)
{
	int64_t	 id = 0;

	(void)msg_get_int(json_object_array_get_idx(arr, i), "id", &id);
	return id;
}

/*
 * Adds to rep, from rows_json (the text listpage_sql's statement gave for
 * cur): member, an array of at most LISTPAGE_SIZE rows newest first; and
 * member_older / member_newer, the cursor ids of the neighbouring pages
 * (older: ?before=, newer: ?after=), present only when such a page exists.
 * Returns 0, or -1 when rows_json is not an array (rep unchanged).
 */
int
listpage_fill(struct json_object *rep, const char *member,
    const char *rows_json, const struct listpage_cur *cur)
{
	struct json_object	*arr;
	char			 key[64], err[64];
	size_t			 n;
	int64_t			 older, newer;
	int			 more;

	if (rows_json == NULL || (arr = msg_parse_json((const uint8_t *)
	    rows_json, strlen(rows_json), err, sizeof(err))) == NULL)
		return -1;
	if (!json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -1;
	}
	n = json_object_array_length(arr);
	more = n > LISTPAGE_SIZE;
	/* The extra row is the one farthest from the cursor. */
	if (more)
		json_object_array_del_idx(arr, cur->after ? 0 : n - 1, 1);
	n = json_object_array_length(arr);
	/*
	 * A page reached from a newer one has a newer one, and likewise
	 * for older; an empty page (past either end) links back through
	 * its cursor: ?after=id-1 shows id and up, ?before=id+1 id and down.
	 */
	if (cur->after) {
		older = n > 0 ? lp_id(arr, n - 1) : cur->id + 1;
		newer = more ? lp_id(arr, 0) : -1;
	} else {
		older = more ? lp_id(arr, n - 1) : -1;
		newer = n > 0 ? lp_id(arr, 0) : cur->id - 1;
		if (cur->id == 0)
			newer = -1;
	}
	if (older > 0) {
		snprintf(key, sizeof(key), "%s_older", member);
		json_object_object_add(rep, key, json_object_new_int64(older));
	}
	/* ?after=0 is the oldest page: the way back from before the first. */
	if (newer >= 0) {
		snprintf(key, sizeof(key), "%s_newer", member);
		json_object_object_add(rep, key, json_object_new_int64(newer));
	}
	json_object_object_add(rep, member, arr);
	return 0;
}
