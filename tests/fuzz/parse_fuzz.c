// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the parsers of one word or one buffer that read what an
 * operator, a file or the wire gives the tools: addresses and identities,
 * MACs, counts and rates, states, classes, credential modes, expiries, key
 * files' text, listen addresses; the device library's enrollment codes,
 * protected datagrams and welcomes; and a captured frame as --replay reads
 * it, for every link type. Each must return, with its error or a value in
 * range, and never read or write out of bounds (ASan, UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "frame.h"
#include "keyfile.h"
#include "nl.h"
#include "parse.h"
#include "iotguard_device.h"

static void words(const char *s)
{
	struct iotguard_addr addr;
	const char *why = NULL;
	uint8_t mac[6], state, mode;
	uint64_t v;
	uint16_t class;

	iotguard_parse_addr(s, &addr, &why);
	if (!iotguard_parse_identity(s, &addr, &why) && addr.family == 10 &&
	    addr.plen > 128)
		abort();
	iotguard_parse_mac(s, mac, &why);
	if (!iotguard_parse_count(s, 1000, &v, &why) && v > 1000)
		abort();
	if (!iotguard_parse_rate(s, 1000000, &v, &why) && v > 1000000)
		abort();
	if (!iotguard_parse_state(s, &state, &why) &&
	    !iotguard_state_name(state))
		abort();
	if (!iotguard_parse_cred_mode(s, &mode, &why) &&
	    !iotguard_cred_mode_name(mode))
		abort();
	if (!iotguard_parse_expires(s, 1800000000, &v, &why) &&
	    v > IOTGUARD_EXPIRES_MAX)
		abort();
	iotguard_parse_class(s, &class, &why);
}

static void device_side(const uint8_t *data, size_t size)
{
	static const uint8_t root[32] = { 1, 2, 3 };
	struct iotguard_dev_flow flow = {
		.family = 4, .sport = 40000, .dport = 5683,
		.saddr = { 198, 18, 1, 10 }, .daddr = { 198, 18, 0, 1 },
	};
	uint8_t buf[512], nonce[16] = { 0 };
	struct iotguard_dev_welcome welcome;
	struct iotguard_dev_code code;
	uint8_t key[32];
	uint64_t counter;
	uint32_t epoch;
	size_t len = size < sizeof(buf) ? size : sizeof(buf), body;

	memcpy(buf, data, len);
	if (!iotguard_dev_epoch_key(key, root, 0))
		iotguard_dev_open(key, data[0] & 3, &flow, buf, len, &body,
				  &epoch, &counter);
	memset(&code, 0, sizeof(code));
	memcpy(buf, data, len);
	iotguard_dev_welcome_open(&code, &flow, nonce, buf, len, &welcome);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[IOTGUARD_CRED_KEY_LEN];
	struct iotguard_frame frame;
	struct iotguard_dev_code code;
	const char *why = NULL;
	char *s;
	int link;

	/* Words are NUL-terminated: the input as one. */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	words(s);
	iotguard_key_parse(s, size, key, &why);
	iotguard_dev_code_parse(&code, s);
	free(s);

	for (link = IOTGUARD_LINK_ETHERNET; link <= IOTGUARD_LINK_RAW; link++)
		iotguard_frame_parse(link, data, size, size + (size & 7),
				     &frame);
	if (size)
		device_side(data, size);
	return 0;
}
