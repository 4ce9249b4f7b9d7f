/* SPDX-License-Identifier: GPL-2.0-only */
/* ncd_conf.h — tsn-netconfd's configuration file (docs/netconf.md). */
#ifndef TSN_NETCONF_NCD_CONF_H
#define TSN_NETCONF_NCD_CONF_H

#include <stddef.h>
#include <stdint.h>

#ifndef NCD_DEFAULT_YANG_DIR
#define NCD_DEFAULT_YANG_DIR "/usr/local/share/tsnd/yang"
#endif
#define NCD_MAX_USERS 64
#define NCD_MAX_KEYS 8
#define NCD_MAX_DIRS 4

enum ncd_role { NCD_ROLE_READ, NCD_ROLE_ADMIN };

struct ncd_user {
	char name[64];
	enum ncd_role role;
	char keys[NCD_MAX_KEYS][256];	/* public key files (OpenSSH format) */
	size_t n_keys;
};

struct ncd_conf {
	char address[64];
	uint16_t port;
	char host_key[256];
	char tsnd_socket[108];
	unsigned tsnd_timeout_ms;
	char yang_dir[256];
	char ietf_yang_dirs[NCD_MAX_DIRS][256];
	size_t n_ietf_yang_dirs;
	unsigned idle_timeout_s, hello_timeout_s, auth_timeout_s;
	unsigned max_sessions;
	struct ncd_user users[NCD_MAX_USERS];
	size_t n_users;
};

void ncd_conf_defaults(struct ncd_conf *conf);
/* Load `path`; -1 with "file:line:col: field: message" in err. */
int ncd_conf_load(const char *path, struct ncd_conf *conf, char *err, size_t errlen);
const struct ncd_user *ncd_conf_user(const struct ncd_conf *conf, const char *name);

#endif
