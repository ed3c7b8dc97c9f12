/* fuzz-sources: common/image.c */
/*
 * libFuzzer target for the image header probe.  The whole input is one
 * file.  Rejections are expected outcomes; a success must name a known
 * type with a mime type and non-zero dimensions within its format's
 * bounds, and a failure must leave the result cleared, else it aborts.
 * Seeds: tests/fuzz/corpus/image/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "image.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_info	 ii;
	uint32_t		 max;

	if (image_probe(data, size, &ii) == -1) {
		if (ii.type != IMAGE_NONE || ii.width != 0 || ii.height != 0)
			abort();
		return 0;
	}
	if (image_mime(ii.type) == NULL)
		abort();
	max = ii.type == IMAGE_PNG ? IMAGE_MAX_DIM : 65535;
	if (ii.width == 0 || ii.height == 0 || ii.width > max ||
	    ii.height > max)
		abort();
	return 0;
}
