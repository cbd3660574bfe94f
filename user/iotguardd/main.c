// SPDX-License-Identifier: GPL-2.0
/*
 * iotguardd: learns how each enrolled device behaves, scores every interval
 * against that, and quarantines, denies or only reports the devices that
 * stray, by their class's policy.
 *
 * One thread polls a signalfd (SIGHUP reloads, SIGTERM and SIGINT stop), a
 * timerfd (the interval), another (systemd's watchdog), the enrollment port
 * and the iotguard netlink events; libmicrohttpd's
 * thread renders /metrics when scraped, from what the main thread holds,
 * under the lock the main thread takes while it changes that.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include "iotguardd.h"
#include "parse.h"

/*
 * A busy machine delivers ticks late, then in quick succession: one span
 * of counts covers two intervals, the next almost none, and the baselines
 * would learn bursts the devices never sent. A tick less than half an
 * interval after the last waits for the next; a longer span is brought to
 * one interval. expired: the timer's expirations this tick read, more than
 * one when an interval or the machine ran that late (overruns). Returns
 * whether the interval ran.
 */
static bool tick(struct daemon *d, uint64_t expired)
{
	double now = now_seconds();
	double span = 1.0;

	if (expired > 1)
		d->overruns += expired - 1;
	if (d->last_tick) {
		span = (now - d->last_tick) / d->cfg.interval;
		if (span < 0.5) {
			d->short_reads++;
			return false;
		}
	}
	d->last_tick = now;
	pthread_mutex_lock(&d->lock);
	monitor_interval(d, span);
	pthread_mutex_unlock(&d->lock);
	return true;
}

static int arm_timer(int fd, double interval)
{
	struct itimerspec its = { 0 };

	its.it_interval.tv_sec = (time_t)interval;
	its.it_interval.tv_nsec = (long)((interval - floor(interval)) * 1e9);
	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

/*
 * What the running baselines were learnt with, from running into cfg;
 * whether cfg said otherwise.
 */
static bool keep_basis(struct config *cfg, const struct config *running)
{
	bool changed = cfg->score.sigma_floor != running->score.sigma_floor;
	unsigned int h;

	for (h = 0; h < IOTGUARD_SCORE_HORIZONS; h++)
		changed |= cfg->seconds.half_life[h] !=
			   running->seconds.half_life[h];
	cfg->score.sigma_floor = running->score.sigma_floor;
	memcpy(cfg->seconds.half_life, running->seconds.half_life,
	       sizeof(cfg->seconds.half_life));
	memcpy(cfg->score.half_life, running->score.half_life,
	       sizeof(cfg->score.half_life));
	return changed;
}

/*
 * SIGHUP: the new file replaces the configuration, but for state_dir,
 * interval, sigma_floor and half_lives (see iotguardd(8)); one with an
 * error changes nothing.
 */
static void reload(struct daemon *d, bool force_dry_run)
{
	char err[512], old_listen[sizeof(d->cfg.listen)];
	char old_enroll[sizeof(d->cfg.enroll)];
	struct config cfg;
	bool was_dry_run;

	sd_notify(0, "RELOADING=1");
	if (config_load(d->config_path, false, &cfg, err, sizeof(err))) {
		log_msg(LOG_ERR, "Unable to reload the configuration: %s (the running one stays)",
			err);
		goto cleanup;
	}
	if (force_dry_run)
		cfg.dry_run = cfg.score.dry_run = true;
	if (strcmp(cfg.state_dir, d->cfg.state_dir))
		log_msg(LOG_WARNING, "state_dir = %s takes effect at the next start",
			cfg.state_dir);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", d->cfg.state_dir);
	/*
	 * The baselines count per interval: another interval would read as
	 * a surge or a drop of every device.
	 */
	if (cfg.interval != d->cfg.interval) {
		log_msg(LOG_WARNING,
			"interval = %g takes effect at the next start (baselines are per interval)",
			cfg.interval);
		config_set_interval(&cfg, d->cfg.interval);
	}
	/*
	 * The baselines were learnt with these too, and the file records
	 * them: at the next start, the devices learn anew with the new ones.
	 */
	if (keep_basis(&cfg, &d->cfg))
		log_msg(LOG_WARNING,
			"sigma_floor and half_lives take effect at the next start, where the devices learn anew (the baselines were learnt with the running ones)");
	snprintf(old_listen, sizeof(old_listen), "%s", d->cfg.listen);
	snprintf(old_enroll, sizeof(old_enroll), "%s", d->cfg.enroll);
	was_dry_run = d->cfg.dry_run;
	pthread_mutex_lock(&d->lock);
	d->cfg = cfg;
	iotguard_scorer_set_config(d->scorer, &cfg.score);
	if (was_dry_run && !cfg.dry_run)
		monitor_leave_dry_run(d);
	pthread_mutex_unlock(&d->lock);
	/* Unlocked: stopping the old listener waits for its scrapes. */
	if (strcmp(cfg.listen, old_listen))
		http_relisten(d, old_listen);
	/* A port that will not open leaves enrollment off, and says so. */
	if (strcmp(cfg.enroll, old_enroll)) {
		enroll_close(d);
		enroll_open(d);
	}
	log_msg(LOG_INFO, "Reloaded %s%s", d->config_path,
		d->cfg.dry_run ? " (dry run: no action is taken)" : "");

cleanup:
	sd_notify(0, "READY=1");
}

static void status(struct daemon *d)
{
	unsigned int acted = 0;
	uint32_t i, devices = 0;

	for (i = 0; i < d->max_devices; i++) {
		const struct iotguard_score_dev *sd;

		if (!d->devs[i].present)
			continue;
		devices++;
		sd = iotguard_scorer_get(d->scorer, i);
		acted += sd && sd->action > IOTGUARD_ACT_ALERT;
	}
	sd_notifyf(0, "STATUS=%u devices, %u held back%s%s%s",
		   devices, acted, d->maps ? "" : ", waiting for the maps",
		   d->paused ? ", paused: nothing guarded" : "",
		   d->cfg.dry_run ? " (dry run)" : "");
}

static void signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
}

static int run(struct daemon *d, bool force_dry_run)
{
	int sig_fd = -1, timer_fd = -1, wd_fd = -1, ret;
	struct pollfd pfd[5];
	uint64_t wd_usec;
	sigset_t mask;

	signal_mask(&mask);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sig_fd < 0 || timer_fd < 0) {
		ret = -errno;
		log_msg(LOG_ERR, "Unable to create the event descriptors: %s",
			strerror(errno));
		goto cleanup;
	}
	ret = arm_timer(timer_fd, d->cfg.interval);
	if (ret) {
		log_msg(LOG_ERR, "Unable to set the interval timer: %s",
			strerror(-ret));
		goto cleanup;
	}
	/*
	 * The watchdog has a timer of its own, at half systemd's timeout: an
	 * interval of up to 60 s cannot starve it, and a main loop stuck
	 * (scoring, a save, netlink) still misses it.
	 */
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec) {
		wd_fd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_CLOEXEC | TFD_NONBLOCK);
		ret = wd_fd < 0 ? -errno : arm_timer(wd_fd, wd_usec / 2e6);
		if (ret) {
			log_msg(LOG_ERR, "Unable to set the watchdog timer: %s",
				strerror(-ret));
			goto cleanup;
		}
	}
	sd_notify(0, "READY=1");
	log_msg(LOG_INFO, "Watching %u device slots every %gs%s",
		d->max_devices, d->cfg.interval,
		d->cfg.dry_run ? " (dry run: no action is taken)" : "");
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = timer_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = iotguard_nl_fd(d->events),
					  .events = POLLIN };
		/* A negative fd is ignored: enrollment off. */
		pfd[3] = (struct pollfd){ .fd = d->enroll_fd, .events = POLLIN };
		pfd[4] = (struct pollfd){ .fd = wd_fd, .events = POLLIN };
		if (poll(pfd, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			log_msg(LOG_ERR, "Unable to poll: %s", strerror(errno));
			goto cleanup;
		}
		if (pfd[4].revents & POLLIN) {
			uint64_t expired;

			if (read(wd_fd, &expired, sizeof(expired)) > 0)
				sd_notify(0, "WATCHDOG=1");
		}
		if (pfd[3].revents & POLLIN)
			enroll_receive(d);
		if (pfd[2].revents & (POLLIN | POLLERR)) {
			pthread_mutex_lock(&d->lock);
			monitor_events(d);
			pthread_mutex_unlock(&d->lock);
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload(d, force_dry_run);
					continue;
				}
				log_msg(LOG_INFO, "Stopping on signal %u",
					si.ssi_signo);
				ret = 0;
				goto cleanup;
			}
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t expired;

			/* Late ticks collapse into one interval. */
			if (read(timer_fd, &expired, sizeof(expired)) > 0 &&
			    tick(d, expired)) {
				monitor_save_reap(d, false);
				if (now_seconds() - d->last_save >=
				    d->cfg.save_every)
					monitor_save_start(d);
				status(d);
			}
		}
	}

cleanup:
	sd_notify(0, "STOPPING=1");
	if (sig_fd >= 0)
		close(sig_fd);
	if (timer_fd >= 0)
		close(timer_fd);
	if (wd_fd >= 0)
		close(wd_fd);
	return ret;
}

int main(int argc, char *argv[])
{
	struct daemon d = { .enroll_fd = -1 };
	struct args args;
	int ret = 1;
	char err[512];
	sigset_t mask;

	ret = parse_args(argc, argv, &args);
	if (ret >= 0)
		return ret;
	ret = 1;
	d.config_path = args.config_path;
	d.foreground = args.foreground;
	/*
	 * Blocked before any thread starts (libmicrohttpd's inherits the
	 * mask), so that the signals only ever reach our signalfd.
	 */
	signal_mask(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	pthread_mutex_init(&d.lock, NULL);
	/* Only an explicitly named file must exist. */
	if (config_load(d.config_path, args.config_given, &d.cfg, err,
			sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (args.dry_run)
		d.cfg.dry_run = d.cfg.score.dry_run = true;
	if (args.replay.path) {
		/* A plain command: the signals are the shell's again. */
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		pthread_mutex_destroy(&d.lock);
		return replay_run(&args.replay, &d.cfg);
	}

	/* Under systemd (Type=notify) stay put; else detach unless asked. */
	if (!d.foreground && !getenv("NOTIFY_SOCKET") && daemon(0, 0)) {
		fprintf(stderr, "Unable to detach: %s\n", strerror(errno));
		return 1;
	}
	log_init(d.foreground);
	if (monitor_start(&d))
		goto cleanup;
	/*
	 * /metrics and enrollment are windows on the guard, not the guard: a
	 * port that will not open is logged, and scoring goes on.
	 */
	http_start(&d);
	enroll_open(&d);
	ret = run(&d, args.dry_run) ? 1 : 0;
	monitor_save(&d);

cleanup:
	enroll_close(&d);
	http_stop(&d);
	monitor_stop(&d);
	pthread_mutex_destroy(&d.lock);
	return ret;
}
