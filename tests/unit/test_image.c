/* CUnit suite for web/image.c: image type and size from the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "image.h"

/* A real 1x1 RGB PNG: signature, IHDR, IDAT, IEND (69 bytes). */
static const uint8_t png_1x1[] = {
	0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a,
	0x00, 0x00, 0x00, 0x0d, 'I', 'H', 'D', 'R',
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
	0xde, 0x00, 0x00, 0x00, 0x0c, 'I', 'D', 'A',
	'T', 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
	0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92,
	0xef, 0x00, 0x00, 0x00, 0x00, 'I', 'E', 'N',
	'D', 0xae, 0x42, 0x60, 0x82,
};
#define PNG_NEED	29	/* signature + IHDR length, type and data */

/* A real GIF89a, logical screen 300x250, one 1x1 image (35 bytes). */
static const uint8_t gif_300x250[] = {
	'G', 'I', 'F', '8', '9', 'a', 0x2c, 0x01,
	0xfa, 0x00, 0x80, 0x00, 0x00, 0xff, 0x00, 0x00,
	0x00, 0x00, 0xff, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44,
	0x01, 0x00, 0x3b,
};
#define GIF_NEED	13	/* header + logical screen descriptor */

/* SOI, APP0 (JFIF), SOF0 300x250 with 3 components, DHT, EOI. */
static const uint8_t jpeg_app0_sof0[] = {
	0xff, 0xd8,
	0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00,
	0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0xfa, 0x01, 0x2c, 0x03,
	0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
	0xff, 0xc4, 0x00, 0x05, 0x00, 0x00, 0x00,
	0xff, 0xd9,
};
#define JPEG_APP0_NEED	39	/* through the end of SOF0 */

/*
 * SOI, fill bytes, a DHT whose bytes would read as 7000x9000 if it were
 * taken for a frame header, TEM and RST3 standalone markers, more fill,
 * then SOF2 (progressive) 300x250 with one component.
 */
static const uint8_t jpeg_fill_dht_sof2[] = {
	0xff, 0xd8,
	0xff, 0xff, 0xff, 0xc4, 0x00, 0x0b, 0x08, 0x23, 0x28, 0x1b, 0x58,
	0x01, 0x00, 0x00, 0x00,
	0xff, 0x01, 0xff, 0xd3,
	0xff, 0xff, 0xc2, 0x00, 0x0b, 0x08, 0x00, 0xfa, 0x01, 0x2c, 0x01,
	0x01, 0x11, 0x00,
	0xff, 0xd9,
};
#define JPEG_SOF2_NEED	35

/* Returns a heap copy of the first n bytes of p, for ASan to bound. */
static uint8_t *
dup_n(const uint8_t *p, size_t n)
{
	uint8_t	*d;

	d = malloc(n == 0 ? 1 : n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	if (n > 0)
		memcpy(d, p, n);
	return d;
}

/* Probes a heap copy of the first n bytes of p; returns image_probe(). */
static int
probe_n(const uint8_t *p, size_t n, struct image_info *ii)
{
	uint8_t	*d;
	int	 rc;

	d = dup_n(p, n);
	ii->type = IMAGE_PNG;
	ii->width = 77;
	ii->height = 77;
	rc = image_probe(d, n, ii);
	free(d);
	return rc;
}

/* Probes the n bytes at p, which must fail and leave ii cleared. */
static void
expect_bad(const uint8_t *p, size_t n)
{
	struct image_info	 ii;

	CU_ASSERT_EQUAL(probe_n(p, n, &ii), -1);
	CU_ASSERT_EQUAL(ii.type, IMAGE_NONE);
	CU_ASSERT_EQUAL(ii.width, 0);
	CU_ASSERT_EQUAL(ii.height, 0);
}

/* Probes the n bytes at p, which must give type t of w x h. */
static void
expect_good(const uint8_t *p, size_t n, enum image_type t, uint32_t w,
    uint32_t h)
{
	struct image_info	 ii;

	CU_ASSERT_EQUAL(probe_n(p, n, &ii), 0);
	CU_ASSERT_EQUAL(ii.type, t);
	CU_ASSERT_EQUAL(ii.width, w);
	CU_ASSERT_EQUAL(ii.height, h);
}

/*
 * Every prefix of the n bytes at p shorter than need fails; every longer
 * one (the whole included) gives type t of w x h.
 */
static void
expect_prefixes(const uint8_t *p, size_t n, size_t need, enum image_type t,
    uint32_t w, uint32_t h)
{
	size_t	 k;

	for (k = 0; k <= n; k++) {
		if (k < need)
			expect_bad(p, k);
		else
			expect_good(p, k, t, w, h);
	}
}

static void
test_image_png(void)
{
	expect_good(png_1x1, sizeof(png_1x1), IMAGE_PNG, 1, 1);
	expect_prefixes(png_1x1, sizeof(png_1x1), PNG_NEED, IMAGE_PNG, 1, 1);
}

static void
test_image_png_dimensions(void)
{
	uint8_t	 p[sizeof(png_1x1)];

	/* 100000 x 2 is the largest width allowed, 100001 is not. */
	memcpy(p, png_1x1, sizeof(p));
	p[17] = 0x01; p[18] = 0x86; p[19] = 0xa0;	/* 100000 */
	p[23] = 2;
	expect_good(p, sizeof(p), IMAGE_PNG, 100000, 2);
	p[19] = 0xa1;
	expect_bad(p, sizeof(p));
	memcpy(p, png_1x1, sizeof(p));
	p[21] = 0x01; p[22] = 0x86; p[23] = 0xa0;
	expect_good(p, sizeof(p), IMAGE_PNG, 1, 100000);
	p[23] = 0xa1;
	expect_bad(p, sizeof(p));
	/* High bit set: would be negative in a signed reader. */
	memcpy(p, png_1x1, sizeof(p));
	p[16] = 0x80;
	expect_bad(p, sizeof(p));
	/* Zero width, zero height. */
	memcpy(p, png_1x1, sizeof(p));
	p[19] = 0;
	expect_bad(p, sizeof(p));
	memcpy(p, png_1x1, sizeof(p));
	p[23] = 0;
	expect_bad(p, sizeof(p));
}

static void
test_image_png_bad_header(void)
{
	uint8_t	 p[sizeof(png_1x1)];
	size_t	 i;

	/* Every byte of the signature matters. */
	for (i = 0; i < 8; i++) {
		memcpy(p, png_1x1, sizeof(p));
		p[i] ^= 0x20;
		expect_bad(p, sizeof(p));
	}
	/* IHDR length 12 and 14, a length with high bytes, another type. */
	memcpy(p, png_1x1, sizeof(p));
	p[11] = 12;
	expect_bad(p, sizeof(p));
	p[11] = 14;
	expect_bad(p, sizeof(p));
	p[11] = 13;
	p[8] = 1;
	expect_bad(p, sizeof(p));
	memcpy(p, png_1x1, sizeof(p));
	memcpy(p + 12, "IDAT", 4);
	expect_bad(p, sizeof(p));
	memcpy(p, png_1x1, sizeof(p));
	memcpy(p + 12, "ihdr", 4);
	expect_bad(p, sizeof(p));
	/* Bit depth 3, RGB at depth 4, colour type 5, compression 1. */
	memcpy(p, png_1x1, sizeof(p));
	p[24] = 3;
	expect_bad(p, sizeof(p));
	p[24] = 4;
	expect_bad(p, sizeof(p));
	p[24] = 16;
	expect_good(p, sizeof(p), IMAGE_PNG, 1, 1);
	memcpy(p, png_1x1, sizeof(p));
	p[25] = 5;
	expect_bad(p, sizeof(p));
	memcpy(p, png_1x1, sizeof(p));
	p[26] = 1;
	expect_bad(p, sizeof(p));
	memcpy(p, png_1x1, sizeof(p));
	p[27] = 1;
	expect_bad(p, sizeof(p));
	memcpy(p, png_1x1, sizeof(p));
	p[28] = 1;			/* Adam7 interlace is fine */
	expect_good(p, sizeof(p), IMAGE_PNG, 1, 1);
	p[28] = 2;
	expect_bad(p, sizeof(p));
}

static void
test_image_gif(void)
{
	uint8_t	 p[sizeof(gif_300x250)];

	expect_good(gif_300x250, sizeof(gif_300x250), IMAGE_GIF, 300, 250);
	expect_prefixes(gif_300x250, sizeof(gif_300x250), GIF_NEED,
	    IMAGE_GIF, 300, 250);
	memcpy(p, gif_300x250, sizeof(p));
	p[4] = '7';
	expect_good(p, sizeof(p), IMAGE_GIF, 300, 250);
	p[6] = 0xff;
	p[7] = 0xff;
	expect_good(p, sizeof(p), IMAGE_GIF, 65535, 250);
	/* GIF88a, gif89a, zero width, zero height. */
	memcpy(p, gif_300x250, sizeof(p));
	p[4] = '8';
	expect_bad(p, sizeof(p));
	memcpy(p, gif_300x250, sizeof(p));
	p[0] = 'g';
	expect_bad(p, sizeof(p));
	memcpy(p, gif_300x250, sizeof(p));
	p[6] = 0;
	p[7] = 0;
	expect_bad(p, sizeof(p));
	memcpy(p, gif_300x250, sizeof(p));
	p[8] = 0;
	expect_bad(p, sizeof(p));
}

static void
test_image_jpeg(void)
{
	expect_good(jpeg_app0_sof0, sizeof(jpeg_app0_sof0), IMAGE_JPEG,
	    300, 250);
	expect_prefixes(jpeg_app0_sof0, sizeof(jpeg_app0_sof0),
	    JPEG_APP0_NEED, IMAGE_JPEG, 300, 250);
	expect_good(jpeg_fill_dht_sof2, sizeof(jpeg_fill_dht_sof2),
	    IMAGE_JPEG, 300, 250);
	expect_prefixes(jpeg_fill_dht_sof2, sizeof(jpeg_fill_dht_sof2),
	    JPEG_SOF2_NEED, IMAGE_JPEG, 300, 250);
}

static void
test_image_jpeg_markers(void)
{
	/* Every SOFn but C4, C8 and CC is a frame header. */
	static const uint8_t skip[] = { 0xc4, 0xc8, 0xcc };
	uint8_t		 p[sizeof(jpeg_fill_dht_sof2)];
	unsigned int	 m;
	size_t		 i;

	for (m = 0xc0; m <= 0xcf; m++) {
		memcpy(p, jpeg_fill_dht_sof2, sizeof(p));
		p[5] = (uint8_t)m;
		if (memchr(skip, (int)m, sizeof(skip)) != NULL)
			expect_good(p, sizeof(p), IMAGE_JPEG, 300, 250);
		else
			expect_good(p, sizeof(p), IMAGE_JPEG, 0x1b58, 0x2328);
	}
	/* RSTn and TEM stand alone; other markers take a length. */
	for (m = 0xd0; m <= 0xd7; m++) {
		memcpy(p, jpeg_fill_dht_sof2, sizeof(p));
		p[20] = (uint8_t)m;
		expect_good(p, sizeof(p), IMAGE_JPEG, 300, 250);
	}
	memcpy(p, jpeg_fill_dht_sof2, sizeof(p));
	p[18] = 0xe1;		/* "FF E1 FF D3" has length 0xFFD3 */
	expect_bad(p, sizeof(p));
	/* SOI again, EOI, SOS or a stuffed zero before the frame header. */
	for (i = 0; i < 4; i++) {
		memcpy(p, jpeg_fill_dht_sof2, sizeof(p));
		p[20] = (const uint8_t[]){ 0xd8, 0xd9, 0xda, 0x00 }[i];
		expect_bad(p, sizeof(p));
	}
	/* A well-formed SOS segment before the frame header. */
	expect_bad((const uint8_t *)"\xff\xd8\xff\xda\x00\x08\x01\x01\x00"
	    "\x00\x3f\x00\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01"
	    "\x11\x00", 25);
	/* A stray byte where a marker should be. */
	memcpy(p, jpeg_fill_dht_sof2, sizeof(p));
	p[17] = 0xfe;
	expect_bad(p, sizeof(p));
	/* Only SOI, then only fill bytes. */
	expect_bad((const uint8_t *)"\xff\xd8", 2);
	expect_bad((const uint8_t *)"\xff\xd8\xff\xff\xff\xff", 6);
}

static void
test_image_jpeg_bad_lengths(void)
{
	uint8_t	 p[sizeof(jpeg_app0_sof0)];

	/* APP0 length past the end, and one byte short of it. */
	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[4] = 0x10;
	expect_bad(p, sizeof(p));
	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[5] = (uint8_t)(sizeof(p) - 4 + 1);
	expect_bad(p, sizeof(p));
	/* Segment lengths 0 and 1 cannot count themselves. */
	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[5] = 0;
	expect_bad(p, sizeof(p));
	p[5] = 1;
	expect_bad(p, sizeof(p));
	/* SOF shorter than 8, or not 8 + 3 * Nf, or Nf 0. */
	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[23] = 7;
	expect_bad(p, sizeof(p));
	p[23] = 0x10;
	expect_bad(p, sizeof(p));
	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[23] = 8;
	p[29] = 0;
	expect_bad(p, sizeof(p));
	/* A short SOF at the very end: its Nf byte is past the end. */
	expect_bad((const uint8_t *)"\xff\xd8\xff\xc0\x00\x07\x08\x00\x01"
	    "\x00\x01", 11);
	/* SOF length running past the end by one byte. */
	expect_bad(jpeg_app0_sof0, JPEG_APP0_NEED - 1);
}

static void
test_image_jpeg_zero_dims(void)
{
	uint8_t	 p[sizeof(jpeg_app0_sof0)];

	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[25] = 0;
	p[26] = 0;		/* height 0: defined later by DNL */
	expect_bad(p, sizeof(p));
	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[27] = 0;
	p[28] = 0;
	expect_bad(p, sizeof(p));
	memcpy(p, jpeg_app0_sof0, sizeof(p));
	p[25] = 0xff;
	p[26] = 0xff;
	p[27] = 0xff;
	p[28] = 0xff;
	expect_good(p, sizeof(p), IMAGE_JPEG, 65535, 65535);
}

static void
test_image_wrong_magic(void)
{
	static const char *const bad[] = {
		"", "G", "GI", "GIF", "GIF89", "\x89PNG", "\xff", "\xff\xd9",
		"hello, world", "<svg xmlns='http://www.w3.org/2000/svg'/>",
		"BM\x36\x00\x00\x00", "RIFF\x10\x00\x00\x00WEBPVP8 ",
	};
	struct image_info	 ii;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad((const uint8_t *)bad[i], strlen(bad[i]));
	CU_ASSERT_EQUAL(image_probe(NULL, 0, &ii), -1);
	CU_ASSERT_EQUAL(ii.type, IMAGE_NONE);
	/* The GIF header at offset 1 is not a GIF. */
	expect_bad((const uint8_t *)" GIF89a\x01\x00\x01\x00\x00\x00\x00", 14);
}

static void
test_image_mime(void)
{
	CU_ASSERT_STRING_EQUAL(image_mime(IMAGE_PNG), "image/png");
	CU_ASSERT_STRING_EQUAL(image_mime(IMAGE_JPEG), "image/jpeg");
	CU_ASSERT_STRING_EQUAL(image_mime(IMAGE_GIF), "image/gif");
	CU_ASSERT_PTR_NULL(image_mime(IMAGE_NONE));
	CU_ASSERT_PTR_NULL(image_mime((enum image_type)99));
}

static CU_TestInfo tests[] = {
	{ "test_image_png", test_image_png },
	{ "test_image_png_dimensions", test_image_png_dimensions },
	{ "test_image_png_bad_header", test_image_png_bad_header },
	{ "test_image_gif", test_image_gif },
	{ "test_image_jpeg", test_image_jpeg },
	{ "test_image_jpeg_markers", test_image_jpeg_markers },
	{ "test_image_jpeg_bad_lengths", test_image_jpeg_bad_lengths },
	{ "test_image_jpeg_zero_dims", test_image_jpeg_zero_dims },
	{ "test_image_wrong_magic", test_image_wrong_magic },
	{ "test_image_mime", test_image_mime },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "image", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
