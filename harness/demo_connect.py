"""The end of the demo: serve node 1's rendered frontend TLS in front of a real Temporal dev server, connect
with the real Temporal CLI through the generated temporal.toml profile, and show a connection without a
client certificate being refused. Everything started here is stopped here.

Usage: python harness/demo_connect.py DEMO_DIR"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import temporal_harness as harness  # noqa: E402


def main(demo_dir):
    demo_dir = Path(demo_dir).resolve()
    pki = demo_dir / "pki"
    server_block = yaml.safe_load((demo_dir / "nodes" / "node1" / "config.yaml").read_text())["global"]["tls"]["frontend"]["server"]
    work = harness.workdir()
    started = time.monotonic()
    try:
        with harness.DevServer(work) as server, harness.TLSFront(work, server_block, server.address, "frontend.temporal.demo") as front:
            print("Temporal dev server (pid {0}, plaintext, loopback) on {1}; node1's rendered frontend TLS (Caddy, Go TLS, pid {2}) on {3}".format(
                server.pid, server.address, front.pid, front.address))
            ok = harness.cli_describe(front.address, profile="demo", config_file=pki / "temporal.toml")
            print("temporal operator namespace describe --profile demo (mTLS with {0}): {1}".format(
                "client-default-chain.pem", "CONNECTED, namespace 'default' described" if ok.ok else "FAILED\n" + ok.detail))
            refused = harness.cli_describe(front.address, env_vars={
                "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(pki / "root-ca.pem"), "TEMPORAL_TLS_SERVER_NAME": "frontend.temporal.demo"})
            reason = next((line.strip() for line in refused.detail.splitlines() if "tls" in line.lower()), refused.detail.strip()[:200])
            print("the same call without a client certificate: {0}".format("REFUSED (" + reason + ")" if not refused.ok else "ACCEPTED (wrong!)"))
            if not ok.ok or refused.ok:
                return 1
        print("stopped the dev server and the TLS front ({0:.1f}s)".format(time.monotonic() - started))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
