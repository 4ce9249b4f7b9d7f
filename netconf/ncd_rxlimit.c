/* SPDX-License-Identifier: GPL-2.0-only */
/* ncd_rxlimit.c — refuse an over-large NETCONF message while it arrives.
 *
 * libnetconf2 2.0 reads a whole message (allocating what a chunk header announces)
 * before it parses anything, and offers no size limit.  A 50 MB <edit-config> took
 * minutes and hundreds of MB.  Every byte it reads comes through libssh's
 * ssh_channel_read(), which this file interposes (the executable's definition wins
 * over libssh's for libnetconf2's calls): it counts the bytes of the message in
 * progress on each channel, from the end of the previous one (RFC 6242's "\n##\n" or
 * the 1.0 "]]>]]>").  Past NCD_MAX_MSG it answers the message with an <rpc-error>
 * `too-big` (RFC 6241 appendix A), in the framing the client uses, and fails the
 * read: libnetconf2 ends the session, the poll thread frees it. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "ncd_rxlimit.h"

#define MAX_CHANNELS 1024	/* beyond: not counted (max-sessions is far lower) */

/* where a channel's byte stream is: RFC 6242 chunked framing, or 1.0's end marker */
enum rx_state { RX_START, RX_HASH, RX_FIRST, RX_LEN, RX_DATA, RX_LF, RX_ENDLF, RX_EOM };

struct rx {
	ssh_channel ch;
	enum rx_state st;
	uint64_t n;		/* bytes of the message in progress */
	uint64_t left;		/* chunk data still to come (RX_DATA) */
	unsigned eom;		/* bytes of "]]>]]>" matched (RX_EOM) */
	char head[256];		/* the message's first bytes: framing and message-id */
	unsigned head_len;
};

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rx rx_tab[MAX_CHANNELS];
static uint64_t max_msg = NCD_MAX_MSG;

void ncd_rxlimit_set(uint64_t bytes)
{
	max_msg = bytes;
}

static struct rx *rx_find(ssh_channel ch, bool add)
{
	struct rx *free_slot = NULL;
	for (unsigned i = 0; i < MAX_CHANNELS; i++) {
		if (rx_tab[i].ch == ch)
			return &rx_tab[i];
		if (!rx_tab[i].ch && !free_slot)
			free_slot = &rx_tab[i];
	}
	if (add && free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->ch = ch;
	}
	return add ? free_slot : NULL;
}

/* Follows buf[0..len) through the framing; true when the message in progress is over
 * the limit.  Chunk data is skipped whole, so a large chunk costs no per-byte work. */
static bool rx_count(struct rx *r, const char *buf, size_t len)
{
	static const char eom[] = "]]>]]>";
	for (size_t i = 0; i < len;) {
		if (r->st == RX_DATA) {
			uint64_t k = len - i < r->left ? len - i : r->left;
			if (r->head_len < sizeof(r->head) - 1) {
				size_t h = sizeof(r->head) - 1 - r->head_len;
				h = h < k ? h : (size_t)k;
				memcpy(r->head + r->head_len, buf + i, h);
				r->head_len += (unsigned)h;
			}
			r->left -= k;
			r->n += k;
			i += (size_t)k;
			if (!r->left)
				r->st = RX_LF;
			if (r->n > max_msg)
				return true;
			continue;
		}
		char c = buf[i++];
		if (r->st == RX_START) {
			r->n = 0;
			r->head_len = 0;
		}
		r->n++;
		if (r->head_len < sizeof(r->head) - 1)
			r->head[r->head_len++] = c;
		switch (r->st) {
		case RX_START:
		case RX_LF:
			r->st = c == '\n' ? RX_HASH : RX_EOM;
			break;
		case RX_HASH:
			r->st = c == '#' ? RX_FIRST : RX_EOM;
			break;
		case RX_FIRST:
			if (c == '#') {
				r->st = RX_ENDLF;
			} else if (c >= '1' && c <= '9') {
				r->left = (uint64_t)(c - '0');
				r->st = RX_LEN;
			} else {
				r->st = RX_EOM;
			}
			break;
		case RX_LEN:
			if (c >= '0' && c <= '9' && r->left < (UINT64_C(1) << 40))
				r->left = r->left * 10 + (uint64_t)(c - '0');
			else
				r->st = c == '\n' ? RX_DATA : RX_EOM;
			break;
		case RX_ENDLF:
			r->st = c == '\n' ? RX_START : RX_EOM;
			break;
		case RX_EOM:	/* 1.0 framing (the <hello>), or bytes libnetconf2 will refuse */
			r->eom = c == eom[r->eom] ? r->eom + 1 : c == eom[0];
			if (r->eom == sizeof(eom) - 1) {
				r->eom = 0;
				r->st = RX_START;
			}
			break;
		case RX_DATA:
			break;
		}
		if (r->n > max_msg)
			return true;
	}
	r->head[r->head_len] = '\0';
	return false;
}

/* The <rpc-error> for the refused message, framed as the client frames. */
static void rx_refuse(ssh_channel ch, const struct rx *r, int (*wr)(ssh_channel, const void *, uint32_t))
{
	char head[sizeof(r->head)];
	memcpy(head, r->head, r->head_len);
	head[r->head_len] = '\0';
	char id[64] = "";
	const char *m = strstr(head, "message-id=");
	if (m && (m[11] == '"' || m[11] == '\'')) {
		const char *v = m + 12;
		size_t n = 0;
		while (v[n] && v[n] != m[11] && n < 40 && (strchr("._:-", v[n]) || (v[n] >= '0' && v[n] <= '9') ||
							    (v[n] >= 'a' && v[n] <= 'z') || (v[n] >= 'A' && v[n] <= 'Z')))
			n++;
		if (v[n] == m[11])
			snprintf(id, sizeof(id), " message-id=\"%.*s\"", (int)n, v);
	}
	char xml[768];
	int xl = snprintf(xml, sizeof(xml),
			  "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"%s><rpc-error>"
			  "<error-type>rpc</error-type><error-tag>too-big</error-tag><error-severity>error</error-severity>"
			  "<error-message xml:lang=\"en\">the message is over %llu bytes (max-message-size); the session is "
			  "closed</error-message></rpc-error></rpc-reply>",
			  id, (unsigned long long)max_msg);
	char out[900];
	int ol = strncmp(head, "\n#", 2) ? snprintf(out, sizeof(out), "%s]]>]]>", xml)
					      : snprintf(out, sizeof(out), "\n#%d\n%s\n##\n", xl, xml);
	if (ol > 0 && ol < (int)sizeof(out))
		wr(ch, out, (uint32_t)ol);
}

int ssh_channel_read(ssh_channel channel, void *dest, uint32_t count, int is_stderr)
{
	static int (*real)(ssh_channel, void *, uint32_t, int);
	static int (*real_write)(ssh_channel, const void *, uint32_t);
	if (!real) {
		real_write = (int (*)(ssh_channel, const void *, uint32_t))dlsym(RTLD_NEXT, "ssh_channel_write");
		real = (int (*)(ssh_channel, void *, uint32_t, int))dlsym(RTLD_NEXT, "ssh_channel_read");
		if (!real)
			return SSH_ERROR;
	}
	int n = real(channel, dest, count, is_stderr);
	if (n <= 0 || is_stderr || !max_msg)
		return n;
	pthread_mutex_lock(&rx_lock);
	struct rx *r = rx_find(channel, true);
	bool over = r && rx_count(r, dest, (size_t)n);
	struct rx copy;
	if (over) {
		copy = *r;
		r->ch = NULL;
	}
	pthread_mutex_unlock(&rx_lock);
	if (!over)
		return n;
	if (real_write)
		rx_refuse(channel, &copy, real_write);
	return SSH_ERROR;
}

void ssh_channel_free(ssh_channel channel)
{
	static void (*real)(ssh_channel);
	if (!real)
		real = (void (*)(ssh_channel))dlsym(RTLD_NEXT, "ssh_channel_free");
	pthread_mutex_lock(&rx_lock);
	struct rx *r = rx_find(channel, false);
	if (r)
		r->ch = NULL;
	pthread_mutex_unlock(&rx_lock);
	if (real)
		real(channel);
}
