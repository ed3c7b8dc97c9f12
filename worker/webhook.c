/*
 * The webhook sender thread (see webhook.h).  One run: the "slot started"
 * job, then one batch of due deliveries sent in parallel, each outcome
 * recorded with webhook_attempted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "bgdb.h"
#include "lease.h"
#include "log.h"
#include "periodic.h"
#include "webhook.h"
#include "whsign.h"
#include "xmalloc.h"

struct webhook {
	struct webhook_cfg	 cfg;		/* conninfo not kept */
	struct periodic		 job;		/* its thread and connection */
};

/* One delivery in flight. */
struct wh_send {
	CURL			*easy;
	struct curl_slist	*hdrs;
	char			 id[24];
	int			 attempts;	/* made before this one */
	int			 refused;	/* the address policy said no */
	int			 allow_private;
};

/* Drops the receiver's answer: only its status matters. */
static size_t
wh_discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/*
 * libcurl's socket opener: refuses addresses off the public internet
 * unless allowed, after the name was resolved, so a name that resolves
 * to 127.0.0.1 is refused too.
 */
static curl_socket_t
wh_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct wh_send	*s = arg;

	if (purpose != CURLSOCKTYPE_IPCXN || (!s->allow_private &&
	    wh_addr_private(&a->addr))) {
		s->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Adds a header "name: value" to s; 0 or -1. */
static int
wh_header(struct wh_send *s, const char *name, const char *value)
{
	char			 line[256];
	struct curl_slist	*l;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	if ((l = curl_slist_append(s->hdrs, line)) == NULL)
		return -1;
	s->hdrs = l;
	return 0;
}

/*
 * Prepares the POST of row i of res (webhook_take's columns: id,
 * delivery, kind, url, secret, attempts, body) into s; 0 or -1.  The body
 * stays in res, which outlives the transfer (CURLOPT_POSTFIELDS borrows).
 */
static int
wh_prepare(struct webhook *w, struct wh_send *s, PGresult *res, int i)
{
	const char	*body = PQgetvalue(res, i, 6);
	char		 sig[WH_SIG_LEN];

	snprintf(s->id, sizeof(s->id), "%s", PQgetvalue(res, i, 0));
	s->attempts = atoi(PQgetvalue(res, i, 5));
	s->allow_private = w->cfg.allow_private;
	if (wh_sign(PQgetvalue(res, i, 4), body, strlen(body), sig) != 0 ||
	    (s->easy = curl_easy_init()) == NULL ||
	    wh_header(s, "Content-Type", "application/json") != 0 ||
	    wh_header(s, "X-Abc-Delivery", PQgetvalue(res, i, 1)) != 0 ||
	    wh_header(s, "X-Abc-Event", PQgetvalue(res, i, 2)) != 0 ||
	    wh_header(s, "X-Abc-Signature", sig) != 0 ||
	    wh_header(s, "Expect", "") != 0)
		return -1;
	curl_easy_setopt(s->easy, CURLOPT_URL, PQgetvalue(res, i, 3));
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "abc-webhook/1");
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, wh_discard);
	curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    WEBHOOK_CONNECT_MS);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, WEBHOOK_TOTAL_MS);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 0L);
	/* No proxy from the environment: the address policy is about the
	 * receiver, and a proxy would hide it. */
	curl_easy_setopt(s->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->easy, CURLOPT_OPENSOCKETFUNCTION, wh_open_socket);
	curl_easy_setopt(s->easy, CURLOPT_OPENSOCKETDATA, s);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	return 0;
}

/* Records the outcome of s's attempt (res: libcurl's verdict); 0 or -1. */
static int
wh_record(struct webhook *w, struct wh_send *s, CURLcode res)
{
	const char	*params[5];
	char		 status[16], next[24], why[160];
	long		 code = 0;
	int64_t		 delay;
	int		 ok;

	(void)curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	ok = res == CURLE_OK && code >= 200 && code <= 299;
	if (s->refused)
		snprintf(why, sizeof(why), "address refused: private or "
		    "loopback (webhook_allow_private = no)");
	else if (res != CURLE_OK)
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(res));
	else
		snprintf(why, sizeof(why), "HTTP %ld", code);
	delay = ok ? 0 : wh_backoff_ms(s->attempts + 1, w->cfg.backoff_pm);
	snprintf(status, sizeof(status), "%ld", code);
	snprintf(next, sizeof(next), "%" PRId64, delay);
	params[0] = s->id;
	params[1] = ok ? "true" : "false";
	params[2] = status;
	params[3] = why;
	params[4] = next;
	if (ok)
		log_info("webhook_sent", "delivery=%s status=%ld attempt=%d",
		    s->id, code, s->attempts + 1);
	else
		log_warn("webhook_failed", "delivery=%s attempt=%d error=\"%s\" "
		    "next_ms=%" PRId64, s->id, s->attempts + 1, why, delay);
	return bgdb_exec(&w->job.db, "SELECT webhook_attempted($1, $2, $3, "
	    "$4, $5)", 5, params);
}

/* Runs the transfers of m to their end, recording each; 0 or -1. */
static int
wh_perform(struct webhook *w, CURLM *m)
{
	struct wh_send	*s;
	CURLMsg		*msg;
	int		 running = 1, left, rc = 0;

	while (running > 0) {
		if (curl_multi_perform(m, &running) != CURLM_OK ||
		    (running > 0 && curl_multi_poll(m, NULL, 0, 500, NULL) !=
		    CURLM_OK)) {
			snprintf(w->job.err, sizeof(w->job.err),
			    "libcurl multi failed");
			return -1;
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			(void)curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_PRIVATE, (char **)&s);
			if (wh_record(w, s, msg->data.result) != 0)
				rc = -1;
		}
	}
	return rc;
}

/* Sends one batch of due deliveries; 0 (also when none) or -1. */
static int
wh_batch(struct webhook *w)
{
	struct wh_send	 sends[WEBHOOK_BATCH];
	const char	*params[3];
	char		 limit[16], per[16], hold[16];
	PGresult	*res;
	CURLM		*m;
	int		 i, n, rc = 0;

	snprintf(limit, sizeof(limit), "%d", WEBHOOK_BATCH);
	snprintf(per, sizeof(per), "%d", WEBHOOK_PER_ENDPOINT);
	snprintf(hold, sizeof(hold), "%d", WEBHOOK_HOLD_S);
	params[0] = limit;
	params[1] = per;
	params[2] = hold;
	if ((res = bgdb_sql(&w->job.db, "SELECT id, delivery, kind, url, "
	    "secret, attempts, body FROM webhook_take($1, $2, $3)", 3,
	    params)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 0 || (m = curl_multi_init()) == NULL) {
		PQclear(res);
		return n == 0 ? 0 : -1;
	}
	memset(sends, 0, sizeof(sends));
	for (i = 0; i < n && i < WEBHOOK_BATCH; i++) {
		if (wh_prepare(w, &sends[i], res, i) != 0 ||
		    curl_multi_add_handle(m, sends[i].easy) != CURLM_OK) {
			/* Stays due after WEBHOOK_HOLD_S: tried again. */
			snprintf(w->job.err, sizeof(w->job.err), "cannot "
			    "prepare delivery %s", sends[i].id);
			rc = -1;
		}
	}
	if (wh_perform(w, m) != 0)
		rc = -1;
	for (i = 0; i < n && i < WEBHOOK_BATCH; i++) {
		if (sends[i].easy != NULL) {
			curl_multi_remove_handle(m, sends[i].easy);
			curl_easy_cleanup(sends[i].easy);
		}
		curl_slist_free_all(sends[i].hdrs);
	}
	curl_multi_cleanup(m);
	PQclear(res);
	return rc;
}

/*
 * The job's step (w is the job's arg): the slot-started job, then
 * batches while any is full; 0, or -1 with the job's err set.
 */
static int
wh_run(void *arg)
{
	struct webhook	*w = arg;
	PGresult	*res;

	if (!lease_may_act())
		return 0;
	if ((res = bgdb_sql(&w->job.db, "SELECT webhook_slots_started()", 0,
	    NULL)) == NULL)
		return -1;
	PQclear(res);
	return wh_batch(w);
}

/* Starts the job; NULL (logged) when it cannot. */
struct webhook *
webhook_start(const struct webhook_cfg *cfg)
{
	struct periodic_cfg	 pc = { "webhook", cfg->conninfo,
				    cfg->poll_ms, cfg->poll_ms * 4, wh_run,
				    NULL };
	struct webhook		*w;

	w = xcalloc(1, sizeof(*w));
	w->cfg = *cfg;
	w->cfg.conninfo = NULL;		/* the job's connection keeps it */
	pc.arg = w;
	if (periodic_start(&w->job, &pc) != 0) {
		free(w);
		return NULL;
	}
	if (cfg->allow_private)
		log_warn("config", "webhook_allow_private set: webhooks may "
		    "reach loopback and private addresses");
	return w;
}

/* Stops the job (a batch in flight finishes) and frees everything. */
void
webhook_stop(struct webhook *w)
{
	if (w == NULL)
		return;
	periodic_stop(&w->job);
	free(w);
}
