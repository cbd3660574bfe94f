#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An independent reading of Documentation/protocol.rst, for the test
vectors: Python's hashlib BLAKE2s and the cryptography package's
ChaCha20Poly1305 (OpenSSL underneath, but not through the device
library's code).

    wire_ref.py check VECTORS     every vector of `iotguard-device vectors`
                                  (or protocol.rst's) recomputed from its
                                  inputs; prints TAP-free lines, exits 1 on
                                  the first difference
    wire_ref.py open KEYHEX MODE FAMILY SADDR DADDR SPORT DPORT PAYLOADHEX
                                  verifies (and opens) one payload with an
                                  epoch key: prints the body in hex, or
                                  exits 1
    wire_ref.py serve CODE ROOTHEX PORTFILE N
                                  a router's enrollment port on 127.0.0.1
                                  (its port written to PORTFILE) for N
                                  datagrams: a hello with CODE gets the
                                  welcome with ROOTHEX (seal, no expiry,
                                  epochs of an hour), once; the hello
                                  again (same nonce) the same welcome; any
                                  other nothing. Prints what it did.
"""

import hashlib
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

VERSION = 1
MODES = {"auth": 1, "seal": 2}
EPOCH_LABEL = b"iotguard-v1 epoch"
CODE_LABEL = b"iotguard-v1 code"


def epoch_key(root, epoch):
    return hashlib.blake2s(EPOCH_LABEL + struct.pack("<I", epoch),
                           key=root, digest_size=32).digest()


def pseudo(prefix, family, sport, dport, saddr, daddr):
    return prefix + bytes([family, 0]) + struct.pack(">HH", sport, dport) + \
        saddr + daddr


def nonce(counter):
    return bytes(4) + struct.pack("<Q", counter)


def protect(key, mode, epoch, counter, family, saddr, daddr, sport, dport,
            body):
    prefix = bytes([VERSION, mode, 0, 0]) + struct.pack(">I", epoch)
    ad = pseudo(prefix, family, sport, dport, saddr, daddr)
    aead = ChaCha20Poly1305(key)
    if mode == MODES["auth"]:
        out, tag = body, aead.encrypt(nonce(counter), b"", ad + body)
    else:
        sealed = aead.encrypt(nonce(counter), body, ad)
        out, tag = sealed[:-16], sealed[-16:]
    return out + prefix + struct.pack("<Q", counter) + tag


def open_payload(key, mode, family, saddr, daddr, sport, dport, payload):
    if len(payload) < 32:
        raise ValueError("shorter than a trailer")
    body, trailer = payload[:-32], payload[-32:]
    if trailer[0] != VERSION or trailer[1] != mode or trailer[2:4] != b"\0\0":
        raise ValueError("bad trailer")
    counter = struct.unpack("<Q", trailer[8:16])[0]
    ad = pseudo(trailer[:8], family, sport, dport, saddr, daddr)
    aead = ChaCha20Poly1305(key)
    if mode == MODES["auth"]:
        if aead.encrypt(nonce(counter), b"", ad + body) != trailer[16:]:
            raise InvalidTag()
        return body
    return aead.decrypt(nonce(counter), body + trailer[16:], ad)


def parse_code(text):
    """(id, secret) of "IGE1-" 8 hex "-" 32 hex."""
    if not text.startswith("IGE1-") or len(text) != 46 or text[13] != "-":
        raise ValueError("not a code: %s" % text)
    return int(text[5:13], 16), bytes.fromhex(text[14:])


def code_key(code_id, secret):
    return hashlib.blake2s(CODE_LABEL + struct.pack(">I", code_id),
                           key=secret, digest_size=32).digest()


def check_enroll(e):
    code_id, secret = parse_code(e["enroll"])
    key = code_key(code_id, secret)
    if key.hex() != e["code_key"]:
        sys.exit("enroll: code key %s, the reference says %s"
                 % (e["code_key"], key.hex()))
    saddr, daddr = bytes.fromhex(e["saddr"]), bytes.fromhex(e["daddr"])
    sport, dport = int(e["sport"]), int(e["dport"])
    hello = protect(key, MODES["auth"], code_id, 0, 4, saddr, daddr, sport,
                    dport, bytes.fromhex(e["nonce"]))
    if hello.hex() != e["hello"]:
        sys.exit("enroll: hello %s, the reference says %s"
                 % (e["hello"], hello.hex()))
    welcome = protect(key, MODES["seal"], code_id, 1, 4, daddr, saddr, dport,
                      sport, bytes.fromhex(e["welcome_body"]))
    if welcome.hex() != e["welcome"]:
        sys.exit("enroll: welcome %s, the reference says %s"
                 % (e["welcome"], welcome.hex()))
    print("enroll: same")


def serve(text, root, portfile, n):
    import socket
    code_id, secret = parse_code(text)
    key = code_key(code_id, secret)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(30)
    port = s.getsockname()[1]
    with open(portfile, "w") as f:
        f.write(str(port))
    used = None
    for _ in range(n):
        data, peer = s.recvfrom(65536)
        me = socket.inet_aton("127.0.0.1")
        them = socket.inet_aton(peer[0])
        try:
            nonce = open_payload(key, MODES["auth"], 4, them, me, peer[1],
                                 port, data)
        except (InvalidTag, ValueError):
            print("bad hello")
            continue
        if struct.unpack(">I", data[-28:-24])[0] != code_id or \
           struct.unpack("<Q", data[-24:-16])[0] != 0 or len(nonce) != 16:
            print("bad hello")
            continue
        if used is not None and used != nonce:
            print("code used")
            continue
        used = nonce
        body = root + struct.pack(">Q", 0) + bytes([MODES["seal"], 0, 0, 0]) \
            + struct.pack(">I", 3600) + nonce
        s.sendto(protect(key, MODES["seal"], code_id, 1, 4, me, them, port,
                         peer[1], body), peer)
        print("welcome")


def parse(path):
    """root, and the vectors as dicts, from the tool's output."""
    root, vecs, cur, enroll = None, [], None, None
    for line in open(path):
        words = line.split()
        if not words or words[0].startswith(".."):
            continue
        key, val = words[0], words[1] if len(words) > 1 else ""
        if key == "root":
            root = bytes.fromhex(val)
        elif key == "vector":
            cur = {"name": val}
            vecs.append(cur)
        elif key == "enroll":
            cur = enroll = {"enroll": val}
        elif cur is not None and key in ("mode", "epoch", "counter",
                                         "saddr", "daddr", "sport", "dport",
                                         "body", "epoch_key", "payload",
                                         "nonce", "code_key", "hello",
                                         "welcome_body", "welcome"):
            cur[key] = val
    return root, vecs, enroll


def check(path):
    root, vecs, enroll = parse(path)
    if root is None or not vecs or enroll is None:
        sys.exit("%s: no vectors" % path)
    for v in vecs:
        saddr, daddr = bytes.fromhex(v["saddr"]), bytes.fromhex(v["daddr"])
        family = 4 if len(saddr) == 4 else 6
        key = epoch_key(root, int(v["epoch"]))
        if key.hex() != v["epoch_key"]:
            sys.exit("%s: epoch key %s, the reference says %s"
                     % (v["name"], v["epoch_key"], key.hex()))
        want = protect(key, MODES[v["mode"]], int(v["epoch"]),
                       int(v["counter"]), family, saddr, daddr,
                       int(v["sport"]), int(v["dport"]),
                       bytes.fromhex(v["body"]))
        if want.hex() != v["payload"]:
            sys.exit("%s: payload %s, the reference says %s"
                     % (v["name"], v["payload"], want.hex()))
        print("%s: same" % v["name"])
    check_enroll(enroll)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) == 10 and sys.argv[1] == "open":
        key, mode, family, saddr, daddr, sport, dport, payload = sys.argv[2:]
        try:
            body = open_payload(bytes.fromhex(key), MODES[mode],
                                int(family), bytes.fromhex(saddr),
                                bytes.fromhex(daddr), int(sport),
                                int(dport), bytes.fromhex(payload))
        except (InvalidTag, ValueError) as e:
            sys.exit("rejected: %s" % (e or "bad tag"))
        print(body.hex())
    elif len(sys.argv) == 6 and sys.argv[1] == "serve":
        serve(sys.argv[2], bytes.fromhex(sys.argv[3]), sys.argv[4],
              int(sys.argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
