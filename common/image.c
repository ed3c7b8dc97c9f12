/* Image type and size from the leading bytes; see image.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "image.h"

static uint32_t	 image_be32(const uint8_t *p);
static uint32_t	 image_be16(const uint8_t *p);
static uint32_t	 image_le16(const uint8_t *p);
static int	 image_png(const uint8_t *p, size_t len,
		    struct image_info *out);
static int	 image_gif(const uint8_t *p, size_t len,
		    struct image_info *out);
static int	 image_jpeg(const uint8_t *p, size_t len,
		    struct image_info *out);

static const uint8_t	 png_sig[8] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
};

/* Returns the big-endian 32-bit number at p. */
static uint32_t
image_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Returns the big-endian 16-bit number at p. */
static uint32_t
image_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Returns the little-endian 16-bit number at p. */
static uint32_t
image_le16(const uint8_t *p)
{
	return (uint32_t)p[1] << 8 | p[0];
}

/*
 * PNG: the signature, then the IHDR chunk first, with length 13, width
 * and height 1..IMAGE_MAX_DIM, a bit depth allowed for its colour type,
 * compression and filter method 0 and interlace method 0 or 1.  The CRC
 * is not checked.  Returns 0 with out filled, or -1.
 */
static int
image_png(const uint8_t *p, size_t len, struct image_info *out)
{
	const uint8_t	*h;
	uint32_t	 w, ht;
	uint8_t		 depth, color;
	int		 ok;

	if (len < 8 + 8 + 13 || memcmp(p, png_sig, sizeof(png_sig)) != 0 ||
	    image_be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
		return -1;
	h = p + 16;
	w = image_be32(h);
	ht = image_be32(h + 4);
	depth = h[8];
	color = h[9];
	if (w == 0 || w > IMAGE_MAX_DIM || ht == 0 || ht > IMAGE_MAX_DIM)
		return -1;
	switch (color) {
	case 0:		/* greyscale */
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 ||
		    depth == 16;
		break;
	case 3:		/* palette */
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8;
		break;
	case 2:		/* RGB */
	case 4:		/* greyscale and alpha */
	case 6:		/* RGBA */
		ok = depth == 8 || depth == 16;
		break;
	default:
		ok = 0;
		break;
	}
	if (!ok || h[10] != 0 || h[11] != 0 || h[12] > 1)
		return -1;
	out->type = IMAGE_PNG;
	out->width = w;
	out->height = ht;
	return 0;
}

/*
 * GIF: "GIF87a" or "GIF89a" and the whole logical screen descriptor, whose
 * width and height (little-endian) are not zero.  Returns 0 with out
 * filled, or -1.
 */
static int
image_gif(const uint8_t *p, size_t len, struct image_info *out)
{
	uint32_t	 w, h;

	if (len < 6 + 7 || (memcmp(p, "GIF87a", 6) != 0 &&
	    memcmp(p, "GIF89a", 6) != 0))
		return -1;
	w = image_le16(p + 6);
	h = image_le16(p + 8);
	if (w == 0 || h == 0)
		return -1;
	out->type = IMAGE_GIF;
	out->width = w;
	out->height = h;
	return 0;
}

/*
 * JPEG: SOI, then markers (each 0xFF, optionally preceded by more 0xFF
 * fill bytes) up to the first frame header SOF0..SOF15, which excludes
 * DHT (C4), JPG (C8) and DAC (CC).  TEM and RST0..7 stand alone; every
 * other marker has a big-endian length (counting itself, >= 2) that must
 * stay inside len.  A second SOI, EOI, SOS or a stray byte before the
 * frame header fails.  The frame header must be 8 + 3 * Nf bytes with
 * Nf >= 1 and non-zero height and width (no DNL).  Returns 0 with out
 * filled, or -1.
 */
static int
image_jpeg(const uint8_t *p, size_t len, struct image_info *out)
{
	size_t		 i = 2, seg;
	uint32_t	 w, h, nf;
	uint8_t		 m;

	if (len < 2 || p[0] != 0xff || p[1] != 0xd8)
		return -1;
	for (;;) {
		if (i >= len || p[i] != 0xff)
			return -1;
		while (i < len && p[i] == 0xff)
			i++;
		if (i == len)
			return -1;
		m = p[i++];
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue;	/* TEM, RSTn: no length */
		if (m == 0x00 || m == 0xd8 || m == 0xd9 || m == 0xda)
			return -1;
		if (len - i < 2)
			return -1;
		seg = image_be16(p + i);
		if (seg < 2 || seg > len - i)
			return -1;
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (seg < 8)
				return -1;
			h = image_be16(p + i + 3);
			w = image_be16(p + i + 5);
			nf = p[i + 7];
			if (nf == 0 || seg != 8 + 3 * nf || h == 0 || w == 0)
				return -1;
			out->type = IMAGE_JPEG;
			out->width = w;
			out->height = h;
			return 0;
		}
		i += seg;
	}
}

/*
 * Finds the type and size of the image in the len bytes at p (p may be
 * NULL when len is 0) from its bytes alone.  Returns 0 with *out filled,
 * or -1 with out->type IMAGE_NONE and zero dimensions when the bytes are
 * not a PNG, GIF or JPEG header this code accepts.
 */
int
image_probe(const uint8_t *p, size_t len, struct image_info *out)
{
	int	 rc = -1;

	out->type = IMAGE_NONE;
	out->width = 0;
	out->height = 0;
	if (len >= 2) {
		if (p[0] == 0x89)
			rc = image_png(p, len, out);
		else if (p[0] == 'G')
			rc = image_gif(p, len, out);
		else if (p[0] == 0xff)
			rc = image_jpeg(p, len, out);
	}
	if (rc == -1) {
		out->type = IMAGE_NONE;
		out->width = 0;
		out->height = 0;
	}
	return rc;
}

/*
 * Returns the static mime type of t ("image/png", "image/jpeg",
 * "image/gif"), or NULL for IMAGE_NONE and unknown values.
 */
const char *
image_mime(enum image_type t)
{
	switch (t) {
	case IMAGE_PNG:
		return "image/png";
	case IMAGE_JPEG:
		return "image/jpeg";
	case IMAGE_GIF:
		return "image/gif";
	default:
		return NULL;
	}
}
