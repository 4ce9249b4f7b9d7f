/* SPDX-License-Identifier: GPL-2.0-only */
/* evloop.h — tsnd's single event loop: epoll for file descriptors, timerfd for
 * timers, signalfd for signals.
 *
 * Every callback runs from evloop_run() on the main thread; nothing runs in a
 * signal handler.  A callback may add or remove any registration, including its
 * own: removed registrations are freed only after the current batch of events.
 */
#ifndef TSND_EVLOOP_H
#define TSND_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct evloop;
struct ev_io;
struct ev_timer;
struct ev_signals;

/* `events` are EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, ... as returned by epoll. */
typedef void (*ev_io_fn)(struct evloop *loop, int fd, uint32_t events, void *arg);
typedef void (*ev_timer_fn)(struct evloop *loop, void *arg);
typedef void (*ev_signal_fn)(struct evloop *loop, int signo, void *arg);

struct evloop *evloop_new(void);
/* Frees the loop and every registration still in it (their fds are not closed,
 * except the timerfds and the signalfd the loop created itself). */
void evloop_free(struct evloop *loop);
/* Dispatch events until evloop_stop() is called.  Returns 0, or -1 with errno if
 * epoll_wait failed. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

/* Watch fd for `events` (EPOLLIN and/or EPOLLOUT).  The caller keeps owning fd and
 * must evloop_io_del() before closing it.  NULL on failure (errno set). */
struct ev_io *evloop_io_add(struct evloop *loop, int fd, uint32_t events, ev_io_fn fn, void *arg);
int evloop_io_mod(struct ev_io *io, uint32_t events);
uint32_t evloop_io_events(const struct ev_io *io);
void evloop_io_del(struct ev_io *io);

/* A one-shot timer on CLOCK_MONOTONIC (timerfd).  NULL on failure. */
struct ev_timer *evloop_timer_new(struct evloop *loop, ev_timer_fn fn, void *arg);
/* Fire once at the absolute CLOCK_MONOTONIC time `when_ns` (a time in the past
 * fires at the next loop iteration).  Re-arming replaces the previous time. */
int evloop_timer_arm_at(struct ev_timer *t, uint64_t when_ns);
int evloop_timer_disarm(struct ev_timer *t);
bool evloop_timer_armed(const struct ev_timer *t);
/* The time the timer is armed for (0 if disarmed). */
uint64_t evloop_timer_when(const struct ev_timer *t);
void evloop_timer_free(struct ev_timer *t);

/* Block `signals` for the process and deliver them through a signalfd.  One set
 * per loop.  NULL on failure. */
struct ev_signals *evloop_signals_new(struct evloop *loop, const int *signals, int count,
				      ev_signal_fn fn, void *arg);
/* Closes the signalfd.  The signals stay blocked: a late SIGTERM during shutdown
 * must not kill the process half-way through its cleanup. */
void evloop_signals_free(struct ev_signals *s);

/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t evloop_now_ns(void);

#endif
