/*
 * The route table and dispatch: a path matches a route exactly, or by
 * prefix when the route ends in '/' (the page parses the rest, e.g. the
 * id of /c/<id>); no match is 404, a path known for another method 405.
 */
#include <string.h>

#include "http.h"
#include "route.h"

struct route {
	const char	*method;
	const char	*path;		/* exact, or a prefix when ending '/' */
	route_handler	 handler;
};

/* Checked in order: the first route whose path and method match wins. */
static const struct route routes[] = {
	{ "GET",	"/",		page_home },
	{ "GET",	"/status",	page_status },
	{ "GET",	"/status/detail", page_status_detail },
	{ "GET",	"/metrics",	page_metrics },
	{ "GET",	"/register",	page_register },
	{ "POST",	"/register",	page_register },
	{ "GET",	"/login",	page_login },
	{ "POST",	"/login",	page_login },
	{ "POST",	"/logout",	page_logout },
	{ "POST",	"/logout-all",	page_logout_all },
	{ "GET",	"/account",	page_account },
	{ "POST",	"/account/password", page_password },
	{ "POST",	"/account/history/purge", page_purge },
	{ "GET",	"/account/state.json", page_account_state },
	{ "GET",	"/account/deposits", page_account_list },
	{ "GET",	"/account/deposits.json", page_account_list },
	{ "GET",	"/account/withdrawals", page_account_list },
	{ "GET",	"/account/withdrawals.json", page_account_list },
	{ "GET",	"/account/history", page_account_list },
	{ "GET",	"/account/history.json", page_account_list },
	{ "POST",	"/account/address", page_new_address },
	{ "POST",	"/account/withdraw", page_withdraw },
	{ "GET",	"/account/webhooks", page_webhooks },
	{ "POST",	"/account/webhooks", page_webhook_add },
	{ "POST",	"/account/webhooks/delete", page_webhook_delete },
	{ "POST",	"/account/webhooks/redeliver", page_webhook_redeliver },
	{ "GET",	"/sell",	page_sell },
	{ "POST",	"/sell",	page_sell },
	{ "GET",	"/ads",		page_ads },
	{ "POST",	"/ads",		page_ads },
	{ "GET",	"/c/",		page_campaign },
	{ "POST",	"/c/",		page_campaign },
	{ "GET",	"/embed/",	page_embed },
	{ "GET",	"/api/c/",	page_api_campaign },
	{ "GET",	"/img/",	page_img },
	{ "GET",	"/my/campaigns", page_my_campaigns },
	{ "GET",	"/my/ads",	page_my_ads },
	{ "GET",	"/my/campaigns.json", page_my_campaigns_json },
	{ "GET",	"/my/slots/",	page_my_slot },
	{ "GET",	"/how",		page_how },
	{ "GET",	"/go/",		page_go },	/* issue 15 */
	{ "GET",	"/my/approvals", page_approvals },
	{ "POST",	"/my/approvals/review", page_approvals },
	{ "POST",	"/my/approvals/block", page_approvals },
	{ "POST",	"/my/approvals/settings", page_approvals },
	/* Issue 15: the JSON API (web/page_api.c), keys on /account/api. */
	{ "GET",	"/api/v1/me/campaigns", page_api_me },
	{ "GET",	"/api/v1/me/ads", page_api_me },
	{ "GET",	"/api/v1/campaigns/", page_api_campaign_v1 },
	{ "POST",	"/api/v1/campaigns/", page_api_campaign_v1 },
	{ "POST",	"/api/v1/ads",	page_api_ads },
	{ "GET",	"/api/v1/",	page_api_none },
	{ "POST",	"/api/v1/",	page_api_none },
	{ "GET",	"/account/api",	page_apikeys },
	{ "POST",	"/account/api",	page_apikeys },
	{ "POST",	"/account/api/revoke", page_apikeys_revoke },
	/* 2FA and the payout address (web/security.c) */
	{ "POST",	"/login/totp",	page_login_totp },
	{ "GET",	"/account/security", page_security },
	{ "POST",	"/account/totp/begin", page_totp_begin },
	{ "POST",	"/account/totp/enable", page_totp_enable },
	{ "POST",	"/account/totp/disable", page_totp_disable },
	{ "POST",	"/account/payout", page_payout },
};

/* Returns non-zero when path matches pattern (a prefix if it ends '/'). */
static int
route_match(const char *pattern, const char *path)
{
	size_t	 n = strlen(pattern);

	if (n > 1 && pattern[n - 1] == '/')
		return strncmp(pattern, path, n) == 0 && path[n] != '\0';
	return strcmp(pattern, path) == 0;
}

/* Finds the handler for r or answers 404 / 405 itself. */
void
route_dispatch(struct http_req *r)
{
	size_t	 i;
	int	 path_known = 0;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_match(routes[i].path, r->path))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0)) {
			routes[i].handler(r);
			return;
		}
	}
	if (path_known)
		(void)http_error(r, 405, "This address does not accept that "
		    "method.");
	else
		(void)http_error(r, 404, "There is nothing at this address.");
}
