/*
 * Block chain state of abc-bitcoind-sim and its persistence.
 *
 * Blocks are kept in one array indexed by height.  chain.json is loaded
 * and fully checked (genesis, heights, every hash recomputed) at start, so
 * a damaged file stops the sim instead of serving a wrong chain.  Saving
 * writes chain.json.tmp, fsyncs it, renames it over chain.json and fsyncs
 * the directory, so a crash leaves either the old or the new chain.
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

#include "sim_chain.h"
#include "sim_log.h"
#include "xmalloc.h"

/* One block; the previous block is the one at height - 1. */
struct sim_block {
	char		 hash[65];	/* lowercase hex, NUL-terminated */
	int64_t		 time;		/* block time, seconds since epoch */
	char		*address;	/* owned; "" for genesis */
};

struct sim_chain {
	char			*path;		/* owned file path */
	struct sim_block	*blocks;	/* owned array, nblocks used */
	size_t			 nblocks;
	size_t			 cap;
};

static int	hex_to_bytes(const char *hex, unsigned char *out, size_t n);
static int	block_hash(const char *prev, int64_t height, int64_t t,
		    char out[65]);
static void	chain_push(struct sim_chain *c, const char *hash, int64_t t,
		    const char *address);
static int	chain_load(struct sim_chain *c);
static int	chain_load_block(struct sim_chain *c, struct json_object *b,
		    size_t i);
static int	write_all(int fd, const char *p, size_t n);
static int	fsync_dir(const char *path);

/* Decode 2n lowercase hex digits into n bytes.  Returns 0 or -1. */
static int
hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		hi = hex[2 * i];
		lo = hex[2 * i + 1];
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

/* Compute the hash of the block at "height" on top of "prev". */
static int
block_hash(const char *prev, int64_t height, int64_t t, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 in[44], md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	uint64_t		 ut;

	if (strlen(prev) != 64 || hex_to_bytes(prev, in, 32) == -1 ||
	    height < 0 || height > UINT32_MAX)
		return -1;
	for (i = 0; i < 4; i++)
		in[32 + i] = (unsigned char)((uint64_t)height >> (24 - 8 * i));
	ut = (uint64_t)t;
	for (i = 0; i < 8; i++)
		in[36 + i] = (unsigned char)(ut >> (56 - 8 * i));
	if (EVP_Digest(in, sizeof(in), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}

/* Append a block record; the caller has checked the limit. */
static void
chain_push(struct sim_chain *c, const char *hash, int64_t t,
    const char *address)
{
	if (c->nblocks == c->cap) {
		c->cap = c->cap == 0 ? 64 : c->cap * 2;
		c->blocks = xreallocarray(c->blocks, c->cap,
		    sizeof(*c->blocks));
	}
	memcpy(c->blocks[c->nblocks].hash, hash, 65);
	c->blocks[c->nblocks].time = t;
	c->blocks[c->nblocks].address = xstrdup(address);
	c->nblocks++;
}

/*
 * Check and append block i from chain.json.  Returns 0 or -1 (logged).
 */
static int
chain_load_block(struct sim_chain *c, struct json_object *b, size_t i)
{
	struct json_object	*jh, *jt, *ja, *jheight;
	const char		*hash, *addr;
	char			 want[65];
	int64_t			 t;

	if (!json_object_is_type(b, json_type_object) ||
	    !json_object_object_get_ex(b, "hash", &jh) ||
	    !json_object_object_get_ex(b, "time", &jt) ||
	    !json_object_object_get_ex(b, "height", &jheight) ||
	    !json_object_is_type(jh, json_type_string) ||
	    !json_object_is_type(jt, json_type_int) ||
	    !json_object_is_type(jheight, json_type_int) ||
	    json_object_get_int64(jheight) != (int64_t)i)
		goto bad;
	addr = "";
	if (json_object_object_get_ex(b, "address", &ja)) {
		if (!json_object_is_type(ja, json_type_string) ||
		    strlen(json_object_get_string(ja)) > SIM_CHAIN_ADDR_MAX)
			goto bad;
		addr = json_object_get_string(ja);
	}
	hash = json_object_get_string(jh);
	t = json_object_get_int64(jt);
	if (i == 0) {
		if (strcmp(hash, SIM_CHAIN_GENESIS_HASH) != 0)
			goto bad;
	} else if (block_hash(c->blocks[i - 1].hash, (int64_t)i, t,
	    want) == -1 || strcmp(hash, want) != 0)
		goto bad;
	chain_push(c, hash, t, addr);
	return 0;
bad:
	sim_log("error", "chain_load", "path=%s height=%zu reason=bad_block",
	    c->path, i);
	return -1;
}

/*
 * Load chain.json into an empty chain.  Returns 1 if loaded, 0 if the file
 * does not exist, -1 if it cannot be read or is invalid (logged).
 */
static int
chain_load(struct sim_chain *c)
{
	struct json_object	*root, *blocks;
	size_t			 i, n;
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
	if (!json_object_object_get_ex(root, "blocks", &blocks) ||
	    !json_object_is_type(blocks, json_type_array)) {
		sim_log("error", "chain_load", "path=%s reason=no_blocks",
		    c->path);
		goto out;
	}
	n = json_object_array_length(blocks);
	if (n == 0 || n > SIM_CHAIN_MAX_BLOCKS) {
		sim_log("error", "chain_load", "path=%s reason=bad_length",
		    c->path);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (chain_load_block(c,
		    json_object_array_get_idx(blocks, i), i) == -1)
			goto out;
	rc = 1;
out:
	json_object_put(root);
	return rc;
}

/*
 * Open the chain kept in "datadir": load chain.json, or start a new chain
 * holding only genesis and save it.  Returns a new chain or NULL (logged).
 */
struct sim_chain *
sim_chain_open(const char *datadir)
{
	struct sim_chain	*c;
	size_t			 n;
	int			 rc;

	c = xcalloc(1, sizeof(*c));
	n = strlen(datadir) + sizeof("/chain.json");
	c->path = xmalloc(n);
	(void)snprintf(c->path, n, "%s/chain.json", datadir);
	rc = chain_load(c);
	if (rc == -1)
		goto fail;
	if (rc == 0) {
		chain_push(c, SIM_CHAIN_GENESIS_HASH, SIM_CHAIN_GENESIS_TIME,
		    "");
		if (sim_chain_save(c) == -1)
			goto fail;
	}
	sim_log("info", "chain_open", "path=%s height=%lld created=%d",
	    c->path, (long long)sim_chain_height(c), rc == 0);
	return c;
fail:
	sim_chain_free(c);
	return NULL;
}

/* Release a chain; NULL is a no-op. */
void
sim_chain_free(struct sim_chain *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nblocks; i++)
		free(c->blocks[i].address);
	free(c->blocks);
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
	/* Insertion sort: at most eleven values. */
	for (i = 1; i < n; i++) {
		x = t[i];
		for (j = i; j > 0 && t[j - 1] > x; j--)
			t[j] = t[j - 1];
		t[j] = x;
	}
	return t[n / 2];
}

/*
 * Mine one block paying "address" on top of the tip.  Its time is the
 * later of "now" and the tip's median time past plus one, like Bitcoin
 * Core's UpdateTime().  The caller saves afterwards.  Returns 0, or -1 if
 * the chain is full or the address is too long.
 */
int
sim_chain_mine(struct sim_chain *c, const char *address, int64_t now)
{
	char		 hash[65];
	int64_t		 tip, t, mtp;

	tip = sim_chain_height(c);
	if (c->nblocks >= SIM_CHAIN_MAX_BLOCKS ||
	    strlen(address) > SIM_CHAIN_ADDR_MAX)
		return -1;
	mtp = sim_chain_mediantime(c, tip);
	t = now > mtp ? now : mtp + 1;
	if (block_hash(c->blocks[tip].hash, tip + 1, t, hash) == -1)
		return -1;
	chain_push(c, hash, t, address);
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

/*
 * Write the whole chain to chain.json atomically (temp file, fsync,
 * rename, directory fsync).  Returns 0 or -1 (logged); on failure the
 * previous file is left in place.
 */
int
sim_chain_save(struct sim_chain *c)
{
	struct json_object	*root, *arr, *b;
	const char		*text;
	char			*tmp;
	size_t			 i, n;
	int			 fd, rc, saved_errno;

	root = json_object_new_object();
	arr = json_object_new_array_ext((int)c->nblocks);
	json_object_object_add(root, "format", json_object_new_int(1));
	json_object_object_add(root, "chain",
	    json_object_new_string("regtest"));
	for (i = 0; i < c->nblocks; i++) {
		b = json_object_new_object();
		json_object_object_add(b, "height",
		    json_object_new_int64((int64_t)i));
		json_object_object_add(b, "hash",
		    json_object_new_string(c->blocks[i].hash));
		json_object_object_add(b, "time",
		    json_object_new_int64(c->blocks[i].time));
		json_object_object_add(b, "address",
		    json_object_new_string(c->blocks[i].address));
		json_object_array_add(arr, b);
	}
	json_object_object_add(root, "blocks", arr);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(c->path) + sizeof(".tmp");
	tmp = xmalloc(n);
	(void)snprintf(tmp, n, "%s.tmp", c->path);
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
	if (close(fd) == -1 || rename(tmp, c->path) == -1) {
		saved_errno = errno;
		(void)unlink(tmp);
		goto out;
	}
	(void)fsync_dir(c->path);
	rc = 0;
out:
	if (rc == -1)
		sim_log("error", "chain_save", "path=%s errno=%d reason=\"%s\"",
		    c->path, saved_errno, strerror(saved_errno));
	free(tmp);
	json_object_put(root);
	return rc;
}
