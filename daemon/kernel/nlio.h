/* SPDX-License-Identifier: GPL-2.0-only */
/* nlio.h — tsnd's one way to talk route netlink.
 *
 * Every request, ack, extended-ack text and dump of tsnd goes through here:
 * a libnl socket (libnl builds and parses the messages; this module sends them,
 * matches answers by sequence number and reads the kernel's NLMSG_ERROR and
 * NLMSG_DONE itself, because libnl does not surface the extended ack), libnl's
 * NLE_* codes turned into errno values in one table, a snapshot of the
 * qdiscs that every reader of one request shares, and the listeners of
 * rtnetlink notifications (fibwatch, the schedules' drift watch).
 */
#ifndef TSND_NLIO_H
#define TSND_NLIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_msg;
struct nlmsghdr;
struct nlio;

/* A route netlink socket with NETLINK_EXT_ACK and NETLINK_CAP_ACK on, and
 * 32 KiB receive buffers (the largest message a dump sends).  NULL with a reason
 * in err. */
struct nlio *nlio_open(char *err, size_t errlen);
void nlio_close(struct nlio *t);
/* The socket's netlink port id: the kernel's notifications of changes this
 * socket requested carry it as their nlmsg_pid. */
uint32_t nlio_port(const struct nlio *t);

/* libnl's NLE_* code (either sign) as a negative errno. */
int nlio_errno(int nle);

/* A traffic-control request (RTM_NEWQDISC, RTM_DELQDISC, ...) with its tcmsg
 * header filled in, for the caller to add attributes to; size 0 takes libnl's
 * default buffer.  NULL if out of memory. */
struct nl_msg *nlio_tc_msg(int type, int flags, size_t size, int ifindex, uint32_t handle, uint32_t parent);

/* The kernel's answer to a request: an NLMSG_ERROR message (error 0 is the ack).
 * *error gets the (negative errno or 0) code; msg the extended-ack text
 * (NLMSGERR_ATTR_MSG) verbatim, or "" if there is none.  Works with and without
 * NETLINK_CAP_ACK (the request echoed or not).  0, or -EINVAL if nlh is not a
 * well-formed NLMSG_ERROR. */
int nlio_ack_parse(const struct nlmsghdr *nlh, int *error, char *msg, size_t msglen);

/* Send msg (not consumed; NLM_F_REQUEST and NLM_F_ACK are added) and wait for
 * the kernel's ack.  0 or a negative errno; ext gets the kernel's extended-ack
 * message ("" if none; on success it may hold a warning). */
int nlio_request(struct nlio *t, struct nl_msg *msg, char *ext, size_t extlen);

/* Called for each answer message; a non-zero return stops and is returned. */
typedef int (*nlio_msg_fn)(const struct nlmsghdr *nlh, void *arg);

/* A request answered by one message (RTM_GETLINK by name, ...): msg is sent
 * without NLM_F_ACK, fn gets the answer.  fn's value, or a negative errno (the
 * kernel's refusal, with its text in ext). */
int nlio_get(struct nlio *t, struct nl_msg *msg, nlio_msg_fn fn, void *arg, char *ext, size_t extlen);

/* Dump: an NLM_F_DUMP request of `type` whose family header is `hdr` (hdrlen
 * bytes: a struct tcmsg, rtmsg, ...).  Every answer of `reply_type` is kept
 * and, once the dump is complete, handed to fn in order.  A dump the kernel
 * marks inconsistent (NLM_F_DUMP_INTR) is retried.  0, fn's non-zero value, or
 * a negative errno with the kernel's message in ext. */
int nlio_dump(struct nlio *t, int type, const void *hdr, size_t hdrlen, int reply_type, nlio_msg_fn fn,
	      void *arg, char *ext, size_t extlen);

/* Dumps of `type` (RTM_GETQDISC, ...) this process has started: for tests that
 * count the kernel work of one request. */
unsigned long nlio_dump_count(int type);

/* ---- one qdisc snapshot per request ---- */

/* Every qdisc of the namespace from one dump, kept as the kernel sent them. */
struct nlio_qdiscs {
	unsigned char **msgs;	/* RTM_NEWQDISC messages */
	size_t n, cap;
	bool shared;		/* the scope's snapshot: not ours to free */
};

/* Take a snapshot (one dump).  0, or a negative errno with the kernel's text in
 * ext; *q is empty then.  Free it with nlio_qdiscs_free.  Inside a scope (below)
 * every take answers from the scope's one dump. */
int nlio_qdiscs_take(struct nlio *t, struct nlio_qdiscs *q, char *ext, size_t extlen);
void nlio_qdiscs_free(struct nlio_qdiscs *q);
static inline const struct nlmsghdr *nlio_qdiscs_at(const struct nlio_qdiscs *q, size_t i)
{
	return (const struct nlmsghdr *)q->msgs[i];
}
/* The root qdisc of ifindex in the snapshot, NULL if it lists none (a device
 * that is down has only the built-in noop qdisc, which is not dumped). */
const struct nlmsghdr *nlio_qdiscs_root(const struct nlio_qdiscs *q, int ifindex);

/* A read-only request's scope: between nlio_scope_begin() and the matching
 * nlio_scope_end(), the first nlio_qdiscs_take() dumps and every later one (from
 * any module, any nlio socket) shares that dump, so a port listing, a status or
 * a metrics scrape asks the kernel once however many ports and readers it has.
 * Scopes nest; the outermost end drops the snapshot.  Only for requests that
 * change no qdisc (a change inside would be read stale), in one network
 * namespace (tsnd's sockets all live in one). */
void nlio_scope_begin(void);
void nlio_scope_end(void);

/* ---- notifications ---- */

struct nlio_mon;

/* A non-blocking route netlink socket subscribed to the RTNLGRP_* groups, with
 * a 1 MiB receive buffer (an overrun only costs the caller a full look).  NULL
 * with a reason in err. */
struct nlio_mon *nlio_mon_open(const unsigned *groups, size_t n_groups, char *err, size_t errlen);
void nlio_mon_close(struct nlio_mon *m);
/* For the event loop. */
int nlio_mon_fd(const struct nlio_mon *m);
/* Read what is queued, at most 256 reads (the event loop calls again while
 * more is there): fn (may be NULL) gets every message.  Returns the number of
 * messages read; *lost is set when the kernel dropped notifications (ENOBUFS)
 * or one could not be read whole. */
size_t nlio_mon_drain(struct nlio_mon *m, nlio_msg_fn fn, void *arg, bool *lost);

#endif
