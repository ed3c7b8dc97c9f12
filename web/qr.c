/* Encodes text with libqrencode and draws the modules as one SVG path. */
#include <string.h>

#include <qrencode.h>

#include "buf.h"
#include "qr.h"

#define QR_QUIET	4	/* modules of white border, as the standard asks */

/*
 * Appends an SVG QR code of text (at most 256 bytes) to out, each module
 * module_px pixels wide.  Returns 0, or -1 (out unchanged) when text is
 * too long, encoding fails or out is full.
 */
int
qr_svg(struct buf *out, const char *text, int module_px)
{
	QRcode		*qr;
	size_t		 mark = out->len;
	int		 x, y, size, rc = 0;

	if (strlen(text) == 0 || strlen(text) > 256 || module_px < 1 ||
	    module_px > 16)
		return -1;
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) ==
	    NULL)
		return -1;
	size = qr->width + 2 * QR_QUIET;
	rc |= buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "class=\"qr\" role=\"img\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<title>QR code of the address</title>"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" "
	    "d=\"", size * module_px, size * module_px, size, size, size, size);
	for (y = 0; y < qr->width && rc == 0; y++)
		for (x = 0; x < qr->width && rc == 0; x++)
			if (qr->data[y * qr->width + x] & 1)
				rc |= buf_printf(out, "M%d %dh1v1h-1z",
				    x + QR_QUIET, y + QR_QUIET);
	rc |= buf_addstr(out, "\"/></svg>");
	QRcode_free(qr);
	if (rc != 0) {
		out->len = mark;
		if (out->data != NULL)
			out->data[mark] = '\0';
		return -1;
	}
	return 0;
}
