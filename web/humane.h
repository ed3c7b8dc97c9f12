/*
 * Words and numbers for people: times relative to now ("in 52 min",
 * "3 h ago") beside their absolute UTC form, slot lengths ("1 h"), the
 * history's event kinds as phrases ("Deposit credited") and its details
 * with amounts in BTC instead of satoshis, slots numbered from 1.
 *
 * Memory: nothing is allocated except by humane_set_time, which sets
 * keys of a template object the caller owns; every other function writes
 * into a buffer the caller gives and always NUL-terminates it.
 */
#ifndef ABC_HUMANE_H
#define ABC_HUMANE_H

#include <stddef.h>
#include <stdint.h>

struct tpl_val;

/* "YYYY-MM-DD HH:MM:SS" (UTC, as the worker writes times) -> ms. 0/-1. */
int		 humane_utc_parse(const char *s, int64_t *ms);
/* ms as "2026-01-02T03:04:05Z" (for <time datetime>); out[24]. */
void		 humane_iso(int64_t ms, char *out, size_t len);
/* ms as "2026-01-02 03:04:05 UTC"; out[32]. */
void		 humane_abs(int64_t ms, char *out, size_t len);
/* then relative to now: "just now", "in 52 min", "3 h ago", "2 days ago". */
void		 humane_rel(int64_t then_ms, int64_t now_ms, char *out,
		    size_t len);
/* A length of time: "20 s", "45 min", "1 h", "1 h 30 min", "3 days". */
void		 humane_span(int64_t ms, char *out, size_t len);
/* The phrase of a history kind ("deposit_credited" -> "Deposit credited"). */
const char	*humane_kind(const char *kind);
/*
 * A history detail for people: every "<digits> sat" becomes "<btc> BTC";
 * for purchase and sale kinds "slot N" becomes "slot N+1".
 */
void		 humane_detail(const char *kind, const char *detail, char *out,
		    size_t len);
/*
 * Sets key (absolute text), key_iso and key_rel of v for time ms; from a
 * worker time text when ms < 0 and text is not NULL (unreadable: the
 * text as it is, no relative form).
 */
void		 humane_set_time(struct tpl_val *v, const char *key,
		    int64_t ms, const char *text, int64_t now_ms);

#endif /* ABC_HUMANE_H */
