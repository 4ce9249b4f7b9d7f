/* SPDX-License-Identifier: GPL-2.0-only */
/* evloop.c — epoll loop with timerfd timers and a signalfd. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

enum ev_kind { EV_KIND_IO, EV_KIND_TIMER, EV_KIND_SIGNALS };

/* Every registration starts with this record; timers and signal sets embed it. */
struct ev_io {
	struct evloop *loop;
	enum ev_kind kind;
	int fd;
	uint32_t events;
	bool dead;		/* removed; freed after the current batch */
	ev_io_fn fn;
	void *arg;
	struct ev_io *prev, *next;	/* on loop->live or loop->dead */
};

struct ev_timer {
	struct ev_io io;
	ev_timer_fn fn;
	void *arg;
	uint64_t when_ns;	/* 0: disarmed */
};

struct ev_signals {
	struct ev_io io;
	ev_signal_fn fn;
	void *arg;
	sigset_t set;
};

struct evloop {
	int epfd;
	bool stop;
	struct ev_io *live;
	struct ev_io *dead;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

uint64_t evloop_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct evloop *evloop_new(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

static void list_unlink(struct ev_io **head, struct ev_io *io)
{
	if (io->prev)
		io->prev->next = io->next;
	else
		*head = io->next;
	if (io->next)
		io->next->prev = io->prev;
	io->prev = io->next = NULL;
}

static void list_push(struct ev_io **head, struct ev_io *io)
{
	io->prev = NULL;
	io->next = *head;
	if (*head)
		(*head)->prev = io;
	*head = io;
}

/* Release what a registration owns beyond its fd registration. */
static void io_destroy(struct ev_io *io)
{
	if (io->kind == EV_KIND_TIMER) {
		close(io->fd);
		free(container_of(io, struct ev_timer, io));
	} else if (io->kind == EV_KIND_SIGNALS) {
		struct ev_signals *s = container_of(io, struct ev_signals, io);
		close(io->fd);
		free(s);
	} else {
		free(io);
	}
}

static void free_dead(struct evloop *loop)
{
	while (loop->dead) {
		struct ev_io *io = loop->dead;
		list_unlink(&loop->dead, io);
		io_destroy(io);
	}
}

void evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	free_dead(loop);
	while (loop->live) {
		struct ev_io *io = loop->live;
		list_unlink(&loop->live, io);
		io_destroy(io);
	}
	close(loop->epfd);
	free(loop);
}

void evloop_stop(struct evloop *loop)
{
	loop->stop = true;
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event evs[32];

	loop->stop = false;
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			struct ev_io *io = evs[i].data.ptr;
			if (!io->dead)
				io->fn(loop, io->fd, evs[i].events, io->arg);
		}
		free_dead(loop);
	}
	return 0;
}

/* Register a record whose kind-specific fields the caller has filled in. */
static int io_register(struct evloop *loop, struct ev_io *io, int fd, uint32_t events,
		       ev_io_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->loop = loop;
	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->arg = arg;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	list_push(&loop->live, io);
	return 0;
}

/* Stop watching now; free after the batch in flight (its events may still name io). */
static void io_unregister(struct ev_io *io)
{
	struct evloop *loop = io->loop;

	if (io->dead)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->dead = true;
	list_unlink(&loop->live, io);
	list_push(&loop->dead, io);
}

struct ev_io *evloop_io_add(struct evloop *loop, int fd, uint32_t events, ev_io_fn fn, void *arg)
{
	struct ev_io *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->kind = EV_KIND_IO;
	if (io_register(loop, io, fd, events, fn, arg) < 0) {
		int saved = errno;
		free(io);
		errno = saved;
		return NULL;
	}
	return io;
}

int evloop_io_mod(struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (io->events == events)
		return 0;
	if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -1;
	io->events = events;
	return 0;
}

uint32_t evloop_io_events(const struct ev_io *io)
{
	return io->events;
}

void evloop_io_del(struct ev_io *io)
{
	if (io)
		io_unregister(io);
}

/* ---- timers ---- */

static void timer_ready(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ev_timer *t = arg;
	uint64_t expirations;

	(void)events;
	/* A re-arm between expiry and this read leaves nothing to read: not a tick. */
	if (read(fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations))
		return;
	t->when_ns = 0;
	t->fn(loop, t->arg);
}

struct ev_timer *evloop_timer_new(struct evloop *loop, ev_timer_fn fn, void *arg)
{
	struct ev_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->io.kind = EV_KIND_TIMER;
	t->fn = fn;
	t->arg = arg;
	if (io_register(loop, &t->io, fd, EPOLLIN, timer_ready, t) < 0) {
		int saved = errno;
		close(fd);
		free(t);
		errno = saved;
		return NULL;
	}
	return t;
}

int evloop_timer_arm_at(struct ev_timer *t, uint64_t when_ns)
{
	struct itimerspec its = { 0 };

	if (when_ns == 0)
		when_ns = 1;	/* an all-zero it_value would disarm */
	its.it_value.tv_sec = (time_t)(when_ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(when_ns % 1000000000ull);
	if (timerfd_settime(t->io.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -1;
	t->when_ns = when_ns;
	return 0;
}

int evloop_timer_disarm(struct ev_timer *t)
{
	struct itimerspec its = { 0 };

	t->when_ns = 0;
	return timerfd_settime(t->io.fd, 0, &its, NULL);
}

bool evloop_timer_armed(const struct ev_timer *t)
{
	return t->when_ns != 0;
}

uint64_t evloop_timer_when(const struct ev_timer *t)
{
	return t->when_ns;
}

void evloop_timer_free(struct ev_timer *t)
{
	if (t)
		io_unregister(&t->io);
}

/* ---- signals ---- */

static void signals_ready(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ev_signals *s = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		s->fn(loop, (int)si.ssi_signo, s->arg);
}

struct ev_signals *evloop_signals_new(struct evloop *loop, const int *signals, int count,
				      ev_signal_fn fn, void *arg)
{
	struct ev_signals *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	sigemptyset(&s->set);
	for (int i = 0; i < count; i++)
		sigaddset(&s->set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &s->set, NULL) < 0) {
		free(s);
		return NULL;
	}
	int fd = signalfd(-1, &s->set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		goto fail;
	s->io.kind = EV_KIND_SIGNALS;
	s->fn = fn;
	s->arg = arg;
	if (io_register(loop, &s->io, fd, EPOLLIN, signals_ready, s) < 0) {
		close(fd);
		goto fail;
	}
	return s;
fail:;
	int saved = errno;
	free(s);
	errno = saved;
	return NULL;
}

void evloop_signals_free(struct ev_signals *s)
{
	if (s)
		io_unregister(&s->io);
}
