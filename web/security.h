/*
 * Two-factor login and the payout address, as abc-web shows them (issue
 * 15): the second step of a login, the /account/security page and its
 * forms (2FA on and off, the payout address), and what the account page
 * shows of them (security_put).  abc-worker judges every code and owns
 * the secret; abc-web shows the secret once, at enrolment, and keeps
 * nothing (pages that show a secret or recovery codes are no-store).
 *
 * Ownership: security_put adds to the caller's template data; the reply
 * given to security_login_form is borrowed.
 */
#ifndef ABC_SECURITY_H
#define ABC_SECURITY_H

#include <json-c/json.h>

struct http_req;
struct tpl_val;

void	security_put(struct http_req *r, struct tpl_val *data);
void	security_login_form(struct http_req *r, struct json_object *rep);

#endif /* ABC_SECURITY_H */
