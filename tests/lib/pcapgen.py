#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Deterministic pcap captures for the tests of iotguardd --replay.

    pcapgen.py SCENARIO OUT.pcap [--link eth|sll|sll2|raw]

Writes the capture (classic pcap, microsecond timestamps; written with
the struct module alone) and prints what the test needs to know as one
JSON object: the devices and the times (seconds from the first frame) at
which their behaviour changes. The same arguments always give the same
bytes.

Scenarios (interval 1 s in the tests' configuration):
  surge    lamp 198.18.1.10 and meter 198.18.1.11 send 10 UDP datagrams a
           second for 60 s; then the lamp floods at 500/s for 8 s while
           the meter goes on.
  scan     camera 198.18.1.20 sends 20 UDP datagrams a second to its
           server for 60 s, then as many TCP SYNs to 20 new addresses and
           ports a second for 8 s: same rate, new behaviour.
  silence  sensor 198.18.1.30 reports every 5 s until 115 s, then falls
           silent; meter 198.18.1.31 sends 5 datagrams a second to 180 s.
  garbage  the surge scenario's first 30 s with garbage frames between
           the datagrams (random bytes, short and inconsistent headers),
           and 30 ARP requests of the lamp's.
  ipv6     surge, from 2001:2:0:1::10 and 2001:2:0:1::11.
  fuzz     20000 valid frames with random bytes changed, some captured
           short, some with a wire length shorter than what was captured.
  city     a city for eval/city_eval.py: OUT.pcap is DIR/city.pcap, and
           DIR/devices.tsv and DIR/truth.tsv are written beside it, as
           make-city writes them. 120 s; lamp 198.18.1.10 (benign, 10/s),
           camera 198.18.1.20 (20/s, then a SYN scan from 60.25 s, 200 new
           addresses and ports a second for 5 s), meter 198.18.1.30 (5/s
           until 80 s, then silent; its "beacon" attack from 70.1 to 99.9 s
           is its usual traffic: nothing can tell it apart), an unknown
           host flooding 300 datagrams and 2 ARP requests from 30 s, and
           3 datagrams from another unknown MAC in the lamp's name
           (spoofed) from 40 s.
  life     a street's day for tests/guest/live_scenario_test.sh, as city
           writes it, 490 s at the shipped 1 s interval: sensors 1 and 2
           report every 5 s and ask DNS and NTP again every minute; meter-1
           sends 150 kB in a second every 30 s (bursts); lamp-1 reboots at
           330 and sets itself up again at 370 (DNS, NTP, two servers it
           never used); cam-1 streams 30 frames a second and reaches one
           new destination at 440; web-1 opens a connection every 2 s
           (SYNs are its habit) and scans its server's ports at 320 (25 a
           second, 10 s); slow-1 probes 3 new UDP ports a second from 300
           (a low-and-slow scan); learner-1 floods 1500 SYNs a second for
           3 s at 60, while every device still learns.
  slowscan camera 198.18.1.20 sends 3 TCP SYNs a second to its server's
           ports 443, 8883 and 1883 for 150 s, then to 3 new ports a
           second (from 1000 up) for 300 s; lamp 198.18.1.10, a web
           server, answers 3 clients' connections a second (ACKs from
           port 80 to a new ephemeral port each) all along.
  arp      lamp 198.18.1.10 (MAC 02:00:00:00:01:10) sends 10 datagrams a
           second for 60 s after its setup: a probe from 0.0.0.0, two
           announcements and a request for the router (3 requests in its
           name), and a reply to the router every 10 s; plug 198.18.1.40
           (02:00:00:00:01:40) sends 2 a second and sweeps 198.18.2.0/24
           with 100 ARP requests a second from 40 s for 3 s; another MAC
           sends 50 requests in the lamp's name (forged) at 20 s; the plug
           announces an IPv4 link-local address at 10 s; meter 198.18.1.30
           (02:00:00:00:01:30) sends 1 a second and from 50 s poisons: a
           reply in the router's name (198.18.0.1), one in the lamp's.
  fingerprint  lamp 198.18.1.10 keeps a TCP connection to its server (SYN,
           ACK, PSH+ACK, FIN+ACK, a RST each 10 s) beside 10 datagrams a
           second; camera 198.18.1.20 sends 2 a second and at 40 s probes
           its server as nmap -O does, in one second: 6 SYNs and an ECN
           SYN to port 135, a null segment, SYN+FIN+PSH+URG, an ACK, a SYN
           and an ACK to a closed port and FIN+PSH+URG (3 segments with
           flags no stack sends, 8 SYNs: under the class's limit of 10).
"""
import json
import random
import struct
import sys

BASE = 1764064800  # 2025-11-25T10:00:00Z: a fixed start
SERVER4 = "198.18.0.1"
SERVER6 = "2001:2:0:ff::1"
MAC_DEV = bytes.fromhex("02000000000a")
MAC_RTR = bytes.fromhex("020000000001")


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp_syn(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02,
                       65535, 0, 0)


def ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0,
                      64, proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, proto, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64,
                       ip6(src), ip6(dst)) + payload


def ip_packet(src, dst, proto, payload):
    if ":" in src:
        return 0x86DD, ipv6(src, dst, proto, payload)
    return 0x0800, ipv4(src, dst, proto, payload)


class Capture:
    def __init__(self, link):
        self.link = link
        self.records = []  # (time, frame bytes, wire length or None)

    def add_ip(self, t, src, dst, proto, payload, mac=MAC_DEV):
        ethertype, pkt = ip_packet(src, dst, proto, payload)
        self.add(t, self.l2(ethertype, pkt, mac))

    def l2(self, ethertype, pkt, mac=MAC_DEV):
        if self.link == "eth":
            return MAC_RTR + mac + struct.pack("!H", ethertype) + pkt
        if self.link == "sll":
            # incoming (0), ARPHRD_ETHER (1), 6-byte address
            return (struct.pack("!HHH", 0, 1, 6) + MAC_DEV + b"\0\0" +
                    struct.pack("!H", ethertype) + pkt)
        if self.link == "sll2":
            return (struct.pack("!HHIHBB", ethertype, 0, 2, 1, 0, 6) +
                    MAC_DEV + b"\0\0" + pkt)
        return pkt

    def add(self, t, frame, wirelen=None):
        self.records.append((t, frame, wirelen))

    def write(self, path):
        linktype = {"eth": 1, "sll": 113, "sll2": 276, "raw": 101}[self.link]
        self.records.sort(key=lambda r: r[0])
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535,
                                linktype))
            for t, frame, wirelen in self.records:
                usec = round(t * 1e6)
                f.write(struct.pack("<IIII", BASE + usec // 1000000,
                                    usec % 1000000, len(frame),
                                    wirelen or len(frame)))
                f.write(frame)


def steady(cap, src, dst, rate, start, end, size=60, port=5683,
           mac=MAC_DEV):
    """rate datagrams a second in [start, end), evenly spaced."""
    n = round((end - start) * rate)
    for i in range(n):
        cap.add_ip(start + (i + 0.5) / rate, src, dst, 17,
                   udp(40000, port, bytes(size)), mac)


def surge(cap, v6=False):
    lamp, meter, server = ("198.18.1.10", "198.18.1.11", SERVER4)
    if v6:
        lamp, meter, server = ("2001:2:0:1::10", "2001:2:0:1::11", SERVER6)
    steady(cap, lamp, server, 10, 0, 60)
    steady(cap, lamp, server, 500, 60, 68)
    steady(cap, meter, server, 10, 0, 70)
    return {"devices": {"lamp": lamp, "meter": meter},
            "flood_start": 60, "flood_end": 68, "end": 70}


def scan(cap):
    cam = "198.18.1.20"
    steady(cap, cam, SERVER4, 20, 0, 60)
    for s in range(60, 68):
        for i in range(20):
            dst = "198.18.%d.%d" % (100 + s - 60, 1 + i)
            cap.add_ip(s + (i + 0.5) / 20, cam, dst, 6,
                       tcp_syn(40000 + i, 1000 + 20 * (s - 60) + i))
    steady(cap, cam, SERVER4, 20, 68, 72)
    return {"devices": {"camera": cam}, "scan_start": 60, "scan_end": 68,
            "end": 72}


def silence(cap):
    sensor, meter = "198.18.1.30", "198.18.1.31"
    # A report of 3 datagrams every 5 s: quiet intervals are its cadence.
    for t in range(0, 120, 5):
        for i in range(3):
            cap.add_ip(t + 0.2 + i * 0.01, sensor, SERVER4, 17,
                       udp(40000, 5683, bytes(60)))
    steady(cap, meter, SERVER4, 5, 0, 180)
    return {"devices": {"sensor": sensor, "meter": meter},
            "last_report": 115.2, "end": 180}


def garbage(cap):
    rnd = random.Random(1)
    info = surge(cap)
    cap.records = [r for r in cap.records if r[0] < 30]
    bad = 0
    good_ip = ipv4(info["devices"]["lamp"], SERVER4, 17,
                   udp(1, 2, bytes(20)))
    for i in range(300):
        t = 0.05 + i * 0.1
        kind = i % 10
        if kind == 0:  # random bytes of random length, even none
            frame = bytes(rnd.randrange(256)
                          for _ in range(rnd.randrange(0, 80)))
        elif kind == 1:  # Ethernet header only, IPv4 ethertype
            frame = MAC_RTR + MAC_DEV + b"\x08\x00"
        elif kind == 2:  # IPv4 with ihl 2
            frame = cap.l2(0x0800, b"\x42" + good_ip[1:])
        elif kind == 3:  # IPv4 total length beyond the frame
            frame = cap.l2(0x0800, good_ip[:2] + b"\x05\xdc" + good_ip[4:])
        elif kind == 4:  # IPv6 with an endless chain of extension headers
            ext = b"".join(struct.pack("!BB6x", 60, 0) for _ in range(12))
            pkt = struct.pack("!IHBB16s16s", 6 << 28, len(ext), 60, 64,
                              bytes(16), bytes(16)) + ext
            frame = cap.l2(0x86DD, pkt)
        elif kind == 5:  # three VLAN tags: not IP to the program
            frame = (MAC_RTR + MAC_DEV + b"\x81\x00\x00\x01" * 3 +
                     b"\x08\x00" + good_ip)
        elif kind == 6:  # TCP with a data offset of 2
            seg = bytearray(tcp_syn(1, 2))
            seg[12] = 2 << 4
            frame = cap.l2(0x0800, ipv4(info["devices"]["lamp"], SERVER4,
                                        6, bytes(seg)))
        elif kind == 7:  # captured short of the source address
            frame = cap.l2(0x0800, good_ip)[:20]
            cap.add(t, frame, wirelen=len(cap.l2(0x0800, good_ip)))
            bad += 1
            continue
        elif kind == 8:  # an ARP request: fine, the lamp's (its arp)
            cap.add(t, arp_request(MAC_DEV, info["devices"]["lamp"],
                                   SERVER4))
            info["arp"] = info.get("arp", 0) + 1
            continue
        else:  # a UDP header cut by the frame's end
            frame = cap.l2(0x0800, ipv4(info["devices"]["lamp"], SERVER4,
                                        17, b"\0\1"))
        cap.add(t, frame)
        bad += 1
    info["end"] = 30
    info["garbage"] = bad
    info["frames"] = len(cap.records)
    return info


def fuzz(cap):
    """Valid frames of every kind, bytes changed at random, cut at random."""
    rnd = random.Random(2)
    seeds = []
    for src, dst in (("198.18.1.40", SERVER4), ("2001:2:0:1::40", SERVER6)):
        for proto, payload in ((17, udp(1, 2, bytes(30))), (6, tcp_syn(1, 2)),
                               (1, bytes(8)), (58, bytes([128]) + bytes(7))):
            if ":" in src and proto == 1:
                continue
            if ":" not in src and proto == 58:
                continue
            ethertype, pkt = ip_packet(src, dst, proto, payload)
            seeds.append(cap.l2(ethertype, pkt))
    for i in range(20000):
        frame = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randrange(1, 5)):
            frame[rnd.randrange(len(frame))] = rnd.randrange(256)
        wirelen = len(frame)
        if rnd.random() < 0.3:
            frame = frame[:rnd.randrange(len(frame) + 1)]
        if rnd.random() < 0.1:
            wirelen = rnd.randrange(len(frame) + 1)
        cap.add(i * 0.01, bytes(frame), wirelen)
    return {"end": 200}


def arp_request(mac, sender, target, op=1):
    return (b"\xff" * 6 + mac + b"\x08\x06" +
            struct.pack("!HHBBH6s4s6s4s", 1, 0x800, 6, 4, op, mac,
                        ip4(sender), bytes(6), ip4(target)))


def tcp_segment(sport, dport, flags):
    return struct.pack("!HHIIBBHHH", sport, dport, 0, 0, 5 << 4, flags,
                       65535, 0, 0)


def slowscan(cap):
    cam, lamp = "198.18.1.20", "198.18.1.10"
    scan_start, end = 150, 450
    for s in range(end):
        for i in range(3):
            port = (443, 8883, 1883)[i] if s < scan_start else \
                1000 + 3 * (s - scan_start) + i
            cap.add_ip(s + (i + 0.5) / 3, cam, SERVER4, 6,
                       tcp_syn(40000 + i, port))
            cap.add_ip(s + (i + 0.6) / 3, lamp,
                       "198.19.0.%d" % (1 + i), 6,
                       tcp_segment(80, 32768 + (3 * s + i) % 28000, 0x10))
    return {"devices": {"camera": cam, "lamp": lamp},
            "scan_start": scan_start, "end": end}


def arp(cap):
    lamp, plug = "198.18.1.10", "198.18.1.40"
    mac_lamp = bytes.fromhex("020000000110")
    mac_plug = bytes.fromhex("020000000140")
    forger = bytes.fromhex("020000000902")
    cap.add(0, arp_request(mac_lamp, "0.0.0.0", lamp))
    cap.add(0.5, arp_request(mac_lamp, lamp, lamp))
    cap.add(1.5, arp_request(mac_lamp, lamp, lamp))
    cap.add(1.7, arp_request(mac_lamp, lamp, SERVER4))
    for t in range(5, 60, 10):
        cap.add(t, arp_request(mac_lamp, lamp, SERVER4, op=2))
    steady(cap, lamp, SERVER4, 10, 2, 62, mac=mac_lamp)
    steady(cap, plug, SERVER4, 2, 0, 62, mac=mac_plug)
    for i in range(50):
        cap.add(20 + i / 50, arp_request(forger, lamp, SERVER4))
    sweep_start, sweep_n = 40.0, 300
    for i in range(sweep_n):
        cap.add(sweep_start + i / 100,
                arp_request(mac_plug, plug, "198.18.2.%d" % (i % 250 + 1)))
    cap.add(10, arp_request(mac_plug, "169.254.7.9", "169.254.7.9"))
    meter, mac_meter = "198.18.1.30", bytes.fromhex("020000000130")
    steady(cap, meter, SERVER4, 1, 0, 62, mac=mac_meter)
    poison_start = 50.0
    cap.add(poison_start, arp_request(mac_meter, SERVER4, lamp, op=2))
    cap.add(poison_start + 2, arp_request(mac_meter, lamp, SERVER4, op=2))
    return {"devices": {"lamp": lamp, "plug": plug, "meter": meter},
            "sweep_start": sweep_start, "sweep_requests": sweep_n,
            "lamp_requests": 3, "forged": 50, "poison_start": poison_start,
            "poisoned": 2, "end": 62}


def fingerprint(cap):
    lamp, cam = "198.18.1.10", "198.18.1.20"
    steady(cap, lamp, SERVER4, 10, 0, 60)
    steady(cap, cam, SERVER4, 2, 0, 60)
    for t in range(0, 60, 10):
        for i, flags in enumerate((0x02, 0x10, 0x18, 0x18, 0x11, 0x04)):
            cap.add_ip(t + 0.3 + i / 10, lamp, SERVER4, 6,
                       tcp_segment(41000 + t, 443, flags))
    probe_start = 40.0
    probes = [(135, 0x02)] * 6 + [(135, 0xc2), (135, 0x00), (135, 0x2b),
                                  (135, 0x10), (41296, 0x02), (41296, 0x10),
                                  (41296, 0x29)]
    for i, (port, flags) in enumerate(probes):
        cap.add_ip(probe_start + i / 16, cam, SERVER4, 6,
                   tcp_segment(53936 + i, port, flags))
    return {"devices": {"lamp": lamp, "camera": cam},
            "probe_start": probe_start, "odd": 3, "syn": 8, "end": 60}


def write_city(out, mac, devices, attacks):
    """devices.tsv and truth.tsv beside out, as make-city writes them:
    devices (name, address, role), attacks (attack, address, start, end,
    frames, source name, role); mac by address."""
    import os
    d = os.path.dirname(out) or "."
    with open(os.path.join(d, "devices.tsv"), "w") as f:
        f.write("name\tipv4\tmac\trole\tipv6_prefix\n")
        for name, ip, role in devices:
            f.write("%s\t%s\t%s\t%s\t-\n" % (name, ip, mac[ip], role))
    with open(os.path.join(d, "truth.tsv"), "w") as f:
        f.write("attack\tsrc_ip\tsrc_mac\tstart_s\tend_s\tpackets\t"
                "src_name\trole\n")
        for name, ip, start, end, n, src, role in attacks:
            f.write("%s\t%s\t%s\t%.3f\t%.3f\t%d\t%s\t%s\n" %
                    (name, ip, mac[ip], start, end, n, src, role))


def city(cap, out):
    """The city scenario; its tables go beside out (see the docstring)."""
    lamp, cam, meter = "198.18.1.10", "198.18.1.20", "198.18.1.30"
    stranger, spoofer = "198.18.9.1", "198.18.9.2"
    mac = {lamp: "02:00:00:00:01:10", cam: "02:00:00:00:01:20",
           meter: "02:00:00:00:01:30", stranger: "02:00:00:00:09:01",
           spoofer: "02:00:00:00:09:02"}
    raw = {k: bytes.fromhex(v.replace(":", "")) for k, v in mac.items()}
    # The first frame at 0: offsets count from it.
    cap.add_ip(0, lamp, SERVER4, 17, udp(40000, 5683, bytes(60)), raw[lamp])
    steady(cap, lamp, SERVER4, 10, 0, 120, mac=raw[lamp])
    steady(cap, cam, SERVER4, 20, 0, 120, mac=raw[cam])
    scan_start, scan_n = 60.25, 1000
    for i in range(scan_n):
        cap.add_ip(scan_start + i / 200, cam,
                   "198.19.%d.%d" % (i // 250, i % 250 + 1), 6,
                   tcp_syn(40000, 1000 + i), raw[cam])
    # Silent from 80 s: the silence alert falls in its attack's window.
    steady(cap, meter, SERVER4, 5, 0, 80, mac=raw[meter])
    flood_start, flood_n = 30.0, 300
    cap.add(flood_start, arp_request(raw[stranger], stranger, SERVER4))
    for i in range(flood_n):
        cap.add_ip(flood_start + 0.001 + i / 1000, stranger, SERVER4, 17,
                   udp(40000, 9955, b""), raw[stranger])
    cap.add(flood_start + 0.5, arp_request(raw[stranger], stranger,
                                           SERVER4))
    for i in range(3):
        cap.add_ip(40.0 + i, lamp, SERVER4, 17,
                   udp(40000, 5683, bytes(60)), raw[spoofer])
    write_city(out, mac, (("lamp-1", lamp, "benign"),
                          ("cam-1", cam, "hijacked"),
                          ("meter-1", meter, "hijacked"),
                          ("stranger", stranger, "unknown"),
                          ("spoofer", spoofer, "unknown")), (
        ("flood", stranger, flood_start, flood_start + 0.5, flood_n + 2,
         "stranger", "unknown"),
        ("spoof", spoofer, 40.0, 42.0, 3, "spoofer", "unknown"),
        ("scan", cam, scan_start, scan_start + (scan_n - 1) / 200, scan_n,
         "cam-1", "hijacked"),
        ("beacon", meter, 70.1, 99.9, 50, "meter-1", "hijacked")))
    return {"devices": {"lamp": lamp, "camera": cam, "meter": meter},
            "scan_start": scan_start, "flood_frames": flood_n + 2,
            "end": 120}


def life(cap, out):
    """A street's day in 490 s of real time (see the docstring)."""
    resolver, ntp = "198.19.0.53", "198.19.0.123"
    cloud, backup, video = "198.19.1.10", "198.19.1.20", "198.19.2.1"
    web, target = "198.19.1.30", "198.19.3.1"
    names = ("sensor-1", "sensor-2", "meter-1", "lamp-1", "cam-1", "web-1",
             "slow-1", "learner-1")
    addr = {n: "198.18.1.%d" % (51 + i) for i, n in enumerate(names)}
    mac = {addr[n]: "02:00:00:00:01:%02x" % (0x51 + i)
           for i, n in enumerate(names)}
    raw = {a: bytes.fromhex(m.replace(":", "")) for a, m in mac.items()}
    end = 490

    def send(t, name, dst, proto, payload):
        cap.add_ip(t, addr[name], dst, proto, payload, raw[addr[name]])

    def setup(t, name, servers):
        """An announcement, DNS, NTP, then its servers, in 2 s."""
        a = addr[name]
        cap.add(t, arp_request(raw[a], a, a))
        send(t + 0.2, name, resolver, 17, udp(40001, 53, bytes(40)))
        send(t + 0.4, name, ntp, 17, udp(123, 123, bytes(48)))
        for i, srv in enumerate(servers):
            send(t + 0.6 + 0.3 * i, name, srv, 17,
                 udp(40002, 5683, bytes(80)))

    def telemetry(name, every, first, stop, dst=cloud):
        t = first
        while t < stop:
            send(t, name, dst, 17, udp(40000, 5683, bytes(60)))
            # DNS and NTP again every minute or so, as devices do.
            if int(t) % 60 < every:
                send(t + 0.1, name, resolver, 17, udp(40001, 53, bytes(40)))
            if int(t) % 64 < every:
                send(t + 0.2, name, ntp, 17, udp(123, 123, bytes(48)))
            t += every

    # The first frame at 0: offsets count from it.
    for i, n in enumerate(names):
        setup(i * 0.01, n, (video,) if n == "cam-1" else (cloud,))
    telemetry("sensor-1", 5, 3, end)
    telemetry("sensor-2", 5, 4.5, end)
    # The meter: a keepalive every 5 s, 150 kB of readings every 30 s.
    telemetry("meter-1", 5, 3.3, end, backup)
    for b in range(10, end, 30):
        for i in range(150):
            send(b + i / 150, "meter-1", backup, 17,
                 udp(40003, 8443, bytes(1000)))
    # The lamp reboots at 330: quiet 40 s, set up again with two servers
    # it has never used.
    telemetry("lamp-1", 2, 3.7, 330)
    setup(370, "lamp-1", (cloud, "198.19.1.11", "198.19.1.12"))
    telemetry("lamp-1", 2, 373.7, end)
    # The camera streams 30 frames a second, and at 440 reaches one new
    # destination (a firmware server) once.
    steady(cap, addr["cam-1"], video, 30, 2, end, size=1200, port=5004,
           mac=raw[addr["cam-1"]])
    for i in range(5):
        send(440 + i * 0.1, "cam-1", "198.19.2.99", 6,
             tcp_segment(40010, 443, 0x18 if i else 0x02))
    # web-1 opens a connection to its server every 2 s: SYNs are its
    # habit. At 320 it scans the server's ports, 25 a second for 10 s.
    t = 2.5
    while t < end:
        send(t, "web-1", web, 6, tcp_syn(41000 + int(t) % 1000, 443))
        send(t + 0.05, "web-1", web, 6,
             tcp_segment(41000 + int(t) % 1000, 443, 0x18))
        t += 2
    scan_start, scan_n = 320.0, 250
    for i in range(scan_n):
        send(scan_start + i / 25, "web-1", web, 6, tcp_syn(42000, 1 + i))
    # slow-1 reports every 5 s; from 300, 3 new ports a second.
    telemetry("slow-1", 5, 4.1, end)
    slow_start = 300.0
    slow_n = (end - 10 - int(slow_start)) * 3
    for i in range(slow_n):
        send(slow_start + i / 3, "slow-1", target, 17,
             udp(43000, 2000 + i, bytes(20)))
    # learner-1, a minute after enrollment: 1500 SYNs a second for 3 s.
    telemetry("learner-1", 5, 4.9, end)
    flood_start, flood_n = 60.0, 4500
    for i in range(flood_n):
        send(flood_start + i / 1500, "learner-1", "198.19.1.40", 6,
             tcp_syn(44000 + i % 20000, 80))
    write_city(out, mac, [(n, addr[n], "hijacked" if n in
                           ("web-1", "slow-1", "learner-1") else "benign")
                          for n in names], (
        ("connect-scan", addr["web-1"], scan_start,
         scan_start + (scan_n - 1) / 25, scan_n, "web-1", "hijacked"),
        ("slow-scan", addr["slow-1"], slow_start,
         slow_start + (slow_n - 1) / 3, slow_n, "slow-1", "hijacked"),
        ("learning-flood", addr["learner-1"], flood_start,
         flood_start + (flood_n - 1) / 1500, flood_n, "learner-1",
         "hijacked")))
    return {"devices": addr, "end": end, "reboot": 330,
            "new_destination": 440}


def main():
    args = sys.argv[1:]
    link = "eth"
    if "--link" in args:
        i = args.index("--link")
        link = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    scenario, out = args
    cap = Capture(link)
    # scenario: (its function, whether it is Ethernet only)
    scenarios = {
        "surge": (surge, False), "scan": (scan, False),
        "silence": (silence, False), "garbage": (garbage, True),
        "fuzz": (fuzz, False), "ipv6": (lambda c: surge(c, v6=True), False),
        "slowscan": (slowscan, False), "arp": (arp, True),
        "fingerprint": (fingerprint, False),
        "city": (lambda c: city(c, out), True),
        "life": (lambda c: life(c, out), True),
    }
    if scenario not in scenarios:
        sys.exit("unknown scenario %s" % scenario)
    make, ethernet_only = scenarios[scenario]
    if ethernet_only and link != "eth":
        sys.exit("%s: Ethernet only" % scenario)
    info = make(cap)
    cap.write(out)
    info["base"] = BASE
    info["frames"] = len(cap.records)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
