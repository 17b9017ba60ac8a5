"""A Python SDK application that keeps working through a rotation: every `period` seconds it connects anew with the
identity files on disk and completes a workflow that calls an activity, until STOP exists or max-seconds pass.

    python py-workflow-loop.py --addresses A:P,B:P --namespace NS --server-name NAME --ca CA --cert CHAIN --key KEY
                               --task-queue Q --out RESULTS.jsonl --stop STOP [--period 0.1] [--max-seconds 1800]

It runs one worker per frontend address, as an application spread over the cluster would. When the identity files
change (a reissue), each worker is handed a client connected with the new identity (`Worker.client`), which is how
a Python application picks up a new certificate. A call goes to the next frontend in turn and, when that one cannot
be reached or fails the call (it is restarting), to the others, as a load balancer would send it: a call fails
only when no frontend completes it. One JSON line per call: {"t", "ok", "address", "failovers", "error"}.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@activity.defn
async def greet(name: str) -> str:
    return "hello {0} from the loop".format(name)


@workflow.defn
class LoopGreeting:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=30))


def read_identity(args):
    """The certificate chain and key on disk, once they belong together: they are replaced one file at a time."""
    for _attempt in range(100):
        with open(args.cert, "rb") as cert_file, open(args.key, "rb") as key_file:
            cert, key = cert_file.read(), key_file.read()
        if x509.load_pem_x509_certificate(cert).public_key() == serialization.load_pem_private_key(key, None).public_key():
            return cert, key
        time.sleep(0.01)
    raise RuntimeError("the certificate and key on disk never matched")


async def connect(args, address, identity):
    with open(args.ca, "rb") as ca_file:
        roots = ca_file.read()
    tls = TLSConfig(server_root_ca_cert=roots, domain=args.server_name, client_cert=identity[0], client_private_key=identity[1])
    return await asyncio.wait_for(Client.connect(address, namespace=args.namespace, tls=tls), 5)


async def complete(args, address, identity, index):
    client = await connect(args, address, identity)
    name = "{0}-{1}".format(args.task_queue, index)
    result = await asyncio.wait_for(client.execute_workflow(LoopGreeting.run, name, id="{0}-{1}".format(name, time.time_ns()),
                                                            task_queue=args.task_queue, execution_timeout=timedelta(seconds=20)), 20)
    if result != "hello {0} from the loop".format(name):
        raise RuntimeError("the workflow returned {0!r}".format(result))


def describe(exc):
    return "{0}: {1}".format(type(exc).__name__, exc)[:300]


async def loop(args):
    addresses = args.addresses.split(",")
    identity = read_identity(args)
    fingerprint = hashlib.sha256(identity[0]).hexdigest()
    started = time.monotonic()
    workers = []
    with open(args.out, "a", buffering=1, encoding="utf-8") as out:
        for address in addresses:
            try:
                client = await connect(args, address, identity)
            except Exception as exc:  # a refused identity: its calls are then recorded as failing
                out.write(json.dumps({"t": time.time(), "worker_connect_failed": address, "error": describe(exc)}) + "\n")
                continue
            worker = Worker(client, task_queue=args.task_queue, workflows=[LoopGreeting], activities=[greet],
                            workflow_runner=UnsandboxedWorkflowRunner())
            workers.append((address, worker, asyncio.create_task(worker.run())))
        for index in range(sys.maxsize):
            if time.monotonic() - started > args.max_seconds or os.path.exists(args.stop):
                break
            begun = time.time()
            identity = read_identity(args)
            if hashlib.sha256(identity[0]).hexdigest() != fingerprint:
                fingerprint = hashlib.sha256(identity[0]).hexdigest()
                for address, worker, _task in workers:
                    try:
                        worker.client = await connect(args, address, identity)
                    except Exception as exc:  # that frontend is down: the others' workers poll meanwhile
                        out.write(json.dumps({"t": begun, "worker_reconnect_failed": address, "error": describe(exc)}) + "\n")
            record = {"t": begun, "ok": False, "failovers": []}
            for offset in range(len(addresses)):
                address = addresses[(index + offset) % len(addresses)]
                try:
                    await complete(args, address, identity, index)
                except Exception as exc:  # the next frontend gets the call, as behind a load balancer
                    record["failovers"].append("{0}: {1}".format(address, describe(exc)))
                    continue
                record.update(ok=True, address=address)
                break
            if not record["ok"]:
                record["error"] = record["failovers"][-1]
            out.write(json.dumps(record) + "\n")
            await asyncio.sleep(max(0.0, args.period - (time.time() - begun)))


def main():
    parser = argparse.ArgumentParser()
    for option in ("--addresses", "--namespace", "--server-name", "--ca", "--cert", "--key", "--task-queue", "--out", "--stop"):
        parser.add_argument(option, required=True)
    parser.add_argument("--period", type=float, default=0.1)
    parser.add_argument("--max-seconds", type=float, default=1800)
    args = parser.parse_args()
    asyncio.run(loop(args))
    sys.stdout.flush()
    # Workers mid-poll would hold the interpreter at exit; the results are written.
    os._exit(0)


if __name__ == "__main__":
    main()
