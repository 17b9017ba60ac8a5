"""The Python SDK (temporalio: Rust core, rustls) doing real work through a generated temporal.toml profile.

    python py-worker.py --config-file temporal.toml --profile NAME --task-queue Q [--address HOST:PORT] [--timeout 60]

Loads the profile with the SDK's own envconfig (address, namespace and every TLS setting come from the file),
starts a worker on the task queue, runs one workflow that calls one activity, and prints one JSON line:
{"ok": true, "client": "python", "workflow_id": ..., "result": ...} or {"ok": false, "client": "python", "error": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@activity.defn
async def greet(name: str) -> str:
    return "hello {0} from python".format(name)


@workflow.defn
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=30))


async def work(args):
    config = ClientConfig.load_client_connect_config(profile=args.profile, config_file=args.config_file, disable_env=True)
    if args.address:
        config["target_host"] = args.address
    client = await asyncio.wait_for(Client.connect(**config), args.timeout)
    workflow_id = "{0}-{1}".format(args.task_queue, time.time_ns())
    # The workflow code is deterministic and tiny: the sandbox's import checks only cost start-up time here.
    async with Worker(client, task_queue=args.task_queue, workflows=[Greeting], activities=[greet],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        result = await client.execute_workflow(Greeting.run, args.task_queue, id=workflow_id, task_queue=args.task_queue,
                                               execution_timeout=timedelta(seconds=args.timeout))
    expected = "hello {0} from python".format(args.task_queue)
    if result != expected:
        raise RuntimeError("the workflow returned {0!r}, not {1!r}".format(result, expected))
    return {"workflow_id": workflow_id, "result": result}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--address")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    try:
        out = dict(ok=True, client="python", **asyncio.run(asyncio.wait_for(work(args), args.timeout)))
    except BaseException as exc:  # the one line must be printed whatever failed
        out = {"ok": False, "client": "python", "error": "{0}: {1}".format(type(exc).__name__, exc)[:2000]}
    print(json.dumps(out), flush=True)
    # The SDK can abort at interpreter exit after finishing its work: the printed line is the result.
    os._exit(0 if out["ok"] else 1)


if __name__ == "__main__":
    sys.exit(main())
