// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-gate: the city's operator gate (gate.h). `run' serves; the
 * other subcommands keep the operators file on the gate's host: add an
 * operator (a password, a new TOTP secret for the authenticator app),
 * revoke one (their sessions end at their next request), reinstate one,
 * list them.
 */
#include <errno.h>
#include <getopt.h>
#include <liboath/oath.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <nats/nats.h>
#include "gate.h"
#include "store.h"

const char *prog_name;

/* The shortest password taken: the second factor is no excuse. */
#define GATE_PASSWORD_MIN 10

/*
 * Options of the file subcommands: --operators FILE and one NAME; with so,
 * the store's options too (all or none).
 */
static int file_args(int argc, char *argv[], const char *usage,
		     const char **path, const char **name,
		     struct store_opts *so)
{
	static const struct option options[] = {
		{ "operators", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option store_options[] = {
		STORE_LONG_OPTIONS,
		{ "operators", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int opt, ret;

	*path = NULL;
	optind = 1;
	while ((opt = so ? store_next_option(argc, argv,
					     STORE_SHORT_OPTIONS "o:h",
					     store_options, so) :
		      next_option(argv[0], argc, argv, "o:h", options)) != -1) {
		switch (opt) {
		case 'o':
			*path = optarg;
			break;
		case 'h':
			printf("Usage: %s %s %s", prog_name, argv[0], usage);
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (!*path)
		return usage_error(argv[0], "no --operators");
	if (so && (so->servers || so->cert || so->key || so->ca)) {
		ret = store_options_check(argv[0], so);
		if (ret)
			return ret;
		if (so->router)
			return usage_error(argv[0], "the gate is no router");
	}
	if (!name)
		return optind == argc ? EXIT_OK :
		       usage_error(argv[0], "unexpected `%s'", argv[optind]);
	if (argc - optind != 1)
		return usage_error(argv[0], "expected one operator's name");
	*name = argv[optind];
	if (sync_check_router(*name, &why))
		return usage_error(argv[0], "bad name `%s': %s", *name, why);
	return EXIT_OK;
}

/* Loads the file under its lock (a missing one is empty if may_be_new). */
static int load_locked(struct gate_operators *o, const char *path,
		       bool may_be_new, int *fd)
{
	const char *why = NULL;
	unsigned int line;
	int ret;

	*fd = operators_lock(path);
	if (*fd < 0)
		return report_error(-*fd, NULL, "lock %s", path);
	ret = operators_load(o, path, &line, &why);
	if (ret == -ENOENT && may_be_new)
		return EXIT_OK;
	if (ret == -EINVAL) {
		fprintf(stderr, "%s: %s:%u: %s\n", prog_name, path, line, why);
		return EXIT_SYSTEM;
	}
	if (ret)
		return report_error(-ret, NULL, "read %s", path);
	return EXIT_OK;
}

static int adduser_main(int argc, char *argv[])
{
	unsigned char secret[GATE_SECRET_LEN];
	struct gate_operators o = { 0 };
	char password[256], *b32 = NULL;
	const char *path, *name;
	size_t b32len;
	int ret, fd = -1;

	ret = file_args(argc, argv, "--operators FILE NAME\n\n"
			"Adds operator NAME: reads a password (at least 10 "
			"characters) from\nstdin, makes a TOTP secret and "
			"prints it for the authenticator app\n(base32, and as"
			" an otpauth:// URI).\n\n"
			"  -o, --operators FILE  the gate's operators file\n"
			"  -h, --help        show this help and exit\n",
			&path, &name, NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = cmdline_read_secret("Password: ", password, sizeof(password));
	if (ret) {
		ret = report_error(-ret, NULL, "read the password");
		goto cleanup;
	}
	if (strlen(password) < GATE_PASSWORD_MIN) {
		ret = usage_error(argv[0], "a password has at least %d "
				  "characters", GATE_PASSWORD_MIN);
		goto cleanup;
	}
	if (getrandom(secret, sizeof(secret), 0) != sizeof(secret)) {
		ret = report_error(errno, NULL, "make a TOTP secret");
		goto cleanup;
	}
	ret = load_locked(&o, path, true, &fd);
	if (ret)
		goto cleanup;
	o.path = path;
	ret = operators_add(&o, name, password, secret);
	if (ret) {
		ret = report_error(-ret, NULL, "add %s", name);
		goto cleanup;
	}
	ret = operators_save(&o);
	if (ret) {
		ret = report_error(-ret, NULL, "write %s", path);
		goto cleanup;
	}
	if (oath_base32_encode((const char *)secret, sizeof(secret), &b32,
			       &b32len) != OATH_OK) {
		ret = report_error(ENOMEM, NULL, "print the secret");
		goto cleanup;
	}
	printf("secret %s\n", b32);
	printf("otpauth://totp/iotguard:%s?secret=%s&issuer=iotguard"
	       "&digits=%d&period=%d\n", name, b32, GATE_TOTP_DIGITS,
	       GATE_TOTP_STEP);
cleanup:
	explicit_bzero(password, sizeof(password));
	explicit_bzero(secret, sizeof(secret));
	if (b32)
		explicit_bzero(b32, b32len);
	free(b32);
	operators_free(&o);
	operators_unlock(fd);
	return ret;
}

/*
 * In the file, and with the store's options for every gate of the city
 * (the operators bucket) first: a revocation the city has is not lost if
 * the file then cannot be written.
 */
static int set_revoked(int argc, char *argv[], bool revoked,
		       const char *usage)
{
	struct store_opts so = { .city = SYNC_CITY, .name = "gate",
				 .inbox = "_IG.gate" };
	char bucket[SYNC_BUCKET_LEN], by[SYNC_BY_LEN], host[64];
	struct gate_operators o = { 0 };
	struct gate_operator *op;
	const char *path, *name;
	struct store st = { 0 };
	int ret, fd = -1;

	ret = file_args(argc, argv, usage, &path, &name, &so);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = load_locked(&o, path, false, &fd);
	if (ret)
		goto cleanup;
	op = operators_find(&o, name);
	if (!op) {
		ret = report_error(ENOENT, NULL, "find operator %s", name);
		goto cleanup;
	}
	if (so.servers) {
		snprintf(bucket, sizeof(bucket), STORE_OPERATORS_BUCKET_FMT,
			 so.city);
		if (gethostname(host, sizeof(host)))
			snprintf(host, sizeof(host), "?");
		snprintf(by, sizeof(by), "host:%.50s", host);
		ret = store_open(&so, bucket, &st);
		if (ret)
			goto cleanup;
		if (shared_set_revoked(st.kv, name, revoked, by)) {
			ret = report_error(EIO, NULL, "%s %s for the city",
					   revoked ? "revoke" : "reinstate",
					   name);
			goto cleanup;
		}
	}
	op->revoked = revoked;
	ret = operators_save(&o);
	if (ret)
		ret = report_error(-ret, NULL, "write %s", path);
cleanup:
	store_close(&st);
	operators_free(&o);
	operators_unlock(fd);
	return ret;
}

static int revoke_main(int argc, char *argv[])
{
	return set_revoked(argc, argv, true,
			   "--operators FILE [STORE-OPTIONS] NAME\n\n"
			   "Revokes operator NAME: no more logins, and their "
			   "sessions end at\ntheir next request. With the "
			   "store's options, at every gate of the\ncity (the "
			   "operators bucket), not only at this file's.\n\n"
			   "  -o, --operators FILE  the gate's operators "
			   "file\n"
			   STORE_OPTIONS_HELP
			   "  -h, --help        show this help and exit\n");
}

static int reinstate_main(int argc, char *argv[])
{
	return set_revoked(argc, argv, false,
			   "--operators FILE [STORE-OPTIONS] NAME\n\n"
			   "Lifts the revocation of operator NAME (the same "
			   "password and secret);\nwith the store's options, "
			   "the city's too.\n\n"
			   "  -o, --operators FILE  the gate's operators "
			   "file\n"
			   STORE_OPTIONS_HELP
			   "  -h, --help        show this help and exit\n");
}

static int list_main(int argc, char *argv[])
{
	struct gate_operators o = { 0 };
	const char *path;
	int ret, fd = -1;
	size_t i;

	ret = file_args(argc, argv, "--operators FILE\n\n"
			"Lists the operators and whether they are revoked.\n\n"
			"  -o, --operators FILE  the gate's operators file\n"
			"  -h, --help        show this help and exit\n",
			&path, NULL, NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = load_locked(&o, path, false, &fd);
	for (i = 0; !ret && i < o.count; i++)
		printf("%s %s\n", o.ops[i].name,
		       o.ops[i].revoked ? "revoked" : "active");
	operators_free(&o);
	operators_unlock(fd);
	return ret;
}

static const struct cmdline_command subcommands[] = {
	{ "run", serve_main, "Serves the operators' logins and changes" },
	{ "adduser", adduser_main, "Adds an operator" },
	{ "revoke", revoke_main, "Revokes an operator at once" },
	{ "reinstate", reinstate_main, "Lifts an operator's revocation" },
	{ "list", list_main, "Lists the operators" },
};

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: %s [-h|--help] [-V|--version] <command> "
		"[<args>]\n\n", prog_name);
	fputs("The city's operator gate: logins with a password and a TOTP "
	      "code,\nshort sessions, and every change written with the "
	      "operator's name\n(Documentation/fleet.rst).\n\n"
	      "Available commands:\n", f);
	cmdline_list_commands(f, subcommands, ARRAY_SIZE(subcommands), 10);
	fputs("\nExit status:\n"
	      "  0  success\n"
	      "  1  usage error (bad command, option or value)\n"
	      "  2  the store, the file or the system refused; the reason is "
	      "printed\n\n", f);
	fprintf(f, "Use `%s <command> --help' for help on a command.\n",
		prog_name);
}

int main(int argc, char *argv[])
{
	int ret;

	if (oath_init() != OATH_OK) {
		fprintf(stderr, "Unable to start liboath\n");
		return EXIT_SYSTEM;
	}
	ret = cmdline_run(argc, argv, "iotguard-gate", subcommands,
			  ARRAY_SIZE(subcommands), show_usage);
	nats_Close();
	oath_done();
	return ret;
}
