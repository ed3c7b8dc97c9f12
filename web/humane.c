/* Words and numbers for people; see humane.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "humane.h"
#include "money.h"
#include "template.h"

#define HUMANE_S	INT64_C(1000)
#define HUMANE_MIN	(60 * HUMANE_S)
#define HUMANE_H	(60 * HUMANE_MIN)
#define HUMANE_DAY	(24 * HUMANE_H)
#define HUMANE_FAR	INT64_C(100000000000000000)

/* Reads exactly n digits at s into *v; 0 or -1. */
static int
humane_digits(const char *s, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
humane_days(int y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
humane_utc_parse(const char *s, int64_t *ms)
{
	static const int	 mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int			 y, mo, d, h, mi, se;

	if (s == NULL || strlen(s) != 19 || s[4] != '-' || s[7] != '-' ||
	    s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
	    humane_digits(s, 4, &y) || humane_digits(s + 5, 2, &mo) ||
	    humane_digits(s + 8, 2, &d) || humane_digits(s + 11, 2, &h) ||
	    humane_digits(s + 14, 2, &mi) || humane_digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || se > 60)
		return -1;
	*ms = (((humane_days(y, mo, d) * 24 + h) * 60 + mi) * 60 + se) *
	    HUMANE_S;
	return 0;
}

/* gmtime of ms into tm; 0 or -1. */
static int
humane_tm(int64_t ms, struct tm *tm)
{
	time_t	 t = (time_t)(ms / 1000 - (ms % 1000 < 0));

	return gmtime_r(&t, tm) != NULL ? 0 : -1;
}

void
humane_iso(int64_t ms, char *out, size_t len)
{
	struct tm	 tm;

	if (humane_tm(ms, &tm) != 0 ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%s", "");
}

void
humane_abs(int64_t ms, char *out, size_t len)
{
	struct tm	 tm;

	if (humane_tm(ms, &tm) != 0 ||
	    strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, len, "%s", "?");
}

/* |d| in the largest unit that reads well, rounded: "52 min", "3 h". */
static void
humane_amount(int64_t d, char *out, size_t len)
{
	if (d < 90 * HUMANE_S)
		snprintf(out, len, "%lld s", (long long)((d + 500) / HUMANE_S));
	else if (d < 90 * HUMANE_MIN)
		snprintf(out, len, "%lld min", (long long)((d + HUMANE_MIN /
		    2) / HUMANE_MIN));
	else if (d < 36 * HUMANE_H)
		snprintf(out, len, "%lld h", (long long)((d + HUMANE_H / 2) /
		    HUMANE_H));
	else
		snprintf(out, len, "%lld days", (long long)((d + HUMANE_DAY /
		    2) / HUMANE_DAY));
}

void
humane_rel(int64_t then_ms, int64_t now_ms, char *out, size_t len)
{
	char	 a[48];
	int64_t	 d;

	/* Absurd times (3 million years away): no arithmetic to overflow. */
	if (then_ms < -HUMANE_FAR || then_ms > HUMANE_FAR ||
	    now_ms < -HUMANE_FAR || now_ms > HUMANE_FAR) {
		snprintf(out, len, "%s", then_ms > now_ms ? "much later" :
		    "long ago");
		return;
	}
	d = then_ms - now_ms;
	if (d > -5 * HUMANE_S && d < 5 * HUMANE_S) {
		snprintf(out, len, "%s", "just now");
		return;
	}
	humane_amount(d < 0 ? -d : d, a, sizeof(a));
	if (d > 0)
		snprintf(out, len, "in %s", a);
	else
		snprintf(out, len, "%s ago", a);
}

void
humane_span(int64_t ms, char *out, size_t len)
{
	if (ms <= 0)
		snprintf(out, len, "%s", "0 s");
	else if (ms % HUMANE_DAY == 0 && ms >= 2 * HUMANE_DAY)
		snprintf(out, len, "%lld days", (long long)(ms / HUMANE_DAY));
	else if (ms % HUMANE_H == 0)
		snprintf(out, len, "%lld h", (long long)(ms / HUMANE_H));
	else if (ms > HUMANE_H && ms % HUMANE_MIN == 0)
		snprintf(out, len, "%lld h %lld min", (long long)(ms /
		    HUMANE_H), (long long)(ms % HUMANE_H / HUMANE_MIN));
	else if (ms % HUMANE_MIN == 0)
		snprintf(out, len, "%lld min", (long long)(ms / HUMANE_MIN));
	else
		snprintf(out, len, "%lld s", (long long)(ms / HUMANE_S +
		    (ms % HUMANE_S != 0)));
}

const char *
humane_kind(const char *kind)
{
	static const struct {
		const char	*kind, *text;
	} k[] = {
		{ "register", "Registered" },
		{ "login", "Logged in" },
		{ "logout_all", "Logged out everywhere" },
		{ "password_change", "Password changed" },
		{ "history_purge", "History purged" },
		{ "deposit_seen", "Deposit seen" },
		{ "deposit_credited", "Deposit credited" },
		{ "ad_uploaded", "Ad uploaded" },
		{ "campaign_created", "Campaign created" },
		{ "purchase", "Slot bought" },
		{ "sale", "Slot sold" },
		{ "withdrawal", "Withdrawal requested" },
		{ "withdrawal_sent", "Withdrawal sent" },
		{ "withdrawal_rejected", "Withdrawal rejected, refunded" },
	};
	size_t	 i;

	if (kind == NULL)
		return "";
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (strcmp(kind, k[i].kind) == 0)
			return k[i].text;
	return kind;
}

/* Appends n bytes of s to out[*o..len-1], keeping room for the NUL. */
static void
humane_put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + 1 >= len)
		return;
	if (n > len - 1 - *o)
		n = len - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

/* Length of the run of digits at s (at most 18, so it fits int64). */
static size_t
humane_run(const char *s)
{
	return strspn(s, "0123456789");
}

void
humane_detail(const char *kind, const char *detail, char *out, size_t len)
{
	const char	*p;
	char		 num[40];
	size_t		 o = 0, n;
	long long	 v;
	int		 slots;

	if (len == 0)
		return;
	out[0] = '\0';
	if (detail == NULL)
		return;
	slots = kind != NULL && (strcmp(kind, "purchase") == 0 ||
	    strcmp(kind, "sale") == 0);
	p = detail;
	if (slots && strncmp(p, "slot ", 5) == 0 && (n = humane_run(p + 5)) >
	    0 && n <= 15) {
		sscanf(p + 5, "%lld", &v);
		snprintf(num, sizeof(num), "slot %lld", v + 1);
		humane_put(out, len, &o, num, strlen(num));
		p += 5 + n;
	}
	while (*p != '\0') {
		n = humane_run(p);
		if (n > 0 && n <= 16 && (p == detail || p[-1] == ' ') &&
		    strncmp(p + n, " sat", 4) == 0 &&
		    (p[n + 4] == '\0' || strchr(" ,.;:)", p[n + 4]) != NULL)) {
			sscanf(p, "%lld", &v);
			if (money_format_btc(v, num, sizeof(num) - 4) == 0) {
				strcat(num, " BTC");
				humane_put(out, len, &o, num, strlen(num));
				p += n + 4;
				continue;
			}
		}
		if (n == 0)
			n = 1;
		humane_put(out, len, &o, p, n);
		p += n;
	}
}

void
humane_set_time(struct tpl_val *v, const char *key, int64_t ms,
    const char *text, int64_t now_ms)
{
	char	 k[80], s[64];

	if (ms < 0 && (text == NULL || humane_utc_parse(text, &ms) != 0)) {
		tpl_put_str(v, key, text != NULL ? text : "");
		snprintf(k, sizeof(k), "%s_iso", key);
		tpl_put_str(v, k, "");
		snprintf(k, sizeof(k), "%s_rel", key);
		tpl_put_str(v, k, text != NULL ? text : "");
		return;
	}
	humane_abs(ms, s, sizeof(s));
	tpl_put_str(v, key, s);
	snprintf(k, sizeof(k), "%s_iso", key);
	humane_iso(ms, s, sizeof(s));
	tpl_put_str(v, k, s);
	snprintf(k, sizeof(k), "%s_rel", key);
	humane_rel(ms, now_ms, s, sizeof(s));
	tpl_put_str(v, k, s);
}
