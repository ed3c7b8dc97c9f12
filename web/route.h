/*
 * Path -> handler table for abc-web.  Handlers answer exactly once through
 * web/http.h.  Page handlers live in web/page_*.c.
 */
#ifndef ABC_ROUTE_H
#define ABC_ROUTE_H

struct http_req;

typedef void	(*route_handler)(struct http_req *r);

void	route_dispatch(struct http_req *r);

void	page_home(struct http_req *r);
void	page_status(struct http_req *r);
void	page_metrics(struct http_req *r);
void	page_status_detail(struct http_req *r);
void	page_register(struct http_req *r);
void	page_login(struct http_req *r);
void	page_logout(struct http_req *r);
void	page_logout_all(struct http_req *r);
void	page_account(struct http_req *r);
void	page_password(struct http_req *r);
void	page_purge(struct http_req *r);
void	page_account_state(struct http_req *r);
void	page_account_list(struct http_req *r);
void	page_new_address(struct http_req *r);
void	page_withdraw(struct http_req *r);
void	page_webhooks(struct http_req *r);
void	page_webhook_add(struct http_req *r);
void	page_webhook_delete(struct http_req *r);
void	page_webhook_redeliver(struct http_req *r);
void	page_sell(struct http_req *r);
void	page_ads(struct http_req *r);
void	page_campaign(struct http_req *r);
void	page_embed(struct http_req *r);
void	page_api_campaign(struct http_req *r);
void	page_img(struct http_req *r);
void	page_my_campaigns(struct http_req *r);
void	page_my_ads(struct http_req *r);
void	page_my_campaigns_json(struct http_req *r);
void	page_my_slot(struct http_req *r);
/* 2FA and the payout address (web/security.c) */
void	page_login_totp(struct http_req *r);
void	page_security(struct http_req *r);
void	page_totp_begin(struct http_req *r);
void	page_totp_enable(struct http_req *r);
void	page_totp_disable(struct http_req *r);
void	page_payout(struct http_req *r);
void	page_how(struct http_req *r);
void	page_go(struct http_req *r);	/* web/page_go.c, issue 15 */
void	page_approvals(struct http_req *r);
/* Issue 15: web/page_api.c, web/page_apikeys.c. */
void	page_api_me(struct http_req *r);
void	page_api_campaign_v1(struct http_req *r);
void	page_api_ads(struct http_req *r);
void	page_api_none(struct http_req *r);
void	page_apikeys(struct http_req *r);
void	page_apikeys_revoke(struct http_req *r);

#endif /* ABC_ROUTE_H */
