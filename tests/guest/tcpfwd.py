#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Forward TCP connections, for the guest's fleet test with its cluster on
the host (scripts/fleet-stress.sh): the routers' namespaces reach the
guest's bridge address, qemu's user network reaches the host's loopback
(guestfwd), and this joins the two.

    tcpfwd.py LISTEN-ADDR:PORT=TARGET-ADDR:PORT ...

Each pair is a listener; every connection to it is joined to a new one
to its target, byte for byte, until either side closes. Prints "ready"
once every listener is bound, then runs until killed.
"""

import asyncio
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


def handler(host, port):
    async def join(reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError as err:
            print("tcpfwd: unable to reach %s:%d: %s" % (host, port, err),
                  file=sys.stderr, flush=True)
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer),
                             pipe(up_reader, writer))
    return join


def split(addr):
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("not ADDRESS:PORT: %r" % addr)
    return host, int(port)


async def main(pairs):
    servers = []
    for pair in pairs:
        listen, _, target = pair.partition("=")
        lhost, lport = split(listen)
        thost, tport = split(target)
        servers.append(await asyncio.start_server(
            handler(thost, tport), lhost, lport, reuse_address=True))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: tcpfwd.py LISTEN-ADDR:PORT=TARGET-ADDR:PORT ...",
              file=sys.stderr)
        sys.exit(1)
    try:
        asyncio.run(main(sys.argv[1:]))
    except ValueError as err:
        print("tcpfwd: %s" % err, file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        print("tcpfwd: unable to listen: %s" % err, file=sys.stderr)
        sys.exit(1)
