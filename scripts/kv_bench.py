#!/usr/bin/env python3
"""Closed-loop key-value load generator with one structure for two protocols.

Used by scripts/compare-etcd to load Synod (RESP2 over TCP) and etcd (its HTTP/JSON
gateway, /v3/kv/put and /v3/kv/range, over HTTP/1.1 keep-alive connections) in the
same way: N concurrent clients on one asyncio loop, each with its own connection,
each sending one request and waiting for its answer before the next, until --ops
operations in all or --seconds have passed. Reads are linearizable on both systems
(etcd's range is linearizable unless serializable is asked for; Synod's GET waits
for a read point). Only the standard library is used.

    scripts/kv_bench.py --protocol resp --target 127.0.0.1:7201 --clients 16 --kind write
    scripts/kv_bench.py --protocol etcd --target 127.0.0.1:2379 --clients 16 --kind read

Prints one JSON object: ops/s, p50/p99/p999 in microseconds, errors, and this
process's own CPU use in percent of one core. Exit 0; 2 on bad arguments or an
unreachable target; 1 when more than 1 % of the operations failed.
"""

import argparse
import asyncio
import base64
import json
import random
import socket
import sys
import time


def key_name(index):
    return "bench:%06d" % index


class RespClient:
    """One RESP connection: SET key value / GET key."""

    def __init__(self, host, port, value):
        self.host, self.port, self.value = host, port, value

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        self.writer.close()

    @staticmethod
    def encode(*words):
        out = [b"*%d\r\n" % len(words)]
        for word in words:
            out.append(b"$%d\r\n%s\r\n" % (len(word), word))
        return b"".join(out)

    def request(self, is_read, key):
        if is_read:
            return self.encode(b"GET", key.encode())
        return self.encode(b"SET", key.encode(), self.value)

    async def answer(self, is_read):
        """Reads one answer; returns None when it is the expected kind, else the failure."""
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("the server closed the connection")
        kind = line[:1]
        if kind == b"$":
            length = int(line[1:-2])
            if length >= 0:
                await self.reader.readexactly(length + 2)
            return None if is_read else "unexpected bulk answer to SET"
        if kind == b"+":
            return None if (not is_read and line == b"+OK\r\n") else "unexpected answer %r" % line[:60]
        if kind == b"-":
            return "error answer: %s" % line[1:-2].decode(errors="replace")
        return "unexpected answer %r" % line[:60]


class EtcdClient:
    """One HTTP/1.1 keep-alive connection to etcd's gRPC gateway."""

    def __init__(self, host, port, value):
        self.host, self.port = host, port
        self.value64 = base64.b64encode(value).decode()

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        self.writer.close()

    def request(self, is_read, key):
        key64 = base64.b64encode(key.encode()).decode()
        if is_read:
            path, body = "/v3/kv/range", '{"key":"%s"}' % key64
        else:
            path, body = "/v3/kv/put", '{"key":"%s","value":"%s"}' % (key64, self.value64)
        body = body.encode()
        head = (
            "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (path, self.host, self.port, len(body))
        )
        return head.encode() + body

    async def answer(self, is_read):
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ", 2)
        headers = {}
        for line in lines[1:]:
            if b":" in line:
                name, value = line.split(b":", 1)
                headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(parts)
        else:
            raise ConnectionError("answer without a length")
        if len(status) < 2 or status[1] != b"200":
            return "HTTP %s: %s" % (status[1:2], body[:80])
        if b'"header"' not in body:
            return "unexpected answer %r" % body[:80]
        if is_read and b'"kvs"' not in body:
            return "range found no value"
        return None


async def run(args, host, port, mode, limit):
    """Runs one phase: 'prefill' writes every key once, 'write'/'read' the measured load."""
    value = bytes(random.Random(args.seed).choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(args.value_size))
    make = RespClient if args.protocol == "resp" else EtcdClient
    claimed = [0]
    latencies = []
    failures = {}
    deadline = time.monotonic() + args.seconds

    async def client(number):
        rng = random.Random(args.seed * 1_000_003 + number)
        connection = None
        while time.monotonic() < deadline and claimed[0] < limit:
            index = claimed[0]
            claimed[0] += 1
            is_read = mode == "read"
            key = key_name(index if mode == "prefill" else rng.randrange(args.keys))
            start = time.perf_counter_ns()
            try:
                if connection is None:
                    connection = make(host, port, value)
                    await asyncio.wait_for(connection.connect(), args.timeout)
                connection.writer.write(connection.request(is_read, key))
                failure = await asyncio.wait_for(connection.answer(is_read), args.timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                failure = "%s: %s" % (type(error).__name__, error)
                if connection is not None:
                    connection.close()
                connection = None
                await asyncio.sleep(0.05)
            if failure is None:
                latencies.append(time.perf_counter_ns() - start)
            else:
                failures[failure] = failures.get(failure, 0) + 1
        if connection is not None:
            connection.close()

    cpu_before = time.process_time()
    wall_before = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(args.clients)))
    elapsed = time.monotonic() - wall_before
    cpu = time.process_time() - cpu_before
    latencies.sort()

    def percentile(fraction):
        if not latencies:
            return 0
        rank = max(1, int(-(-fraction * len(latencies) // 1)))
        return latencies[min(len(latencies), rank) - 1] // 1000

    return {
        "ops": len(latencies),
        "errors": sum(failures.values()),
        "failures": failures,
        "elapsed_s": elapsed,
        "ops_per_s": len(latencies) / elapsed if elapsed > 0 else 0,
        "p50_us": percentile(0.50),
        "p99_us": percentile(0.99),
        "p999_us": percentile(0.999),
        "max_us": latencies[-1] // 1000 if latencies else 0,
        "generator_cpu_percent": 100 * cpu / elapsed if elapsed > 0 else 0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocol", choices=["resp", "etcd"], required=True)
    parser.add_argument("--target", required=True, help="HOST:PORT")
    parser.add_argument("--kind", choices=["write", "read"], default="write")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--ops", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--value-size", type=int, default=256)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    if not (1 <= args.clients <= 1024 and args.ops >= 1 and 0 < args.seconds <= 3600 and port.isdigit()):
        parser.error("bad --clients, --ops, --seconds or --target")
    port = int(port)
    try:
        socket.create_connection((host, port), timeout=args.timeout).close()
    except OSError as error:
        print("kv_bench: %s cannot be reached: %s" % (args.target, error), file=sys.stderr)
        return 2
    report = {"generator": "kv_bench.py/" + args.protocol, "clients": args.clients, "kind": args.kind}
    if args.kind == "read":
        # Every key once, so that each read finds a value; not measured.
        prefill = asyncio.run(run(args, host, port, "prefill", args.keys))
        report["prefill_errors"] = prefill["errors"]
    result = asyncio.run(run(args, host, port, args.kind, args.ops))
    report.update(result)
    print(json.dumps(report, sort_keys=True))
    attempted = result["ops"] + result["errors"] + report.get("prefill_errors", 0)
    return 1 if (result["errors"] + report.get("prefill_errors", 0)) * 100 > attempted else 0


if __name__ == "__main__":
    sys.exit(main())
