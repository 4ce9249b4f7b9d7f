/* reload.h — configuration transactions: load, check and apply a configuration
 * file all or nothing.
 *
 * The API is declared in tsnd.h next to the state it changes (tsnd_config_prepare,
 * tsnd_resolve_groups, tsnd_check_json, tsnd_reload, ...); this header only names
 * the list of top-level sections that a reload compares.
 */
#ifndef TSND_RELOAD_H
#define TSND_RELOAD_H

#include <stddef.h>

#include "tsnd.h"

/* The top-level configuration sections, in YAML order. */
const char *const *tsnd_config_sections(size_t *count);

#endif
