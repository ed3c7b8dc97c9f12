/*
 * Image type and dimensions from the bytes alone (SPEC 4.3: ads are PNG,
 * JPEG or GIF and their size is read from the file).  Never consults a
 * file name or a client's Content-Type.  Only headers are read: PNG
 * signature and IHDR, GIF header and logical screen descriptor, JPEG
 * markers up to the first frame header.  Nothing is decoded, so a file
 * that passes may still be broken further on; serving it with the mime
 * type from image_mime() and "X-Content-Type-Options: nosniff" is safe.
 *
 * Memory: nothing is allocated.  The caller owns the bytes and the struct
 * image_info; image_mime() returns static strings.
 */
#ifndef ABC_IMAGE_H
#define ABC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_DIM	100000u		/* PNG width and height bound */

enum image_type {
	IMAGE_NONE = 0,
	IMAGE_PNG,
	IMAGE_JPEG,
	IMAGE_GIF
};

struct image_info {
	enum image_type	 type;
	uint32_t	 width;		/* pixels, >= 1 after success */
	uint32_t	 height;	/* pixels, >= 1 after success */
};

int		 image_probe(const uint8_t *p, size_t len,
		    struct image_info *out);
const char	*image_mime(enum image_type t);

#endif /* ABC_IMAGE_H */
