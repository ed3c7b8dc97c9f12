/*
 * Node state of abc-bitcoind-sim: blocks, transactions, mempool, stale
 * blocks, wallet addresses, and their persistence in state.json.
 *
 * Transactions live in one table (txs[]) that only grows; a transaction's
 * place (mempool, a block of the active chain, or neither) is its
 * "state".  Blocks list the indexes of their transactions.  After every
 * change utxo_rebuild() recomputes which outputs active transactions
 * spend.  state.json is loaded and fully checked at start (every block
 * hash and transaction id is recomputed), so a damaged file stops the sim
 * instead of serving a wrong chain.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sim_chain.h"
#include "sim_log.h"
#include "sim_wallet.h"
#include "xmalloc.h"

/* Longest raw transaction we serialize (inputs and outputs bounded). */
#define TX_SER_MAX	(16 + SIM_CHAIN_MAX_TXIN * 41 + \
			    SIM_CHAIN_MAX_TXOUT * (9 + SIM_SPK_MAX + 1) + 64)

typedef const char *(*map_key_fn)(const struct sim_chain *, size_t);

static const char *tx_key(const struct sim_chain *c, size_t i);
static const char *addr_key(const struct sim_chain *c, size_t i);
static uint64_t	map_hash(const char *s);
static long long map_find(const struct sim_strmap *m,
		    const struct sim_chain *c, map_key_fn key, const char *k);
static void	map_put(struct sim_strmap *m, const struct sim_chain *c,
		    map_key_fn key, size_t idx);
static void	map_grow(struct sim_strmap *m, const struct sim_chain *c,
		    map_key_fn key, size_t nitems);
static void	to_hex(const unsigned char *p, size_t n, char *out);
static int	hex_to_bytes(const char *hex, unsigned char *out, size_t n);
static int	block_hash(const char *prev, int64_t height, int64_t t,
		    uint64_t nonce, char out[65]);
static void	block_clear(struct sim_block *b);
static struct sim_block *blocks_push(struct sim_block **arr, size_t *n,
		    size_t *cap);
static void	tx_clear(struct sim_tx *t);
static void	ser_varint(unsigned char *p, size_t *o, uint64_t v);
static void	ser_le(unsigned char *p, size_t *o, uint64_t v, int bytes);
static int	tx_finish(struct sim_tx *t);
static long long tx_insert(struct sim_chain *c, struct sim_tx *t);
static void	utxo_rebuild(struct sim_chain *c);
static void	drop_orphans(struct sim_chain *c);
static int	mine_one(struct sim_chain *c, const char *address,
		    int64_t now);
static int	write_all(int fd, const char *p, size_t n);
static int	fsync_dir(const char *path);
static int	write_atomic(const char *path, const char *text);
static struct json_object *save_tx(const struct sim_tx *t);
static struct json_object *save_block(const struct sim_block *b,
		    int stale);
static struct json_object *save_addrs(const struct sim_chain *c);
static int	get_int(struct json_object *o, const char *k, int64_t min,
		    int64_t max, int64_t *out);
static const char *get_str(struct json_object *o, const char *k,
		    size_t max);
static int	load_tx(struct sim_chain *c, struct json_object *j);
static int	load_block(struct sim_chain *c, struct json_object *j,
		    int stale);
static int	load_addr(struct sim_chain *c, struct json_object *j);
static int	load_array(struct sim_chain *c, struct json_object *root,
		    const char *k, size_t max,
		    int (*fn)(struct sim_chain *, struct json_object *, int),
		    int arg);
static int	load_tx_cb(struct sim_chain *c, struct json_object *j, int a);
static int	load_addr_cb(struct sim_chain *c, struct json_object *j,
		    int a);
static int	load_block_cb(struct sim_chain *c, struct json_object *j,
		    int a);
static int	placement_check(struct sim_chain *c);
static int	chain_load(struct sim_chain *c);
static int	chain_create(struct sim_chain *c);

static const char *
tx_key(const struct sim_chain *c, size_t i)
{
	return c->txs[i].txid;
}

static const char *
addr_key(const struct sim_chain *c, size_t i)
{
	return c->addrs[i].address;
}

/* FNV-1a. */
static uint64_t
map_hash(const char *s)
{
	uint64_t	h;

	h = 1469598103934665603ULL;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Index of the item whose key is "k", or -1. */
static long long
map_find(const struct sim_strmap *m, const struct sim_chain *c,
    map_key_fn key, const char *k)
{
	size_t	i, s;

	if (m->cap == 0)
		return -1;
	for (i = map_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		s = m->slot[i];
		if (s == 0)
			return -1;
		if (strcmp(key(c, s - 1), k) == 0)
			return (long long)(s - 1);
	}
}

/* Insert item "idx"; the table has room (map_grow first). */
static void
map_put(struct sim_strmap *m, const struct sim_chain *c, map_key_fn key,
    size_t idx)
{
	size_t	i;

	for (i = map_hash(key(c, idx)) & (m->cap - 1); m->slot[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		;
	m->slot[i] = idx + 1;
	m->n++;
}

/* Keep the load under one half, rebuilding from items 0..nitems-1. */
static void
map_grow(struct sim_strmap *m, const struct sim_chain *c, map_key_fn key,
    size_t nitems)
{
	size_t	i;

	if (m->cap != 0 && (m->n + 1) * 2 <= m->cap)
		return;
	free(m->slot);
	m->cap = m->cap == 0 ? 64 : m->cap * 2;
	while (m->cap < (nitems + 1) * 2)
		m->cap *= 2;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	m->n = 0;
	for (i = 0; i < nitems; i++)
		map_put(m, c, key, i);
}

static void
to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Decode 2n lowercase hex digits into n bytes.  Returns 0 or -1. */
static int
hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		hi = hex[2 * i];
		lo = hi == '\0' ? -1 : hex[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' :
		    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' :
		    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Hash of the block at "height" on top of "prev" (see sim_chain.h). */
static int
block_hash(const char *prev, int64_t height, int64_t t, uint64_t nonce,
    char out[65])
{
	unsigned char	 in[52], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen, i;
	size_t		 n;

	if (strlen(prev) != 64 || hex_to_bytes(prev, in, 32) == -1 ||
	    height < 0 || height > UINT32_MAX)
		return -1;
	for (i = 0; i < 4; i++)
		in[32 + i] = (unsigned char)((uint64_t)height >> (24 - 8 * i));
	for (i = 0; i < 8; i++)
		in[36 + i] = (unsigned char)((uint64_t)t >> (56 - 8 * i));
	for (i = 0; i < 8; i++)
		in[44 + i] = (unsigned char)(nonce >> (56 - 8 * i));
	n = nonce == 0 ? 44 : 52;
	if (EVP_Digest(in, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	to_hex(md, 32, out);
	return 0;
}

static void
block_clear(struct sim_block *b)
{
	free(b->txs);
	b->txs = NULL;
	b->ntx = 0;
}

/* Append a zeroed block record to a growable array. */
static struct sim_block *
blocks_push(struct sim_block **arr, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		*arr = xreallocarray(*arr, *cap, sizeof(**arr));
	}
	memset(&(*arr)[*n], 0, sizeof(**arr));
	return &(*arr)[(*n)++];
}

static void
tx_clear(struct sim_tx *t)
{
	size_t	i;

	for (i = 0; i < t->nout; i++)
		free(t->out[i].address);
	free(t->out);
	free(t->in);
	free(t->comment);
	free(t->to);
	free(t->hex);
	memset(t, 0, sizeof(*t));
}

/* Bitcoin's CompactSize. */
static void
ser_varint(unsigned char *p, size_t *o, uint64_t v)
{
	if (v < 253)
		p[(*o)++] = (unsigned char)v;
	else {
		p[(*o)++] = 253;
		ser_le(p, o, v, 2);
	}
}

static void
ser_le(unsigned char *p, size_t *o, uint64_t v, int bytes)
{
	int	i;

	for (i = 0; i < bytes; i++)
		p[(*o)++] = (unsigned char)(v >> (8 * i));
}

/*
 * Serialize "t" (version 2, non-witness form), set hex, txid (double
 * SHA-256, byte-reversed) and a distinct wtxid.  Returns 0, or -1 if an
 * address or prevout is malformed.
 */
static int
tx_finish(struct sim_tx *t)
{
	unsigned char	*p, spk[SIM_SPK_MAX], md[EVP_MAX_MD_SIZE], h[32];
	size_t		 o, i, spklen;
	unsigned int	 mdlen;
	const char	*e;
	int		 rc;

	p = xmalloc(TX_SER_MAX);
	o = 0;
	rc = -1;
	ser_le(p, &o, 2, 4);
	ser_varint(p, &o, t->nin);
	for (i = 0; i < t->nin; i++) {
		if (t->kind == SIM_TX_COINBASE) {
			memset(p + o, 0, 32);
			o += 32;
			ser_le(p, &o, 0xffffffffu, 4);
			p[o++] = 14;
			p[o++] = 4;
			ser_le(p, &o, (uint64_t)t->cb_height, 4);
			p[o++] = 8;
			ser_le(p, &o, t->cb_nonce, 8);
		} else {
			if (strlen(t->in[i].txid) != 64 ||
			    hex_to_bytes(t->in[i].txid, h, 32) == -1)
				goto out;
			for (mdlen = 0; mdlen < 32; mdlen++)
				p[o++] = h[31 - mdlen];
			ser_le(p, &o, t->in[i].vout, 4);
			p[o++] = 0;
		}
		ser_le(p, &o, t->rbf ? 0xfffffffdu : 0xffffffffu, 4);
	}
	ser_varint(p, &o, t->nout);
	for (i = 0; i < t->nout; i++) {
		if (sim_addr_decode(t->out[i].address, spk, &spklen, &e) == -1)
			goto out;
		ser_le(p, &o, (uint64_t)t->out[i].value, 8);
		ser_varint(p, &o, spklen);
		memcpy(p + o, spk, spklen);
		o += spklen;
	}
	ser_le(p, &o, 0, 4);
	free(t->hex);
	t->hex = xmalloc(2 * o + 1);
	to_hex(p, o, t->hex);
	if (EVP_Digest(p, o, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(md, 32, h, &mdlen, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < 32; i++)
		md[i] = h[31 - i];
	to_hex(md, 32, t->txid);
	p[o++] = 1;	/* the wtxid only has to differ from the txid */
	if (EVP_Digest(p, o, md, &mdlen, EVP_sha256(), NULL) != 1)
		goto out;
	to_hex(md, 32, t->wtxid);
	rc = 0;
out:
	free(p);
	return rc;
}

/* Move "t" into the table; returns its index or -1 if full/duplicate. */
static long long
tx_insert(struct sim_chain *c, struct sim_tx *t)
{
	if (c->ntxs >= SIM_CHAIN_MAX_TXS ||
	    map_find(&c->txmap, c, tx_key, t->txid) != -1) {
		tx_clear(t);
		return -1;
	}
	if (c->ntxs == c->captxs) {
		c->captxs = c->captxs == 0 ? 256 : c->captxs * 2;
		c->txs = xreallocarray(c->txs, c->captxs, sizeof(*c->txs));
	}
	c->txs[c->ntxs] = *t;
	memset(t, 0, sizeof(*t));
	c->ntxs++;
	map_grow(&c->txmap, c, tx_key, c->ntxs - 1);
	map_put(&c->txmap, c, tx_key, c->ntxs - 1);
	return (long long)(c->ntxs - 1);
}

/* Recompute spent_by for every output from the active transactions. */
static void
utxo_rebuild(struct sim_chain *c)
{
	struct sim_tx	*t;
	long long	 p;
	size_t		 i, j;

	for (i = 0; i < c->ntxs; i++)
		for (j = 0; j < c->txs[i].nout; j++)
			c->txs[i].out[j].spent_by = 0;
	for (i = 0; i < c->ntxs; i++) {
		t = &c->txs[i];
		if (t->state == SIM_TX_INACTIVE || t->kind == SIM_TX_COINBASE)
			continue;
		for (j = 0; j < t->nin; j++) {
			p = map_find(&c->txmap, c, tx_key, t->in[j].txid);
			if (p >= 0 && t->in[j].vout < c->txs[p].nout)
				c->txs[p].out[t->in[j].vout].spent_by = i + 1;
		}
	}
}

/*
 * Take out of the mempool every transaction spending an output of an
 * inactive one.  Parents come before children in the table, so one pass
 * in order reaches every descendant.
 */
static void
drop_orphans(struct sim_chain *c)
{
	struct sim_tx	*t;
	long long	 p;
	size_t		 i, j;

	for (i = 0; i < c->ntxs; i++) {
		t = &c->txs[i];
		if (t->state != SIM_TX_MEMPOOL)
			continue;
		for (j = 0; j < t->nin; j++) {
			p = map_find(&c->txmap, c, tx_key, t->in[j].txid);
			if (p >= 0 && c->txs[p].state == SIM_TX_INACTIVE) {
				t->state = SIM_TX_INACTIVE;
				break;
			}
		}
	}
}

/*
 * Open the state kept in "datadir" (NULL: memory only): load state.json
 * or start a new chain holding only genesis with a fresh wallet seed.
 * Returns a new chain or NULL (logged).
 */
struct sim_chain *
sim_chain_open(const char *datadir)
{
	struct sim_chain	*c;
	size_t			 n;
	int			 rc;

	c = xcalloc(1, sizeof(*c));
	if (datadir != NULL) {
		n = strlen(datadir) + sizeof("/state.json");
		c->path = xmalloc(n);
		(void)snprintf(c->path, n, "%s/state.json", datadir);
	}
	rc = c->path == NULL ? 0 : chain_load(c);
	if (rc == -1)
		goto fail;
	if (rc == 0 && chain_create(c) == -1)
		goto fail;
	utxo_rebuild(c);
	sim_log("info", "chain_open", "path=%s height=%lld txs=%zu "
	    "addresses=%zu created=%d", c->path != NULL ? c->path : "-",
	    (long long)sim_chain_height(c), c->ntxs, c->naddrs, rc == 0);
	return c;
fail:
	sim_chain_free(c);
	return NULL;
}

/* A new state: genesis and a random wallet seed, saved at once. */
static int
chain_create(struct sim_chain *c)
{
	struct sim_block	*b;

	if (RAND_bytes(c->seed, sizeof(c->seed)) != 1)
		return -1;
	b = blocks_push(&c->blocks, &c->nblocks, &c->capblocks);
	memcpy(b->hash, SIM_CHAIN_GENESIS_HASH, 65);
	memset(b->prev, '0', 64);
	b->time = SIM_CHAIN_GENESIS_TIME;
	return sim_chain_save(c);
}

/* Release a chain; NULL is a no-op. */
void
sim_chain_free(struct sim_chain *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nblocks; i++)
		block_clear(&c->blocks[i]);
	for (i = 0; i < c->nstale; i++)
		block_clear(&c->stale[i]);
	for (i = 0; i < c->ntxs; i++)
		tx_clear(&c->txs[i]);
	for (i = 0; i < c->naddrs; i++)
		free(c->addrs[i].label);
	free(c->blocks);
	free(c->stale);
	free(c->txs);
	free(c->addrs);
	free(c->txmap.slot);
	free(c->addrmap.slot);
	free(c->path);
	free(c);
}

/* Height of the tip; genesis is 0. */
int64_t
sim_chain_height(const struct sim_chain *c)
{
	return (int64_t)c->nblocks - 1;
}

/* Hash of the block at "height", or NULL if there is none. */
const char *
sim_chain_hash(const struct sim_chain *c, int64_t height)
{
	if (height < 0 || (uint64_t)height >= c->nblocks)
		return NULL;
	return c->blocks[height].hash;
}

/* Time of the block at "height", or -1 if there is none. */
int64_t
sim_chain_time(const struct sim_chain *c, int64_t height)
{
	if (height < 0 || (uint64_t)height >= c->nblocks)
		return -1;
	return c->blocks[height].time;
}

/*
 * Median time past of the block at "height": the median of the times of
 * that block and up to ten before it, as Bitcoin Core computes it.
 * Returns -1 if there is no such block.
 */
int64_t
sim_chain_mediantime(const struct sim_chain *c, int64_t height)
{
	int64_t	 t[11], x;
	size_t	 n, i, j;

	if (height < 0 || (uint64_t)height >= c->nblocks)
		return -1;
	for (n = 0; n < 11 && height - (int64_t)n >= 0; n++)
		t[n] = c->blocks[height - (int64_t)n].time;
	for (i = 1; i < n; i++) {
		x = t[i];
		for (j = i; j > 0 && t[j - 1] > x; j--)
			t[j] = t[j - 1];
		t[j] = x;
	}
	return t[n / 2];
}

/*
 * Mine one block on the tip: a coinbase paying "address" the regtest
 * subsidy, then every mempool transaction in arrival order.  Time is the
 * later of "now" and the median time past plus one.  Returns 0 or -1.
 */
static int
mine_one(struct sim_chain *c, const char *address, int64_t now)
{
	struct sim_tx		 cb;
	struct sim_block	*b;
	struct sim_txout	 out;
	char			 hash[65];
	int64_t			 tip, t, mtp, h;
	long long		 ci;
	size_t			 i, n;

	tip = sim_chain_height(c);
	if (c->nblocks >= SIM_CHAIN_MAX_BLOCKS ||
	    strlen(address) > SIM_CHAIN_ADDR_MAX)
		return -1;
	mtp = sim_chain_mediantime(c, tip);
	t = now > mtp ? now : mtp + 1;
	h = tip + 1;
	if (block_hash(c->blocks[tip].hash, h, t, c->nonce_counter + 1,
	    hash) == -1)
		return -1;
	memset(&cb, 0, sizeof(cb));
	cb.kind = SIM_TX_COINBASE;
	cb.cb_height = h;
	cb.cb_nonce = c->nonce_counter + 1;
	cb.time = t;
	out.address = (char *)(uintptr_t)address;
	out.value = h / 150 >= 63 ? 0 : (50LL * 100000000LL) >> (h / 150);
	ci = sim_chain_add_tx(c, SIM_TX_COINBASE, NULL, 1, &out, 1, 0, NULL,
	    NULL, t);
	if (ci < 0)
		return -1;
	c->nonce_counter++;
	b = blocks_push(&c->blocks, &c->nblocks, &c->capblocks);
	memcpy(b->hash, hash, 65);
	memcpy(b->prev, c->blocks[tip].hash, 65);
	b->height = h;
	b->time = t;
	b->nonce = c->nonce_counter;
	for (i = 0, n = 1; i < c->ntxs; i++)
		n += c->txs[i].state == SIM_TX_MEMPOOL;
	b->txs = xreallocarray(NULL, n, sizeof(*b->txs));
	b->txs[b->ntx++] = (size_t)ci;
	for (i = 0; i < c->ntxs; i++) {
		if (c->txs[i].state != SIM_TX_MEMPOOL)
			continue;
		c->txs[i].state = SIM_TX_BLOCK;
		c->txs[i].height = h;
		c->txs[i].blockindex = (int64_t)b->ntx;
		b->txs[b->ntx++] = i;
	}
	c->txs[ci].state = SIM_TX_BLOCK;
	c->txs[ci].height = h;
	c->txs[ci].blockindex = 0;
	return 0;
}

/* Mine one block (see mine_one); the caller saves.  Returns 0 or -1. */
int
sim_chain_mine(struct sim_chain *c, const char *address, int64_t now)
{
	int	rc;

	rc = mine_one(c, address, now);
	utxo_rebuild(c);
	return rc;
}

/*
 * Disconnect the last "n" blocks (kept as stale blocks), then mine n + 1
 * new ones paying "address".  Coinbases of the disconnected blocks become
 * inactive; with "drop" so do their external transactions (and whatever
 * spends them), everything else goes back to the mempool and is mined
 * again in the first new block.  Returns 0 or -1 (nothing changed).
 */
int
sim_chain_reorg(struct sim_chain *c, int64_t n, int drop,
    const char *address, int64_t now)
{
	struct sim_block	*b, *s;
	struct sim_tx		*t;
	int64_t			 i;
	size_t			 j;

	if (n < 1 || n > SIM_CHAIN_MAX_REORG || n > sim_chain_height(c))
		return -1;
	for (i = 0; i < n; i++) {
		b = &c->blocks[c->nblocks - 1];
		for (j = 0; j < b->ntx; j++) {
			t = &c->txs[b->txs[j]];
			t->state = t->kind == SIM_TX_COINBASE ||
			    (drop && t->kind == SIM_TX_EXTERNAL) ?
			    SIM_TX_INACTIVE : SIM_TX_MEMPOOL;
		}
		if (c->nstale == SIM_CHAIN_MAX_STALE) {
			block_clear(&c->stale[0]);
			memmove(c->stale, c->stale + 1,
			    (c->nstale - 1) * sizeof(*c->stale));
			c->nstale--;
		}
		s = blocks_push(&c->stale, &c->nstale, &c->capstale);
		*s = *b;
		c->nblocks--;
	}
	drop_orphans(c);
	for (i = 0; i <= n; i++)
		if (mine_one(c, address, now) == -1)
			break;
	utxo_rebuild(c);
	sim_log("info", "reorg", "disconnected=%lld height=%lld drop=%d",
	    (long long)n, (long long)sim_chain_height(c), drop);
	return 0;
}

/*
 * Add a transaction (to the mempool unless it is a coinbase, which the
 * miner places).  "in" is ignored for a coinbase.  Strings are copied.
 * Returns the new index or -1 (bad address, table full, duplicate).
 */
long long
sim_chain_add_tx(struct sim_chain *c, int kind, const struct sim_txin *in,
    size_t nin, const struct sim_txout *out, size_t nout, int rbf,
    const char *comment, const char *to, int64_t now)
{
	struct sim_tx	 t;
	long long	 idx;
	size_t		 i;

	if (nin == 0 || nin > SIM_CHAIN_MAX_TXIN || nout == 0 ||
	    nout > SIM_CHAIN_MAX_TXOUT)
		return -1;
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.state = SIM_TX_MEMPOOL;
	t.time = now;
	t.rbf = rbf;
	if (kind == SIM_TX_COINBASE) {
		t.cb_height = sim_chain_height(c) + 1;
		t.cb_nonce = c->nonce_counter + 1;
		nin = 1;
	}
	t.nin = nin;
	t.in = xcalloc(nin, sizeof(*t.in));
	if (kind != SIM_TX_COINBASE)
		memcpy(t.in, in, nin * sizeof(*in));
	t.nout = nout;
	t.out = xcalloc(nout, sizeof(*t.out));
	for (i = 0; i < nout; i++) {
		t.out[i].address = xstrdup(out[i].address);
		t.out[i].value = out[i].value;
	}
	t.comment = comment != NULL ? xstrdup(comment) : NULL;
	t.to = to != NULL ? xstrdup(to) : NULL;
	if (tx_finish(&t) == -1) {
		tx_clear(&t);
		return -1;
	}
	idx = tx_insert(c, &t);
	if (idx >= 0 && kind != SIM_TX_COINBASE && !c->bulk)
		utxo_rebuild(c);
	return idx;
}

/* Fill "in" with a fresh outpoint of the outside world. */
void
sim_chain_ext_input(struct sim_chain *c, struct sim_txin *in)
{
	unsigned char	buf[48], md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen, i;

	c->ext_counter++;
	memcpy(buf, c->seed, 32);
	memcpy(buf + 32, "abcsim-ext", 8);
	for (i = 0; i < 8; i++)
		buf[40 + i] = (unsigned char)(c->ext_counter >> (56 - 8 * i));
	(void)EVP_Digest(buf, sizeof(buf), md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, 32, in->txid);
	in->vout = 0;
}

/*
 * Replace mempool transaction "idx" by one spending the same inputs and
 * paying their whole value less a larger fee to "address".  The original
 * (and whatever spends it) leaves the mempool.  Returns the new index or
 * -1 if "idx" is not in the mempool or cannot be replaced.
 */
long long
sim_chain_conflict(struct sim_chain *c, size_t idx, const char *address,
    int64_t now)
{
	struct sim_txout	 out;
	struct sim_txin		*in;
	struct sim_tx		*t;
	long long		 ni;
	size_t			 i, nin;
	int64_t			 total;

	if (idx >= c->ntxs || c->txs[idx].state != SIM_TX_MEMPOOL ||
	    c->txs[idx].replaced_by != 0)
		return -1;
	t = &c->txs[idx];
	for (i = 0, total = 0; i < t->nout; i++)
		total += t->out[i].value;
	out.address = (char *)(uintptr_t)address;
	out.value = total > 2000 ? total - 1000 : total;
	nin = t->nin;
	in = xcalloc(nin, sizeof(*in));
	memcpy(in, t->in, nin * sizeof(*in));
	t->state = SIM_TX_INACTIVE;
	ni = sim_chain_add_tx(c, SIM_TX_EXTERNAL, in, nin, &out, 1, 1, NULL,
	    NULL, now);
	free(in);
	if (ni < 0) {
		c->txs[idx].state = SIM_TX_MEMPOOL;
		return -1;
	}
	c->txs[idx].replaced_by = (size_t)ni + 1;
	c->txs[ni].replaces = idx + 1;
	drop_orphans(c);
	utxo_rebuild(c);
	return ni;
}

/* Index of the transaction "txid", or -1. */
long long
sim_chain_find_tx(const struct sim_chain *c, const char *txid)
{
	return map_find(&c->txmap, c, tx_key, txid);
}

/* The active or stale block "hash", or NULL; "*active" says which. */
const struct sim_block *
sim_chain_find_block(const struct sim_chain *c, const char *hash,
    int *active)
{
	size_t	i;

	for (i = c->nblocks; i > 0; i--)
		if (strcmp(c->blocks[i - 1].hash, hash) == 0) {
			*active = 1;
			return &c->blocks[i - 1];
		}
	for (i = c->nstale; i > 0; i--)
		if (strcmp(c->stale[i - 1].hash, hash) == 0) {
			*active = 0;
			return &c->stale[i - 1];
		}
	return NULL;
}

/* Index of wallet address "address", or -1. */
long long
sim_chain_find_addr(const struct sim_chain *c, const char *address)
{
	return map_find(&c->addrmap, c, addr_key, address);
}

/*
 * Add a wallet address (label NULL: no address-book entry) derived at
 * "index"; advances the matching counter.  Returns its index or -1.
 */
long long
sim_chain_add_addr(struct sim_chain *c, const char *address,
    const char *label, int change, int64_t index, int64_t now)
{
	struct sim_addr	*a;

	if (c->naddrs >= SIM_CHAIN_MAX_ADDRS ||
	    strlen(address) > SIM_CHAIN_ADDR_MAX ||
	    (label != NULL && strlen(label) > SIM_CHAIN_LABEL_MAX) ||
	    sim_chain_find_addr(c, address) != -1)
		return -1;
	if (c->naddrs == c->capaddrs) {
		c->capaddrs = c->capaddrs == 0 ? 64 : c->capaddrs * 2;
		c->addrs = xreallocarray(c->addrs, c->capaddrs,
		    sizeof(*c->addrs));
	}
	a = &c->addrs[c->naddrs];
	memset(a, 0, sizeof(*a));
	memcpy(a->address, address, strlen(address) + 1);
	a->label = label != NULL ? xstrdup(label) : NULL;
	a->change = change;
	a->index = index;
	a->time = now;
	if (change && index >= c->change_counter)
		c->change_counter = index + 1;
	else if (!change && index >= c->addr_counter)
		c->addr_counter = index + 1;
	c->naddrs++;
	map_grow(&c->addrmap, c, addr_key, c->naddrs - 1);
	map_put(&c->addrmap, c, addr_key, c->naddrs - 1);
	return (long long)(c->naddrs - 1);
}

/*
 * Confirmations of transaction "idx" as the wallet reports them: tip -
 * height + 1 in the active chain; negative when replaced (-1 while the
 * replacement is unconfirmed, -(tip - its height + 1) once mined) or when
 * a parent is; 0 otherwise.
 */
int64_t
sim_chain_depth(const struct sim_chain *c, size_t idx)
{
	const struct sim_tx	*t, *r;
	long long		 p;
	size_t			 i, hops;
	int64_t			 tip;

	tip = sim_chain_height(c);
	for (hops = 0; hops < 32 && idx < c->ntxs; hops++) {
		t = &c->txs[idx];
		if (t->state == SIM_TX_BLOCK)
			return tip - t->height + 1;
		if (t->replaced_by != 0) {
			r = &c->txs[t->replaced_by - 1];
			if (r->state == SIM_TX_BLOCK)
				return -(tip - r->height + 1);
			return r->state == SIM_TX_MEMPOOL ? -1 : 0;
		}
		if (t->state == SIM_TX_MEMPOOL || t->kind == SIM_TX_COINBASE)
			return 0;
		/* Inactive: conflicted if an ancestor is. */
		for (i = 0, p = -1; i < t->nin && p < 0; i++) {
			p = sim_chain_find_tx(c, t->in[i].txid);
			if (p >= 0 && c->txs[p].state != SIM_TX_INACTIVE)
				p = -1;
		}
		if (p < 0)
			return 0;
		idx = (size_t)p;
	}
	return 0;
}

/* Write all of p[0..n) to a blocking fd.  Returns 0 or -1 with errno. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Flush the directory holding "path" so a rename in it is durable. */
static int
fsync_dir(const char *path)
{
	char	*dir, *slash;
	int	 fd, rc;

	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/* Temp file, fsync, rename, directory fsync.  Returns 0 or -1 (logged). */
static int
write_atomic(const char *path, const char *text)
{
	char	*tmp;
	size_t	 n;
	int	 fd, rc, saved_errno;

	n = strlen(path) + sizeof(".tmp");
	tmp = xmalloc(n);
	(void)snprintf(tmp, n, "%s.tmp", path);
	rc = -1;
	saved_errno = 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		saved_errno = errno;
		goto out;
	}
	if (write_all(fd, text, strlen(text)) == -1 ||
	    write_all(fd, "\n", 1) == -1 || fsync(fd) == -1) {
		saved_errno = errno;
		(void)close(fd);
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved_errno = errno;
		(void)unlink(tmp);
		goto out;
	}
	(void)fsync_dir(path);
	rc = 0;
out:
	if (rc == -1)
		sim_log("error", "chain_save", "path=%s errno=%d reason=\"%s\"",
		    path, saved_errno, strerror(saved_errno));
	free(tmp);
	return rc;
}

static struct json_object *
save_tx(const struct sim_tx *t)
{
	struct json_object	*o, *a, *e;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "txid", json_object_new_string(t->txid));
	json_object_object_add(o, "kind", json_object_new_int(t->kind));
	json_object_object_add(o, "state", json_object_new_int(t->state));
	json_object_object_add(o, "time", json_object_new_int64(t->time));
	json_object_object_add(o, "rbf", json_object_new_boolean(t->rbf));
	json_object_object_add(o, "cb_height",
	    json_object_new_int64(t->cb_height));
	json_object_object_add(o, "cb_nonce",
	    json_object_new_int64((int64_t)t->cb_nonce));
	json_object_object_add(o, "replaced_by",
	    json_object_new_int64((int64_t)t->replaced_by));
	a = json_object_new_array();
	for (i = 0; t->kind != SIM_TX_COINBASE && i < t->nin; i++) {
		e = json_object_new_array();
		json_object_array_add(e, json_object_new_string(t->in[i].txid));
		json_object_array_add(e, json_object_new_int64(t->in[i].vout));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "in", a);
	a = json_object_new_array();
	for (i = 0; i < t->nout; i++) {
		e = json_object_new_array();
		json_object_array_add(e,
		    json_object_new_string(t->out[i].address));
		json_object_array_add(e, json_object_new_int64(t->out[i].value));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "out", a);
	if (t->comment != NULL)
		json_object_object_add(o, "comment",
		    json_object_new_string(t->comment));
	if (t->to != NULL)
		json_object_object_add(o, "to", json_object_new_string(t->to));
	return o;
}

static struct json_object *
save_block(const struct sim_block *b, int stale)
{
	struct json_object	*o, *a;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "hash", json_object_new_string(b->hash));
	json_object_object_add(o, "time", json_object_new_int64(b->time));
	json_object_object_add(o, "nonce",
	    json_object_new_int64((int64_t)b->nonce));
	if (stale) {
		json_object_object_add(o, "prev",
		    json_object_new_string(b->prev));
		json_object_object_add(o, "height",
		    json_object_new_int64(b->height));
	}
	a = json_object_new_array();
	for (i = 0; i < b->ntx; i++)
		json_object_array_add(a, json_object_new_int64(
		    (int64_t)b->txs[i]));
	json_object_object_add(o, "txs", a);
	return o;
}

static struct json_object *
save_addrs(const struct sim_chain *c)
{
	struct json_object	*a, *o;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; i < c->naddrs; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "address",
		    json_object_new_string(c->addrs[i].address));
		if (c->addrs[i].label != NULL)
			json_object_object_add(o, "label",
			    json_object_new_string(c->addrs[i].label));
		json_object_object_add(o, "change",
		    json_object_new_boolean(c->addrs[i].change));
		json_object_object_add(o, "index",
		    json_object_new_int64(c->addrs[i].index));
		json_object_object_add(o, "time",
		    json_object_new_int64(c->addrs[i].time));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * Write the whole state to state.json atomically.  Returns 0 or -1
 * (logged); on failure the previous file is left in place.  A memory-only
 * chain always succeeds.
 */
int
sim_chain_save(struct sim_chain *c)
{
	struct json_object	*root, *a;
	char			 seed[65];
	size_t			 i;
	int			 rc;

	if (c->path == NULL)
		return 0;
	root = json_object_new_object();
	to_hex(c->seed, 32, seed);
	json_object_object_add(root, "format", json_object_new_int(2));
	json_object_object_add(root, "chain",
	    json_object_new_string("regtest"));
	json_object_object_add(root, "seed", json_object_new_string(seed));
	json_object_object_add(root, "nonce_counter",
	    json_object_new_int64((int64_t)c->nonce_counter));
	json_object_object_add(root, "ext_counter",
	    json_object_new_int64((int64_t)c->ext_counter));
	json_object_object_add(root, "addresses", save_addrs(c));
	a = json_object_new_array();
	for (i = 0; i < c->ntxs; i++)
		json_object_array_add(a, save_tx(&c->txs[i]));
	json_object_object_add(root, "txs", a);
	a = json_object_new_array();
	for (i = 0; i < c->nblocks; i++)
		json_object_array_add(a, save_block(&c->blocks[i], 0));
	json_object_object_add(root, "blocks", a);
	a = json_object_new_array();
	for (i = 0; i < c->nstale; i++)
		json_object_array_add(a, save_block(&c->stale[i], 1));
	json_object_object_add(root, "stale", a);
	rc = write_atomic(c->path, json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return rc;
}

/* Integer member "k" of "o" within [min, max].  Returns 0 or -1. */
static int
get_int(struct json_object *o, const char *k, int64_t min, int64_t max,
    int64_t *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return *out < min || *out > max ? -1 : 0;
}

/* String member "k" of "o" at most "max" bytes, or NULL. */
static const char *
get_str(struct json_object *o, const char *k, size_t max)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) > max)
		return NULL;
	return json_object_get_string(v);
}

/* One saved transaction; its txid must come out the same. */
static int
load_tx(struct sim_chain *c, struct json_object *j)
{
	struct json_object	*ja, *e;
	struct sim_txin		*in;
	struct sim_txout	*out;
	const char		*want, *cm, *to;
	int64_t			 kind, state, tm, rbf, cbh, cbn, rep, v;
	size_t			 i, nin, nout;
	long long		 idx;
	int			 rc;

	want = get_str(j, "txid", 64);
	if (want == NULL || get_int(j, "kind", 0, 2, &kind) == -1 ||
	    get_int(j, "state", 0, 2, &state) == -1 ||
	    get_int(j, "time", 0, INT64_MAX, &tm) == -1 ||
	    get_int(j, "cb_height", 0, UINT32_MAX, &cbh) == -1 ||
	    get_int(j, "cb_nonce", 0, INT64_MAX, &cbn) == -1 ||
	    get_int(j, "replaced_by", 0, SIM_CHAIN_MAX_TXS, &rep) == -1 ||
	    !json_object_object_get_ex(j, "rbf", &e) ||
	    !json_object_object_get_ex(j, "in", &ja) ||
	    !json_object_is_type(ja, json_type_array))
		return -1;
	rbf = json_object_get_boolean(e);
	nin = kind == SIM_TX_COINBASE ? 1 : json_object_array_length(ja);
	if (nin == 0 || nin > SIM_CHAIN_MAX_TXIN)
		return -1;
	in = xcalloc(nin, sizeof(*in));
	out = NULL;
	rc = -1;
	for (i = 0; kind != SIM_TX_COINBASE && i < nin; i++) {
		e = json_object_array_get_idx(ja, i);
		if (json_object_array_length(e) != 2 ||
		    !json_object_is_type(json_object_array_get_idx(e, 0),
		    json_type_string) ||
		    json_object_get_string_len(json_object_array_get_idx(e,
		    0)) != 64)
			goto out;
		memcpy(in[i].txid, json_object_get_string(
		    json_object_array_get_idx(e, 0)), 65);
		v = json_object_get_int64(json_object_array_get_idx(e, 1));
		if (v < 0 || v > UINT32_MAX)
			goto out;
		in[i].vout = (uint32_t)v;
	}
	if (!json_object_object_get_ex(j, "out", &ja) ||
	    !json_object_is_type(ja, json_type_array))
		goto out;
	nout = json_object_array_length(ja);
	if (nout == 0 || nout > SIM_CHAIN_MAX_TXOUT)
		goto out;
	out = xcalloc(nout, sizeof(*out));
	for (i = 0; i < nout; i++) {
		e = json_object_array_get_idx(ja, i);
		if (json_object_array_length(e) != 2 ||
		    !json_object_is_type(json_object_array_get_idx(e, 0),
		    json_type_string))
			goto out;
		out[i].address = (char *)(uintptr_t)json_object_get_string(
		    json_object_array_get_idx(e, 0));
		out[i].value = json_object_get_int64(
		    json_object_array_get_idx(e, 1));
		if (out[i].value < 0 || out[i].value > SIM_MAX_MONEY ||
		    strlen(out[i].address) > SIM_CHAIN_ADDR_MAX)
			goto out;
	}
	cm = get_str(j, "comment", SIM_CHAIN_COMMENT_MAX);
	to = get_str(j, "to", SIM_CHAIN_COMMENT_MAX);
	c->nonce_counter = (uint64_t)cbn - 1;	/* coinbase nonce */
	if (kind == SIM_TX_COINBASE)
		c->nblocks = (size_t)cbh;	/* so cb_height comes out */
	idx = sim_chain_add_tx(c, (int)kind, in, nin, out, nout, (int)rbf, cm,
	    to, tm);
	c->nblocks = 0;
	if (idx < 0 || strcmp(c->txs[idx].txid, want) != 0)
		goto out;
	c->txs[idx].state = (int)state;
	c->txs[idx].replaced_by = (size_t)rep;
	rc = 0;
out:
	free(in);
	free(out);
	return rc;
}

/* One saved block: its hash is recomputed, its txs must exist. */
static int
load_block(struct sim_chain *c, struct json_object *j, int stale)
{
	struct json_object	*ja, *v;
	struct sim_block	*b, tmp;
	const char		*hash, *prev;
	char			 want[65], pbuf[65];
	int64_t			 t, nonce, h, x;
	size_t			 i;

	memset(&tmp, 0, sizeof(tmp));
	hash = get_str(j, "hash", 64);
	if (hash == NULL || get_int(j, "time", 0, INT64_MAX, &t) == -1 ||
	    get_int(j, "nonce", 0, INT64_MAX, &nonce) == -1 ||
	    !json_object_object_get_ex(j, "txs", &ja) ||
	    !json_object_is_type(ja, json_type_array) ||
	    json_object_array_length(ja) > c->ntxs)
		return -1;
	if (stale) {
		prev = get_str(j, "prev", 64);
		if (prev == NULL || get_int(j, "height", 1, UINT32_MAX,
		    &h) == -1)
			return -1;
	} else {
		h = (int64_t)c->nblocks;
		prev = h == 0 ? NULL : c->blocks[h - 1].hash;
	}
	if (prev == NULL ? strcmp(hash, SIM_CHAIN_GENESIS_HASH) != 0 :
	    block_hash(prev, h, t, (uint64_t)nonce, want) == -1 ||
	    strcmp(want, hash) != 0)
		return -1;
	/* prev may point into blocks[], which the push can move. */
	memset(pbuf, '0', 64);
	pbuf[64] = '\0';
	if (prev != NULL)
		memcpy(pbuf, prev, 65);
	b = stale ? blocks_push(&c->stale, &c->nstale, &c->capstale) :
	    blocks_push(&c->blocks, &c->nblocks, &c->capblocks);
	memcpy(b->hash, hash, 65);
	memcpy(b->prev, pbuf, 65);
	b->height = h;
	b->time = t;
	b->nonce = (uint64_t)nonce;
	b->txs = xcalloc(json_object_array_length(ja) + 1, sizeof(*b->txs));
	for (i = 0; i < json_object_array_length(ja); i++) {
		v = json_object_array_get_idx(ja, i);
		x = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || x < 0 ||
		    (size_t)x >= c->ntxs)
			return -1;
		b->txs[b->ntx++] = (size_t)x;
		if (!stale) {
			c->txs[x].height = h;
			c->txs[x].blockindex = (int64_t)i;
		}
	}
	return 0;
}

static int
load_addr(struct sim_chain *c, struct json_object *j)
{
	struct json_object	*v;
	const char		*a, *label;
	int64_t			 index, t;

	a = get_str(j, "address", SIM_CHAIN_ADDR_MAX);
	label = get_str(j, "label", SIM_CHAIN_LABEL_MAX);
	if (a == NULL || get_int(j, "index", 0, INT64_MAX, &index) == -1 ||
	    get_int(j, "time", 0, INT64_MAX, &t) == -1 ||
	    !json_object_object_get_ex(j, "change", &v) ||
	    (json_object_object_get_ex(j, "label", &v) && label == NULL))
		return -1;
	json_object_object_get_ex(j, "change", &v);
	return sim_chain_add_addr(c, a, label, json_object_get_boolean(v),
	    index, t) < 0 ? -1 : 0;
}

static int
load_tx_cb(struct sim_chain *c, struct json_object *j, int a)
{
	(void)a;
	return load_tx(c, j);
}

static int
load_addr_cb(struct sim_chain *c, struct json_object *j, int a)
{
	(void)a;
	return load_addr(c, j);
}

static int
load_block_cb(struct sim_chain *c, struct json_object *j, int a)
{
	return load_block(c, j, a);
}

/* Run "fn" on each element of array member "k" (at most "max"). */
static int
load_array(struct sim_chain *c, struct json_object *root, const char *k,
    size_t max, int (*fn)(struct sim_chain *, struct json_object *, int),
    int arg)
{
	struct json_object	*a;
	size_t			 i, n;

	if (!json_object_object_get_ex(root, k, &a) ||
	    !json_object_is_type(a, json_type_array))
		return -1;
	n = json_object_array_length(a);
	if (n > max)
		return -1;
	for (i = 0; i < n; i++)
		if (fn(c, json_object_array_get_idx(a, i), arg) == -1) {
			sim_log("error", "chain_load", "path=%s section=%s "
			    "item=%zu reason=bad_item", c->path, k, i);
			return -1;
		}
	return 0;
}

/*
 * Every transaction said to be in a block must be where it says; links
 * replacements back to what they replace.
 */
static int
placement_check(struct sim_chain *c)
{
	const struct sim_tx	*t;
	size_t			 i;

	for (i = 0; i < c->ntxs; i++) {
		t = &c->txs[i];
		if (t->replaced_by > c->ntxs || t->replaced_by == i + 1)
			return -1;
		if (t->replaced_by != 0)
			c->txs[t->replaced_by - 1].replaces = i + 1;
		if (t->state != SIM_TX_BLOCK)
			continue;
		if (t->height < 0 || (size_t)t->height >= c->nblocks ||
		    t->blockindex < 0 || (size_t)t->blockindex >=
		    c->blocks[t->height].ntx ||
		    c->blocks[t->height].txs[t->blockindex] != i)
			return -1;
	}
	return 0;
}

/*
 * Load state.json into an empty chain.  Returns 1 if loaded, 0 if the
 * file does not exist, -1 if it cannot be read or is invalid (logged).
 */
static int
chain_load(struct sim_chain *c)
{
	struct json_object	*root;
	const char		*seed;
	int64_t			 f, nc, ec;
	int			 rc;

	if (access(c->path, F_OK) == -1 && errno == ENOENT)
		return 0;
	root = json_object_from_file(c->path);
	if (root == NULL) {
		sim_log("error", "chain_load", "path=%s reason=unreadable",
		    c->path);
		return -1;
	}
	rc = -1;
	c->bulk = 1;
	seed = get_str(root, "seed", 64);
	if (get_int(root, "format", 2, 2, &f) == -1 || seed == NULL ||
	    hex_to_bytes(seed, c->seed, 32) == -1 ||
	    get_int(root, "nonce_counter", 0, INT64_MAX, &nc) == -1 ||
	    get_int(root, "ext_counter", 0, INT64_MAX, &ec) == -1) {
		sim_log("error", "chain_load", "path=%s reason=bad_header",
		    c->path);
		goto out;
	}
	if (load_array(c, root, "addresses", SIM_CHAIN_MAX_ADDRS,
	    load_addr_cb, 0) == -1 ||
	    load_array(c, root, "txs", SIM_CHAIN_MAX_TXS, load_tx_cb, 0) == -1)
		goto out;
	c->nblocks = 0;
	if (load_array(c, root, "blocks", SIM_CHAIN_MAX_BLOCKS,
	    load_block_cb, 0) == -1 || c->nblocks == 0 ||
	    load_array(c, root, "stale", SIM_CHAIN_MAX_STALE,
	    load_block_cb, 1) == -1)
		goto out;
	if (placement_check(c) == -1) {
		sim_log("error", "chain_load", "path=%s reason=bad_placement",
		    c->path);
		goto out;
	}
	c->nonce_counter = (uint64_t)nc;
	c->ext_counter = (uint64_t)ec;
	rc = 1;
out:
	c->bulk = 0;
	if (rc == -1 && c->nblocks == 0)
		sim_log("error", "chain_load", "path=%s reason=invalid",
		    c->path);
	json_object_put(root);
	return rc;
}
