/* GET /: the list of campaigns (empty until campaigns exist, issue 6). */
#include "http.h"
#include "route.h"
#include "template.h"

void
page_home(struct http_req *r)
{
	struct tpl_val	*data;

	data = tpl_obj_new();
	tpl_set_str(data, "title", "Campaigns");
	tpl_set_bool(data, "has_campaigns", 0);
	(void)tpl_set_list(data, "campaigns");
	(void)http_render(r, 200, "home", data);
	tpl_val_free(data);
}
