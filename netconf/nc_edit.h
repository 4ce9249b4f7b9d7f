/* SPDX-License-Identifier: GPL-2.0-only */
/* nc_edit.h — <edit-config> (RFC 6241 7.2) on libyang data trees, and subtree
 * filters (RFC 6241 6) as XPath. */
#ifndef TSN_NETCONF_NC_EDIT_H
#define TSN_NETCONF_NC_EDIT_H

#include <libyang/libyang.h>
#include <libnetconf2/messages_server.h>

enum nce_op { NCE_MERGE, NCE_REPLACE, NCE_CREATE, NCE_DELETE, NCE_REMOVE, NCE_NONE };

struct nce_error {
	NC_ERR tag;		/* NC_ERR_DATA_EXISTS, NC_ERR_DATA_MISSING, NC_ERR_INVALID_VALUE, ... */
	char path[512];		/* the edit node's data path */
	char msg[256];
};

/* Apply the edit (top-level siblings parsed with their ietf-netconf:operation
 * metadata) to *target with `default_op` (merge, replace or none).  On failure
 * returns -1 with `err` filled; *target may then be half edited: callers work on
 * a copy. */
int nce_apply(struct lyd_node **target, const struct lyd_node *edit, enum nce_op default_op,
	      struct nce_error *err);

/* The name of an operation ("merge", ...) -> its value; -1 if none. */
int nce_op_from_name(const char *name);

/* A subtree filter (the anyxml's opaque or data nodes) -> XPath expressions
 * joined by " | " in a new string; NULL if the filter selects nothing or is not
 * understood (`why` says which). */
char *nce_subtree_to_xpath(const struct ly_ctx *ctx, const struct lyd_node *filter, char *why, size_t whylen);

#endif
