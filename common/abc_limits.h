/*
 * Every bound on untrusted input, in one place.  Code that reads bytes from
 * outside checks against these before it allocates anything.
 */
#ifndef ABC_LIMITS_H
#define ABC_LIMITS_H

/* Link frames: fixed header plus at most this many body bytes. */
#define LIMIT_FRAME_BODY	(1024u * 1024u)

/* Link peers: a certificate CN, whole (RFC 5280 ub-common-name), and the
 * front-end names abc-worker accepts (link_clients). */
#define LIMIT_PEER_NAME		64u
#define LIMIT_LINK_CLIENTS	32u

/* Config files: bytes per line and lines per file. */
#define LIMIT_CONF_LINE		4096u
#define LIMIT_CONF_LINES	10000u

/* Templates: source size, nesting depth of sections and partials. */
#define LIMIT_TPL_SOURCE	(256u * 1024u)
#define LIMIT_TPL_DEPTH		32u

/* JSON documents on the link and from bitcoind. */
#define LIMIT_JSON_DEPTH	32
#define LIMIT_RPC_BODY		(8u * 1024u * 1024u)

/* HTTP request bodies accepted by abc-web (nginx caps the same). */
#define LIMIT_HTTP_BODY		(512u * 1024u)

/* HTML forms: fields, bytes per decoded name and value (web/abc_form.c). */
#define LIMIT_FORM_FIELDS	32
#define LIMIT_FORM_NAME		64
#define LIMIT_FORM_VALUE	(8u * 1024u)

/* Form fields of ads and campaigns (SPEC 4.3, 4.4), checked by abc-web
 * before a request is built and again by abc-worker (common/field.c), and
 * CHECKed by the database (sql/005_campaigns.sql).  Text is counted in
 * characters (code points); a link in bytes of printable ASCII. */
#define LIMIT_AD_NICKNAME	40u
#define LIMIT_AD_HOVER		140u
#define LIMIT_AD_URL		2000u
#define LIMIT_CAMPAIGN_NAME	80u
#define LIMIT_CAMPAIGN_DESC	2000u
/* A seller's reason for rejecting an ad (sql/019_moderation.sql). */
#define LIMIT_REJECT_REASON	200u

/* Cookie request header, and name + value of a cookie we set. */
#define LIMIT_COOKIE_HEADER	(8u * 1024u)
#define LIMIT_COOKIE_PAIR	(4u * 1024u)

/* multipart/form-data (web/multipart.c): parts, header bytes per part,
 * field name, boundary (RFC 2046). */
#define LIMIT_MP_PARTS		16
#define LIMIT_MP_HEADER		1024
#define LIMIT_MP_NAME		64
#define LIMIT_MP_BOUNDARY	70

#endif /* ABC_LIMITS_H */
