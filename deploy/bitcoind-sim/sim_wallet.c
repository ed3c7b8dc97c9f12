/*
 * The one wallet of abc-bitcoind-sim, following Bitcoin Core v28's
 * wallet (receive.cpp, rpc/transactions.cpp, rpc/coins.cpp,
 * rpc/addresses.cpp, spend.cpp) as the wire reference restates it:
 *
 * - a transaction is the wallet's when it pays one of its addresses or
 *   spends one of its outputs ("from me");
 * - listsinceblock and gettransaction list one entry per output: "send"
 *   for every non-change output of a transaction from me, "receive" (or
 *   orphan/immature/generate for a coinbase) for every output to a
 *   non-change wallet address; receive entries only at depth >= 0;
 * - amounts are written from satoshis as text with exactly 8 decimals.
 *
 * Addresses are real regtest bech32 (P2WPKH) or bech32m (P2TR) strings
 * whose programs are SHA-256 of the wallet seed and a counter; keys and
 * descriptors are stand-ins that only look like Core's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sim_chain.h"
#include "sim_wallet.h"
#include "xmalloc.h"

#define HRP		"bcrt"
#define ENC_BECH32	1
#define ENC_BECH32M	2
/* Outputs below this are dust for P2WPKH (Core: 294 sat). */
#define DUST_SAT	294
/* The fee rate used when none is given (the sim acts as -fallbackfee). */
#define DEFAULT_FEERATE_MSAT	10000	/* 10 sat/vB */
/* Bounded recursion when a trust decision looks at parents. */
#define TRUST_DEPTH	16

static const char	charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
static const char	b58[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

struct txview {
	int64_t	depth;
	int64_t	debit;		/* our outputs this tx spends */
	int64_t	credit;		/* our outputs it pays (0 if immature cb) */
	int64_t	valueout;
	int64_t	fee;		/* debit - valueout if from me, else 0 */
	int	from_me;
	int	trusted;
};

/* A list of per-output entries being built. */
struct entry_opts {
	int64_t		 min_depth;
	int		 long_fields;	/* bool: add the tx fields */
	int		 include_change;
	const char	*label;		/* NULL: no label filter */
};

static uint32_t	polymod(const unsigned char *v, size_t n);
static size_t	hrp_expand(const char *hrp, unsigned char *out);
static int	bech32_decode(const char *s, char *hrp, size_t hrpcap,
		    unsigned char *data, size_t *dlen, int *enc,
		    const char **err);
static void	bech32_encode(const char *hrp, const unsigned char *data,
		    size_t dlen, int enc, char *out);
static int	convert_bits(const unsigned char *in, size_t n, int from,
		    int to, int pad, unsigned char *out, size_t *olen);
static int	segwit_decode(const char *addr, int *ver,
		    unsigned char *prog, size_t *plen, const char **err);
static void	fingerprint(const struct sim_chain *c, char out[9]);
static void	derive(const struct sim_chain *c, const char *tag,
		    int64_t index, unsigned char md[32]);
static void	descriptor(const struct sim_chain *c, const struct sim_addr *a,
		    int parent, char *out, size_t outlen);
static const struct sim_addr *addr_of(const struct sim_chain *c,
		    const char *address);
static int64_t	output_value_mine(const struct sim_chain *c,
		    const struct sim_txin *in);
static int	tx_trusted(const struct sim_chain *c, size_t idx, int depth);
static void	tx_view(const struct sim_chain *c, size_t idx,
		    struct txview *v);
static int	coinbase_immature(const struct sim_chain *c, size_t idx);
static struct json_object *txid_array(const struct sim_chain *c,
		    size_t idx1);
static void	tx_fields(const struct sim_chain *c, size_t idx,
		    const struct txview *v, struct json_object *o);
static void	add_parent_descs(const struct sim_chain *c,
		    const struct sim_addr *a, struct json_object *o);
static void	entries_send(const struct sim_chain *c, size_t idx,
		    const struct txview *v, const struct entry_opts *eo,
		    struct json_object *arr);
static void	entries_receive(const struct sim_chain *c, size_t idx,
		    const struct txview *v, const struct entry_opts *eo,
		    struct json_object *arr);
static void	list_tx(const struct sim_chain *c, size_t idx,
		    const struct entry_opts *eo, struct json_object *arr);
static int	coin_spendable(const struct sim_chain *c, size_t i,
		    size_t j);
static void	werr(struct sim_werr *e, int code, const char *msg);

/* BIP173 checksum polynomial. */
static uint32_t
polymod(const unsigned char *v, size_t n)
{
	static const uint32_t	gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	    0x3d4233dd, 0x2a1462b3 };
	uint32_t		chk, top;
	size_t			i;
	int			k;

	chk = 1;
	for (i = 0; i < n; i++) {
		top = chk >> 25;
		chk = (chk & 0x1ffffff) << 5 ^ v[i];
		for (k = 0; k < 5; k++)
			if ((top >> k) & 1)
				chk ^= gen[k];
	}
	return chk;
}

/* hrp high bits, 0, hrp low bits; returns the length written. */
static size_t
hrp_expand(const char *hrp, unsigned char *out)
{
	size_t	i, n;

	n = strlen(hrp);
	for (i = 0; i < n; i++) {
		out[i] = (unsigned char)hrp[i] >> 5;
		out[i + n + 1] = (unsigned char)hrp[i] & 31;
	}
	out[n] = 0;
	return 2 * n + 1;
}

/*
 * Decode a bech32/bech32m string (at most 90 characters) into its hrp
 * and 5-bit data without the checksum.  Returns 0 or -1 with "*err".
 */
static int
bech32_decode(const char *s, char *hrp, size_t hrpcap, unsigned char *data,
    size_t *dlen, int *enc, const char **err)
{
	unsigned char	 v[200];
	const char	*sep, *p;
	size_t		 n, i, hl, vl;
	int		 lower, upper;
	uint32_t	 pm;

	n = strlen(s);
	lower = upper = 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) {
			*err = "Invalid character or mixed case";
			return -1;
		}
		lower |= s[i] >= 'a' && s[i] <= 'z';
		upper |= s[i] >= 'A' && s[i] <= 'Z';
	}
	if (lower && upper) {
		*err = "Invalid character or mixed case";
		return -1;
	}
	if (n > 90) {
		*err = "Bech32 string too long";
		return -1;
	}
	sep = strrchr(s, '1');
	if (sep == NULL) {
		*err = "Missing separator";
		return -1;
	}
	hl = (size_t)(sep - s);
	if (hl == 0 || hl + 7 > n || hl >= hrpcap) {
		*err = "Invalid separator position";
		return -1;
	}
	for (i = 0; i < hl; i++)
		hrp[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	hrp[hl] = '\0';
	vl = hrp_expand(hrp, v);
	for (p = sep + 1; *p != '\0'; p++) {
		const char *q = strchr(charset, *p >= 'A' && *p <= 'Z' ?
		    *p + 32 : *p);
		if (q == NULL || *p == '\0') {
			*err = "Invalid Base 32 character";
			return -1;
		}
		v[vl++] = (unsigned char)(q - charset);
	}
	pm = polymod(v, vl);
	*enc = pm == 1 ? ENC_BECH32 : pm == 0x2bc830a3 ? ENC_BECH32M : 0;
	if (*enc == 0) {
		*err = "Invalid Bech32 checksum";
		return -1;
	}
	*dlen = n - hl - 1 - 6;
	memcpy(data, v + vl - (n - hl - 1), *dlen);
	return 0;
}

/* Encode hrp + 5-bit data with a checksum; "out" has room for 91. */
static void
bech32_encode(const char *hrp, const unsigned char *data, size_t dlen,
    int enc, char *out)
{
	unsigned char	v[200];
	size_t		vl, i, o;
	uint32_t	pm;

	vl = hrp_expand(hrp, v);
	memcpy(v + vl, data, dlen);
	vl += dlen;
	memset(v + vl, 0, 6);
	pm = polymod(v, vl + 6) ^ (enc == ENC_BECH32M ? 0x2bc830a3 : 1);
	o = (size_t)snprintf(out, 91, "%s1", hrp);
	for (i = 0; i < dlen && o < 84; i++)
		out[o++] = charset[data[i]];
	for (i = 0; i < 6; i++)
		out[o++] = charset[(pm >> (5 * (5 - i))) & 31];
	out[o] = '\0';
}

/* Regroup bits (BIP173 convertbits).  Returns 0 or -1. */
static int
convert_bits(const unsigned char *in, size_t n, int from, int to, int pad,
    unsigned char *out, size_t *olen)
{
	uint32_t	acc, maxv;
	size_t		i;
	int		bits;

	acc = 0;
	bits = 0;
	maxv = (1u << to) - 1;
	*olen = 0;
	for (i = 0; i < n; i++) {
		acc = (acc << from | in[i]) & 0xffffff;
		bits += from;
		while (bits >= to) {
			bits -= to;
			out[(*olen)++] = (unsigned char)((acc >> bits) & maxv);
		}
	}
	if (pad && bits > 0)
		out[(*olen)++] = (unsigned char)((acc << (to - bits)) & maxv);
	else if (!pad && (bits >= from || ((acc << (to - bits)) & maxv)))
		return -1;
	return 0;
}

/*
 * Decode a regtest segwit address as Core's DecodeDestination does
 * (base58 addresses are not simulated and always fail).  Returns 0 or -1
 * with "*err" set to Core's message.
 */
static int
segwit_decode(const char *addr, int *ver, unsigned char *prog, size_t *plen,
    const char **err)
{
	static char	 msg[256];
	unsigned char	 data[100];
	char		 hrp[91];
	size_t		 dlen;
	int		 enc;

	if (strncasecmp(addr, HRP, 4) != 0) {
		*err = addr[0] != '\0' && strspn(addr, b58) == strlen(addr) ?
		    "Invalid checksum or length of Base58 address (P2PKH or "
		    "P2SH)" : "Invalid or unsupported Segwit (Bech32) or "
		    "Base58 encoding.";
		return -1;
	}
	if (bech32_decode(addr, hrp, sizeof(hrp), data, &dlen, &enc,
	    err) == -1)
		return -1;
	if (strcmp(hrp, HRP) != 0) {
		(void)snprintf(msg, sizeof(msg), "Invalid or unsupported "
		    "prefix for Segwit (Bech32) address (expected %s, got %s).",
		    HRP, hrp);
		*err = msg;
		return -1;
	}
	if (dlen == 0) {
		*err = "Empty Bech32 data section";
		return -1;
	}
	*ver = data[0];
	if ((*ver == 0 && enc != ENC_BECH32) || (*ver != 0 &&
	    enc != ENC_BECH32M)) {
		*err = *ver == 0 ? "Version 0 witness address must use Bech32 "
		    "checksum" : "Version 1+ witness address must use Bech32m "
		    "checksum";
		return -1;
	}
	if (convert_bits(data + 1, dlen - 1, 5, 8, 0, prog, plen) == -1) {
		*err = "Invalid padding in Bech32 data section";
		return -1;
	}
	if (*ver > 16) {
		*err = "Invalid Bech32 address witness version";
		return -1;
	}
	if ((*ver == 0 && *plen != 20 && *plen != 32) || *plen < 2 ||
	    *plen > 40) {
		(void)snprintf(msg, sizeof(msg), *ver == 0 ? "Invalid Bech32 "
		    "v0 address program size (%zu byte%s), per BIP141" :
		    "Invalid Bech32 address program size (%zu byte%s)", *plen,
		    *plen == 1 ? "" : "s");
		*err = msg;
		return -1;
	}
	return 0;
}

/*
 * Check "addr" and write its scriptPubKey (spk may be NULL to only
 * check).  Returns 0 or -1 with Core's decoder message in "*err".
 */
int
sim_addr_decode(const char *addr, unsigned char *spk, size_t *spklen,
    const char **err)
{
	unsigned char	prog[64];
	size_t		plen;
	int		ver;

	if (segwit_decode(addr, &ver, prog, &plen, err) == -1)
		return -1;
	if (spk != NULL) {
		spk[0] = (unsigned char)(ver == 0 ? 0 : 0x50 + ver);
		spk[1] = (unsigned char)plen;
		memcpy(spk + 2, prog, plen);
		*spklen = plen + 2;
	}
	return 0;
}

/* Hex scriptPubKey of a valid address.  Returns 0 or -1. */
int
sim_addr_script_hex(const char *addr, char *out, size_t outlen)
{
	unsigned char	 spk[SIM_SPK_MAX];
	const char	*e;
	size_t		 n, i;

	if (sim_addr_decode(addr, spk, &n, &e) == -1 || outlen < 2 * n + 1)
		return -1;
	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", spk[i]);
	return 0;
}

/*
 * Parse a decimal amount as Core's ParseFixedPoint + AmountFromValue:
 * [-](0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, at most 18 significant
 * digits, no digit below 10^-decimals.  Returns SIM_AMOUNT_OK,
 * SIM_AMOUNT_INVALID or SIM_AMOUNT_RANGE (negative or > 21e6 BTC).
 */
int
sim_amount_parse(const char *s, int decimals, int64_t *out)
{
	char		 dig[64];
	const char	*p;
	size_t		 nd, nint;
	int64_t		 ex, pos, v, i;
	int		 neg, esign;

	p = s;
	neg = *p == '-';
	p += neg;
	nd = nint = 0;
	if (*p == '0')
		dig[nd++] = *p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9' && nd < 40)
			dig[nd++] = *p++;
	else
		return SIM_AMOUNT_INVALID;
	nint = nd;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return SIM_AMOUNT_INVALID;
		while (*p >= '0' && *p <= '9' && nd < 60)
			dig[nd++] = *p++;
	}
	ex = 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		esign = *p == '-' ? -1 : 1;
		p += *p == '-' || *p == '+';
		if (*p < '0' || *p > '9')
			return SIM_AMOUNT_INVALID;
		while (*p >= '0' && *p <= '9' && ex < 1000)
			ex = ex * 10 + (*p++ - '0');
		ex *= esign;
	}
	if (*p != '\0')
		return SIM_AMOUNT_INVALID;
	/* Digits at or after "pos" are below the unit. */
	pos = (int64_t)nint + ex + decimals;
	v = 0;
	for (i = 0; i < (int64_t)nd; i++) {
		if (i >= pos) {
			if (dig[i] != '0')
				return SIM_AMOUNT_INVALID;
			continue;
		}
		if (v > (999999999999999999LL - 9) / 10)
			return SIM_AMOUNT_INVALID;
		v = v * 10 + (dig[i] - '0');
	}
	for (i = (int64_t)nd; i < pos; i++) {
		if (v > 999999999999999999LL / 10)
			return SIM_AMOUNT_INVALID;
		v *= 10;
	}
	if (neg && v != 0)
		return SIM_AMOUNT_RANGE;
	if (v > SIM_MAX_MONEY && decimals == 8)
		return SIM_AMOUNT_RANGE;
	*out = v;
	return SIM_AMOUNT_OK;
}

/* "[-]<int>.<8 digits>" from satoshis, never through a double. */
void
sim_amount_format(int64_t sat, char out[SIM_AMOUNT_TEXT])
{
	uint64_t	u;

	u = sat < 0 ? (uint64_t)0 - (uint64_t)sat : (uint64_t)sat;
	(void)snprintf(out, SIM_AMOUNT_TEXT, "%s%llu.%08llu",
	    sat < 0 ? "-" : "", (unsigned long long)(u / 100000000u),
	    (unsigned long long)(u % 100000000u));
}

/* A JSON number token that serializes as sim_amount_format's text. */
struct json_object *
sim_amount_json(int64_t sat)
{
	char	buf[SIM_AMOUNT_TEXT];

	sim_amount_format(sat, buf);
	return json_object_new_double_s((double)sat / 1e8, buf);
}

/* SHA-256 of seed, tag and big-endian index. */
static void
derive(const struct sim_chain *c, const char *tag, int64_t index,
    unsigned char md[32])
{
	unsigned char	buf[32 + 16 + 8];
	unsigned int	mdlen, i;
	size_t		tl;

	tl = strlen(tag) > 16 ? 16 : strlen(tag);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, c->seed, 32);
	memcpy(buf + 32, tag, tl);
	for (i = 0; i < 8; i++)
		buf[48 + i] = (unsigned char)((uint64_t)index >> (56 - 8 * i));
	(void)EVP_Digest(buf, sizeof(buf), md, &mdlen, EVP_sha256(), NULL);
}

/* The wallet's master key fingerprint, 8 hex digits. */
static void
fingerprint(const struct sim_chain *c, char out[9])
{
	unsigned char	md[32];

	derive(c, "fingerprint", 0, md);
	(void)snprintf(out, 9, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
}

/*
 * A descriptor-looking string for address "a": with "parent" the ranged
 * parent descriptor, else the address's own.  Checksums are stand-ins.
 */
static void
descriptor(const struct sim_chain *c, const struct sim_addr *a, int parent,
    char *out, size_t outlen)
{
	unsigned char	 md[32];
	char		 fp[9], key[67], chk[9];
	const char	*fn;
	int		 purpose, i;

	fingerprint(c, fp);
	fn = strncmp(a->address, "bcrt1p", 6) == 0 ? "tr" : "wpkh";
	purpose = fn[0] == 't' ? 86 : 84;
	derive(c, parent ? "xpub" : "pubkey", parent ? 0 : a->index, md);
	for (i = 0; i < 32; i++)
		(void)snprintf(key + 2 * i, 3, "%02x", md[i]);
	derive(c, a->address, a->change * 2 + parent, md);
	for (i = 0; i < 8; i++)
		chk[i] = charset[md[i] & 31];
	chk[8] = '\0';
	if (parent)
		(void)snprintf(out, outlen, "%s([%s/%dh/1h/0h]tpubSIM%.32s/%d/*)"
		    "#%s", fn, fp, purpose, key, a->change, chk);
	else
		(void)snprintf(out, outlen, "%s([%s/%dh/1h/0h/%d/%lld]%s%s)#%s",
		    fn, fp, purpose, a->change, (long long)a->index,
		    fn[0] == 't' ? "" : "02", key, chk);
}

/*
 * Make the next receive (or change) address; receive addresses get an
 * address-book entry with "label".  Returns the borrowed address or NULL
 * when the wallet is full.
 */
const char *
sim_wallet_new_address(struct sim_chain *c, const char *label, int change,
    int taproot, int64_t now)
{
	unsigned char	md[32], d5[64];
	char		addr[SIM_CHAIN_ADDR_MAX + 1];
	size_t		n;
	int64_t		index;
	long long	ai;

	index = change ? c->change_counter : c->addr_counter;
	derive(c, change ? "change" : "receive", index, md);
	d5[0] = taproot ? 1 : 0;
	(void)convert_bits(md, taproot ? 32 : 20, 8, 5, 1, d5 + 1, &n);
	bech32_encode(HRP, d5, n + 1, taproot ? ENC_BECH32M : ENC_BECH32,
	    addr);
	ai = sim_chain_add_addr(c, addr, change ? NULL : label, change, index,
	    now);
	return ai < 0 ? NULL : c->addrs[ai].address;
}

static const struct sim_addr *
addr_of(const struct sim_chain *c, const char *address)
{
	long long	i;

	i = sim_chain_find_addr(c, address);
	return i < 0 ? NULL : &c->addrs[i];
}

int
sim_wallet_is_mine(const struct sim_chain *c, const char *address)
{
	return addr_of(c, address) != NULL;
}

/* Value of the prevout "in" if it is ours, else 0. */
static int64_t
output_value_mine(const struct sim_chain *c, const struct sim_txin *in)
{
	const struct sim_tx	*p;
	long long		 pi;

	pi = sim_chain_find_tx(c, in->txid);
	if (pi < 0)
		return 0;
	p = &c->txs[pi];
	if (in->vout >= p->nout || !sim_wallet_is_mine(c,
	    p->out[in->vout].address))
		return 0;
	return p->out[in->vout].value;
}

/* A tx pays or spends the wallet. */
int
sim_wallet_tx_relevant(const struct sim_chain *c, size_t idx)
{
	const struct sim_tx	*t;
	size_t			 i;

	t = &c->txs[idx];
	for (i = 0; i < t->nout; i++)
		if (sim_wallet_is_mine(c, t->out[i].address))
			return 1;
	for (i = 0; t->kind != SIM_TX_COINBASE && i < t->nin; i++)
		if (output_value_mine(c, &t->in[i]) > 0)
			return 1;
	return 0;
}

/* Core's CachedTxIsTrusted, recursion bounded. */
static int
tx_trusted(const struct sim_chain *c, size_t idx, int depth)
{
	const struct sim_tx	*t;
	long long		 pi;
	int64_t			 d;
	size_t			 i;

	d = sim_chain_depth(c, idx);
	if (d >= 1)
		return 1;
	t = &c->txs[idx];
	if (d < 0 || t->state != SIM_TX_MEMPOOL || depth > TRUST_DEPTH ||
	    t->kind == SIM_TX_COINBASE)
		return 0;
	for (i = 0; i < t->nin; i++) {
		if (output_value_mine(c, &t->in[i]) == 0)
			return 0;
		pi = sim_chain_find_tx(c, t->in[i].txid);
		if (pi < 0 || !tx_trusted(c, (size_t)pi, depth + 1))
			return 0;
	}
	return 1;
}

/* Blocks to maturity > 0 (orphans included). */
static int
coinbase_immature(const struct sim_chain *c, size_t idx)
{
	return c->txs[idx].kind == SIM_TX_COINBASE &&
	    sim_chain_depth(c, idx) < SIM_CHAIN_COINBASE_MATURITY + 1;
}

static void
tx_view(const struct sim_chain *c, size_t idx, struct txview *v)
{
	const struct sim_tx	*t;
	size_t			 i;

	t = &c->txs[idx];
	memset(v, 0, sizeof(*v));
	v->depth = sim_chain_depth(c, idx);
	for (i = 0; t->kind != SIM_TX_COINBASE && i < t->nin; i++)
		v->debit += output_value_mine(c, &t->in[i]);
	for (i = 0; i < t->nout; i++) {
		v->valueout += t->out[i].value;
		if (sim_wallet_is_mine(c, t->out[i].address))
			v->credit += t->out[i].value;
	}
	if (coinbase_immature(c, idx))
		v->credit = 0;
	v->from_me = v->debit > 0;
	v->fee = v->from_me ? v->debit - v->valueout : 0;
	v->trusted = tx_trusted(c, idx, 0);
}

/* walletconflicts: the replacement or the replaced tx ("idx1" = i+1). */
static struct json_object *
txid_array(const struct sim_chain *c, size_t idx1)
{
	struct json_object	*a;

	a = json_object_new_array();
	if (idx1 != 0)
		json_object_array_add(a,
		    json_object_new_string(c->txs[idx1 - 1].txid));
	return a;
}

/* Core's WalletTxToJSON, v28 order. */
static void
tx_fields(const struct sim_chain *c, size_t idx, const struct txview *v,
    struct json_object *o)
{
	const struct sim_tx	*t, *r;
	const char		*rbf;

	t = &c->txs[idx];
	json_object_object_add(o, "confirmations",
	    json_object_new_int64(v->depth));
	if (t->kind == SIM_TX_COINBASE)
		json_object_object_add(o, "generated",
		    json_object_new_boolean(1));
	if (t->state == SIM_TX_BLOCK) {
		json_object_object_add(o, "blockhash", json_object_new_string(
		    sim_chain_hash(c, t->height)));
		json_object_object_add(o, "blockheight",
		    json_object_new_int64(t->height));
		json_object_object_add(o, "blockindex",
		    json_object_new_int64(t->blockindex));
		json_object_object_add(o, "blocktime",
		    json_object_new_int64(sim_chain_time(c, t->height)));
	} else
		json_object_object_add(o, "trusted",
		    json_object_new_boolean(v->trusted));
	json_object_object_add(o, "txid", json_object_new_string(t->txid));
	json_object_object_add(o, "wtxid", json_object_new_string(t->wtxid));
	json_object_object_add(o, "walletconflicts", txid_array(c,
	    t->replaced_by != 0 ? t->replaced_by : t->replaces));
	r = t->replaced_by != 0 ? &c->txs[t->replaced_by - 1] : NULL;
	json_object_object_add(o, "mempoolconflicts", txid_array(c,
	    r != NULL && r->state == SIM_TX_MEMPOOL ? t->replaced_by : 0));
	json_object_object_add(o, "time", json_object_new_int64(t->time));
	json_object_object_add(o, "timereceived",
	    json_object_new_int64(t->time));
	rbf = v->depth > 0 ? "no" : t->rbf ? "yes" :
	    t->state == SIM_TX_MEMPOOL ? "no" : "unknown";
	json_object_object_add(o, "bip125-replaceable",
	    json_object_new_string(rbf));
	if (t->comment != NULL)
		json_object_object_add(o, "comment",
		    json_object_new_string(t->comment));
	if (t->to != NULL)
		json_object_object_add(o, "to", json_object_new_string(t->to));
}

static void
add_parent_descs(const struct sim_chain *c, const struct sim_addr *a,
    struct json_object *o)
{
	struct json_object	*arr;
	char			 d[256];

	arr = json_object_new_array();
	descriptor(c, a, 1, d, sizeof(d));
	json_object_array_add(arr, json_object_new_string(d));
	json_object_object_add(o, "parent_descs", arr);
}

/* The "send" entries of a tx from me: each non-change output. */
static void
entries_send(const struct sim_chain *c, size_t idx, const struct txview *v,
    const struct entry_opts *eo, struct json_object *arr)
{
	const struct sim_tx	*t;
	const struct sim_addr	*a;
	struct json_object	*o;
	size_t			 i;

	t = &c->txs[idx];
	for (i = 0; i < t->nout; i++) {
		a = addr_of(c, t->out[i].address);
		if (a != NULL && a->label == NULL && !eo->include_change)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "address",
		    json_object_new_string(t->out[i].address));
		json_object_object_add(o, "category",
		    json_object_new_string("send"));
		json_object_object_add(o, "amount",
		    sim_amount_json(-t->out[i].value));
		if (a != NULL && a->label != NULL)
			json_object_object_add(o, "label",
			    json_object_new_string(a->label));
		json_object_object_add(o, "vout", json_object_new_int64(
		    (int64_t)i));
		json_object_object_add(o, "fee", sim_amount_json(-v->fee));
		if (eo->long_fields)
			tx_fields(c, idx, v, o);
		json_object_object_add(o, "abandoned",
		    json_object_new_boolean(0));
		json_object_array_add(arr, o);
	}
}

/* The receive-type entries: each output to a wallet address. */
static void
entries_receive(const struct sim_chain *c, size_t idx,
    const struct txview *v, const struct entry_opts *eo,
    struct json_object *arr)
{
	const struct sim_tx	*t;
	const struct sim_addr	*a;
	struct json_object	*o;
	const char		*cat;
	size_t			 i;

	t = &c->txs[idx];
	for (i = 0; i < t->nout; i++) {
		a = addr_of(c, t->out[i].address);
		if (a == NULL || (v->from_me && a->label == NULL &&
		    !eo->include_change))
			continue;
		if (eo->label != NULL && (a->label == NULL ||
		    strcmp(a->label, eo->label) != 0))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "address",
		    json_object_new_string(t->out[i].address));
		add_parent_descs(c, a, o);
		cat = t->kind != SIM_TX_COINBASE ? "receive" :
		    v->depth < 1 ? "orphan" : coinbase_immature(c, idx) ?
		    "immature" : "generate";
		json_object_object_add(o, "category",
		    json_object_new_string(cat));
		json_object_object_add(o, "amount",
		    sim_amount_json(t->out[i].value));
		if (a->label != NULL)
			json_object_object_add(o, "label",
			    json_object_new_string(a->label));
		json_object_object_add(o, "vout", json_object_new_int64(
		    (int64_t)i));
		json_object_object_add(o, "abandoned",
		    json_object_new_boolean(0));
		if (eo->long_fields)
			tx_fields(c, idx, v, o);
		json_object_array_add(arr, o);
	}
}

/* Core's ListTransactions for one wallet tx. */
static void
list_tx(const struct sim_chain *c, size_t idx, const struct entry_opts *eo,
    struct json_object *arr)
{
	struct txview	v;

	tx_view(c, idx, &v);
	if (v.from_me && eo->label == NULL)
		entries_send(c, idx, &v, eo, arr);
	if (v.depth >= eo->min_depth)
		entries_receive(c, idx, &v, eo, arr);
}

/* gettransaction's result for wallet tx "idx". */
struct json_object *
sim_wallet_gettransaction(const struct sim_chain *c, size_t idx)
{
	struct json_object	*o, *details;
	struct entry_opts	 eo;
	struct txview		 v;

	tx_view(c, idx, &v);
	o = json_object_new_object();
	json_object_object_add(o, "amount",
	    sim_amount_json(v.credit - v.debit + v.fee));
	if (v.from_me)
		json_object_object_add(o, "fee", sim_amount_json(-v.fee));
	tx_fields(c, idx, &v, o);
	details = json_object_new_array();
	memset(&eo, 0, sizeof(eo));
	list_tx(c, idx, &eo, details);
	json_object_object_add(o, "details", details);
	json_object_object_add(o, "hex",
	    json_object_new_string(c->txs[idx].hex));
	json_object_object_add(o, "lastprocessedblock",
	    sim_wallet_lastprocessed(c));
	return o;
}

/* {"hash": tip hash, "height": tip height}. */
struct json_object *
sim_wallet_lastprocessed(const struct sim_chain *c)
{
	struct json_object	*o;
	int64_t			 h;

	h = sim_chain_height(c);
	o = json_object_new_object();
	json_object_object_add(o, "hash",
	    json_object_new_string(sim_chain_hash(c, h)));
	json_object_object_add(o, "height", json_object_new_int64(h));
	return o;
}

/*
 * listsinceblock.  "blockhash" NULL or "" lists everything; a stale block
 * also fills "removed" with the wallet txs of the disconnected blocks
 * back to the fork point.  Returns the result or NULL with -5 raised.
 */
struct json_object *
sim_wallet_since(const struct sim_chain *c, const char *blockhash,
    int64_t target, int include_removed, int include_change,
    const char *label, struct sim_werr *err)
{
	const struct sim_block	*b;
	struct json_object	*o, *txs, *rem;
	struct entry_opts	 eo;
	int64_t			 depth, lh, d;
	size_t			 i;
	int			 active;

	memset(&eo, 0, sizeof(eo));
	eo.long_fields = 1;
	eo.include_change = include_change;
	eo.label = label;
	depth = -1;
	rem = json_object_new_array();
	if (blockhash != NULL && blockhash[0] != '\0') {
		b = sim_chain_find_block(c, blockhash, &active);
		if (b == NULL) {
			json_object_put(rem);
			werr(err, -5, "Block not found");
			return NULL;
		}
		eo.min_depth = -100000000;
		while (!active && b != NULL) {
			for (i = 0; include_removed && i < b->ntx; i++)
				if (sim_wallet_tx_relevant(c, b->txs[i]))
					list_tx(c, b->txs[i], &eo, rem);
			b = sim_chain_find_block(c, b->prev, &active);
		}
		depth = b == NULL ? -1 : sim_chain_height(c) + 1 - b->height;
	}
	eo.min_depth = 0;
	txs = json_object_new_array();
	for (i = 0; i < c->ntxs; i++) {
		if (!sim_wallet_tx_relevant(c, i))
			continue;
		d = sim_chain_depth(c, i);
		if (depth == -1 || (d < 0 ? -d : d) < depth)
			list_tx(c, i, &eo, txs);
	}
	o = json_object_new_object();
	json_object_object_add(o, "transactions", txs);
	if (include_removed)
		json_object_object_add(o, "removed", rem);
	else
		json_object_put(rem);
	lh = sim_chain_height(c) + 1 - target;
	json_object_object_add(o, "lastblock", json_object_new_string(
	    sim_chain_hash(c, lh < 0 ? 0 : lh)));
	return o;
}

/*
 * listtransactions: Core walks the wallet's transactions newest first in
 * insertion order (wtxOrdered; here the order of c->txs), gathering the
 * entries of each (ListTransactions, min depth 0: conflicted receives are
 * left out) until it holds skip + count, then returns entries skip ..
 * skip + count - 1 of that newest-first list in reverse, oldest first.
 * New transactions only ever add entries at the newest end, so a reader
 * paging with growing skip may see an entry twice but never misses one.
 */
struct json_object *
sim_wallet_list(const struct sim_chain *c, const char *label, int64_t count,
    int64_t skip)
{
	struct json_object	*all, *res;
	struct entry_opts	 eo;
	size_t			 i, n, from, k;

	memset(&eo, 0, sizeof(eo));
	eo.long_fields = 1;
	eo.label = label != NULL && strcmp(label, "*") != 0 ? label : NULL;
	all = json_object_new_array();
	for (i = c->ntxs; i > 0 &&
	    (int64_t)json_object_array_length(all) < count + skip; i--)
		if (sim_wallet_tx_relevant(c, i - 1))
			list_tx(c, i - 1, &eo, all);
	n = json_object_array_length(all);
	from = (int64_t)n < skip ? n : (size_t)skip;
	k = (int64_t)(n - from) < count ? n - from : (size_t)count;
	res = json_object_new_array_ext((int)k);
	for (i = from + k; i > from; i--)
		json_object_array_add(res,
		    json_object_get(json_object_array_get_idx(all, i - 1)));
	json_object_put(all);
	return res;
}

/* Core's GetBalance: trusted, untrusted_pending, immature. */
struct json_object *
sim_wallet_balances(const struct sim_chain *c)
{
	struct json_object	*o, *mine;
	const struct sim_tx	*t;
	int64_t			 trusted, pending, immature, avail, d;
	size_t			 i, j;
	int			 tr;

	trusted = pending = immature = 0;
	for (i = 0; i < c->ntxs; i++) {
		t = &c->txs[i];
		if (!sim_wallet_tx_relevant(c, i))
			continue;
		d = sim_chain_depth(c, i);
		avail = 0;
		for (j = 0; j < t->nout; j++)
			if (sim_wallet_is_mine(c, t->out[j].address) &&
			    t->out[j].spent_by == 0)
				avail += t->out[j].value;
		if (coinbase_immature(c, i)) {
			if (d >= 1)
				for (j = 0; j < t->nout; j++)
					immature += sim_wallet_is_mine(c,
					    t->out[j].address) ?
					    t->out[j].value : 0;
			continue;
		}
		tr = tx_trusted(c, i, 0);
		if (tr && d >= 0)
			trusted += avail;
		else if (!tr && d == 0 && t->state == SIM_TX_MEMPOOL)
			pending += avail;
	}
	mine = json_object_new_object();
	json_object_object_add(mine, "trusted", sim_amount_json(trusted));
	json_object_object_add(mine, "untrusted_pending",
	    sim_amount_json(pending));
	json_object_object_add(mine, "immature", sim_amount_json(immature));
	o = json_object_new_object();
	json_object_object_add(o, "mine", mine);
	json_object_object_add(o, "lastprocessedblock",
	    sim_wallet_lastprocessed(c));
	return o;
}

/* Output j of tx i can be spent by sendtoaddress. */
static int
coin_spendable(const struct sim_chain *c, size_t i, size_t j)
{
	const struct sim_tx	*t;

	t = &c->txs[i];
	return sim_wallet_is_mine(c, t->out[j].address) &&
	    t->out[j].spent_by == 0 && !coinbase_immature(c, i) &&
	    t->state != SIM_TX_INACTIVE && tx_trusted(c, i, 0);
}

/*
 * listunspent: unspent wallet outputs with minconf <= depth <= maxconf,
 * optionally only to "addrs".  Unconfirmed outputs not in the mempool and
 * immature coinbases are left out, as Core's AvailableCoins does.
 */
struct json_object *
sim_wallet_unspent(const struct sim_chain *c, int64_t minconf,
    int64_t maxconf, const char *const *addrs, size_t naddrs,
    int include_unsafe)
{
	struct json_object	*arr, *o;
	const struct sim_tx	*t;
	const struct sim_addr	*a;
	char			 spk[2 * SIM_SPK_MAX + 1], d[256];
	int64_t			 depth;
	size_t			 i, j, k;
	int			 safe;

	arr = json_object_new_array();
	for (i = 0; i < c->ntxs; i++) {
		t = &c->txs[i];
		depth = sim_chain_depth(c, i);
		if (depth < 0 || depth < minconf || depth > maxconf ||
		    t->state == SIM_TX_INACTIVE || coinbase_immature(c, i))
			continue;
		safe = tx_trusted(c, i, 0);
		if (!safe && !include_unsafe)
			continue;
		for (j = 0; j < t->nout; j++) {
			a = addr_of(c, t->out[j].address);
			if (a == NULL || t->out[j].spent_by != 0)
				continue;
			for (k = 0; k < naddrs; k++)
				if (strcmp(addrs[k], a->address) == 0)
					break;
			if (naddrs > 0 && k == naddrs)
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "txid",
			    json_object_new_string(t->txid));
			json_object_object_add(o, "vout",
			    json_object_new_int64((int64_t)j));
			json_object_object_add(o, "address",
			    json_object_new_string(a->address));
			if (a->label != NULL)
				json_object_object_add(o, "label",
				    json_object_new_string(a->label));
			(void)sim_addr_script_hex(a->address, spk, sizeof(spk));
			json_object_object_add(o, "scriptPubKey",
			    json_object_new_string(spk));
			json_object_object_add(o, "amount",
			    sim_amount_json(t->out[j].value));
			json_object_object_add(o, "confirmations",
			    json_object_new_int64(depth));
			json_object_object_add(o, "spendable",
			    json_object_new_boolean(1));
			json_object_object_add(o, "solvable",
			    json_object_new_boolean(1));
			descriptor(c, a, 0, d, sizeof(d));
			json_object_object_add(o, "desc",
			    json_object_new_string(d));
			add_parent_descs(c, a, o);
			json_object_object_add(o, "safe",
			    json_object_new_boolean(safe));
			json_object_array_add(arr, o);
		}
	}
	return arr;
}

/* getreceivedbyaddress for a wallet address, in satoshis. */
int64_t
sim_wallet_received(const struct sim_chain *c, const char *address,
    int64_t minconf, int include_immature)
{
	const struct sim_tx	*t;
	int64_t			 sum, d;
	size_t			 i, j;

	sum = 0;
	for (i = 0; i < c->ntxs; i++) {
		t = &c->txs[i];
		d = sim_chain_depth(c, i);
		if (t->kind == SIM_TX_COINBASE && (d < 1 ||
		    (!include_immature && coinbase_immature(c, i))))
			continue;
		if (d < minconf)
			continue;
		for (j = 0; j < t->nout; j++)
			if (strcmp(t->out[j].address, address) == 0)
				sum += t->out[j].value;
	}
	return sum;
}

/* validateaddress's result (Core's DescribeAddress fields). */
struct json_object *
sim_wallet_validate(const char *address)
{
	struct json_object	*o;
	unsigned char		 prog[64];
	char			 hex[2 * SIM_SPK_MAX + 1], ph[129];
	const char		*err;
	size_t			 plen, i;
	int			 ver;

	o = json_object_new_object();
	if (segwit_decode(address, &ver, prog, &plen, &err) == -1) {
		json_object_object_add(o, "isvalid",
		    json_object_new_boolean(0));
		json_object_object_add(o, "error_locations",
		    json_object_new_array());
		json_object_object_add(o, "error", json_object_new_string(err));
		return o;
	}
	(void)sim_addr_script_hex(address, hex, sizeof(hex));
	for (i = 0; i < plen; i++)
		(void)snprintf(ph + 2 * i, 3, "%02x", prog[i]);
	json_object_object_add(o, "isvalid", json_object_new_boolean(1));
	json_object_object_add(o, "address", json_object_new_string(address));
	json_object_object_add(o, "scriptPubKey", json_object_new_string(hex));
	if (ver <= 1)
		json_object_object_add(o, "isscript", json_object_new_boolean(
		    ver == 1 || plen == 32));
	json_object_object_add(o, "iswitness", json_object_new_boolean(1));
	json_object_object_add(o, "witness_version",
	    json_object_new_int(ver));
	json_object_object_add(o, "witness_program",
	    json_object_new_string(ph));
	return o;
}

/*
 * getaddressinfo's result for a valid address (the caller has checked
 * it): validateaddress's description plus what the wallet knows.
 */
struct json_object *
sim_wallet_addressinfo(const struct sim_chain *c, const char *address)
{
	struct json_object	*o, *v, *labels;
	const struct sim_addr	*a;
	char			 d[256], fp[9], path[64];
	const char		*keys[] = { "isscript", "iswitness",
	    "witness_version", "witness_program" };
	size_t			 i;

	v = sim_wallet_validate(address);
	a = addr_of(c, address);
	o = json_object_new_object();
	json_object_object_add(o, "address", json_object_new_string(address));
	json_object_object_add(o, "scriptPubKey", json_object_get(
	    json_object_object_get(v, "scriptPubKey")));
	json_object_object_add(o, "ismine", json_object_new_boolean(a != NULL));
	json_object_object_add(o, "solvable",
	    json_object_new_boolean(a != NULL));
	if (a != NULL) {
		descriptor(c, a, 0, d, sizeof(d));
		json_object_object_add(o, "desc", json_object_new_string(d));
		descriptor(c, a, 1, d, sizeof(d));
		json_object_object_add(o, "parent_desc",
		    json_object_new_string(d));
	}
	json_object_object_add(o, "iswatchonly", json_object_new_boolean(0));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get(v, keys[i]) != NULL)
			json_object_object_add(o, keys[i], json_object_get(
			    json_object_object_get(v, keys[i])));
	if (a != NULL && strncmp(address, "bcrt1q", 6) == 0) {
		descriptor(c, a, 0, d, sizeof(d));
		*strchr(d, ')') = '\0';
		json_object_object_add(o, "pubkey",
		    json_object_new_string(strrchr(d, ']') + 1));
		json_object_object_add(o, "iscompressed",
		    json_object_new_boolean(1));
	}
	json_object_object_add(o, "ischange",
	    json_object_new_boolean(a != NULL && a->change));
	if (a != NULL) {
		fingerprint(c, fp);
		(void)snprintf(path, sizeof(path), "m/%dh/1h/0h/%d/%lld",
		    address[5] == 'p' ? 86 : 84, a->change,
		    (long long)a->index);
		json_object_object_add(o, "timestamp",
		    json_object_new_int64(a->time));
		json_object_object_add(o, "hdkeypath",
		    json_object_new_string(path));
		json_object_object_add(o, "hdmasterfingerprint",
		    json_object_new_string(fp));
	}
	labels = json_object_new_array();
	if (a != NULL && a->label != NULL)
		json_object_array_add(labels,
		    json_object_new_string(a->label));
	json_object_object_add(o, "labels", labels);
	json_object_put(v);
	return o;
}

static void
werr(struct sim_werr *e, int code, const char *msg)
{
	e->code = code;
	(void)snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/*
 * sendtoaddress once the arguments are checked: pick the largest
 * spendable coins until amount + fee is covered (fee = rate * vsize),
 * add change to a new change address unless it would be dust, put the
 * tx in the mempool.  Returns its index or -1 with a -6 error.
 */
long long
sim_wallet_send(struct sim_chain *c, const struct sim_send *s, int64_t now,
    struct sim_werr *err)
{
	struct sim_txin		 in[SIM_CHAIN_MAX_TXIN];
	struct sim_txout	 out[2];
	const char		*chg;
	unsigned char		 rnd;
	int64_t			 have, fee, need, best;
	size_t			 nin, i, j, bi, bj, n;
	long long		 idx;

	if (s->amount < DUST_SAT) {
		werr(err, -6, "Transaction amount too small");
		return -1;
	}
	have = 0;
	nin = 0;
	for (;;) {
		fee = (11 + 68 * (int64_t)(nin + (nin == 0)) + 31 * 2) *
		    s->feerate_msat / 1000;
		need = s->subtract_fee ? s->amount : s->amount + fee;
		if (have >= need || nin == SIM_CHAIN_MAX_TXIN)
			break;
		best = 0;
		bi = bj = 0;
		for (i = 0; i < c->ntxs; i++)
			for (j = 0; j < c->txs[i].nout; j++) {
				if (c->txs[i].out[j].value <= best ||
				    !coin_spendable(c, i, j))
					continue;
				for (n = 0; n < nin; n++)
					if (strcmp(in[n].txid,
					    c->txs[i].txid) == 0 &&
					    in[n].vout == j)
						break;
				if (n < nin)
					continue;
				best = c->txs[i].out[j].value;
				bi = i;
				bj = j;
			}
		if (best == 0)
			break;
		memcpy(in[nin].txid, c->txs[bi].txid, 65);
		in[nin++].vout = (uint32_t)bj;
		have += best;
	}
	if (have < need || nin == 0) {
		werr(err, -6, "Insufficient funds");
		return -1;
	}
	if (s->subtract_fee && s->amount - fee < DUST_SAT) {
		werr(err, -6, "The transaction amount is too small to pay the "
		    "fee");
		return -1;
	}
	out[0].address = (char *)(uintptr_t)s->address;
	out[0].value = s->subtract_fee ? s->amount - fee : s->amount;
	n = 1;
	if (have - need >= DUST_SAT) {
		chg = sim_wallet_new_address(c, NULL, 1, 0, now);
		if (chg == NULL) {
			werr(err, -6, "Transaction too large");
			return -1;
		}
		(void)RAND_bytes(&rnd, 1);
		i = rnd & 1;
		out[1] = out[0];
		out[i].address = (char *)(uintptr_t)chg;
		out[i].value = have - need;
		out[1 - i].address = (char *)(uintptr_t)s->address;
		out[1 - i].value = s->subtract_fee ? s->amount - fee :
		    s->amount;
		n = 2;
	}
	idx = sim_chain_add_tx(c, SIM_TX_WALLET, in, nin, out, n, s->rbf,
	    s->comment, s->to, now);
	if (idx < 0)
		werr(err, -6, "Transaction too large");
	return idx;
}
