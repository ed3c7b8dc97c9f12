/*
 * QR codes as inline SVG (libqrencode does the encoding), for deposit
 * addresses on the account page.  The SVG is built by us from the module
 * matrix, so it holds nothing but rectangles.
 */
#ifndef ABC_QR_H
#define ABC_QR_H

struct buf;

int	qr_svg(struct buf *out, const char *text, int module_px);

#endif /* ABC_QR_H */
