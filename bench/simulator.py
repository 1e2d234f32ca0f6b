"""Simulator benchmark: how many creates a second does the telephony simulator take, next to a
minimal create-only server measured in the same run, and does its memory stay bounded?

Starts, on loopback:
  simulator  as ./run starts it (`burgernet simulator`), at SIM_SPEED=0 as the tests and the
             dispatch benchmark run it, so every call plays out at once: the most callbacks a
             second it can be asked for
  stub       bench/provider_stub.py, which only answers creates: the ceiling of this client,
             machine and load
  sink       bench/callback_sink.py, where the simulator's status callbacks and TwiML requests
             go (a short alert TwiML, 204 for everything else)
Each run sends `--count` creates (half calls as the gateway makes them, with four status events
and asynchronous answering-machine detection, half SMS) with the bare twilio client from
`--threads` threads, first into the stub, then into the simulator. "Played out" is the rate until
the simulator is idle again: every call rung, answered and hung up, every callback sent. Then
one long run of `--long` creates into the simulator alone, with its resident memory (RSS, of the
serving process and its playback processes together) before and after it, and its peak.
Prints min/median/max over the runs.

    .venv/bin/python bench/simulator.py                          # 3 runs of 10,000, then 100,000
    .venv/bin/python bench/simulator.py --count 5000 --long 20000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port  # noqa: E402
from gateway.devserver import wait_until_up  # noqa: E402
from simulator.client import make_client  # noqa: E402
from simulator.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN  # noqa: E402

FROM = "+3197010000000"
EVENTS = ["initiated", "ringing", "answered", "completed"]


def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def memory(pid: int) -> dict[str, float]:
    """Resident and peak resident memory of a process and its children (the simulator's
    playback processes), in MB; the peak is the sum of each one's peak."""
    total = {"VmRSS": 0.0, "VmHWM": 0.0}
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for one in [pid, *map(int, children)]:
        try:
            lines = Path(f"/proc/{one}/status").read_text().splitlines()
        except FileNotFoundError:  # ended meanwhile
            continue
        for line in lines:
            name, _, value = line.partition(":")
            if name in total:
                total[name] += int(value.split()[0]) / 1024
    return {"rss_mb": round(total["VmRSS"], 1), "peak_mb": round(total["VmHWM"], 1)}


def creates(api: str, sink: str, count: int, threads: int, first: int) -> float:
    """`count` creates through the twilio client from `threads` threads; creates a second."""
    client = make_client(api, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)

    def one(i: int) -> None:
        # Numbers end in every digit, so the simulator's default behaviours all occur
        # (answer, voicemail, no-answer, busy).
        to = f"+3163{i:07d}"
        if i % 2:
            client.messages.create(to=to, from_=FROM, body="Burgernet: let op een man in een rode jas.",
                                   status_callback=f"{sink}/status/sms/{i}/1")
        else:
            client.calls.create(to=to, from_=FROM, url=f"{sink}/voice/alert/{i}", method="POST",
                                status_callback=f"{sink}/status/voice/{i}/1",
                                status_callback_event=EVENTS, status_callback_method="POST",
                                machine_detection="DetectMessageEnd", async_amd="true",
                                async_amd_status_callback=f"{sink}/amd/{i}/1",
                                async_amd_status_callback_method="POST", timeout=25)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(first, first + count)))
    return count / (time.perf_counter() - started)


def wait_idle(sim: str) -> None:
    while not requests.get(sim + "/sim/wait", params={"idle": 1, "timeout": 60}).json()["idle"]:
        pass


def spread(values: list[float], fmt: str = ",.0f") -> str:
    return " / ".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="creates per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--long", type=int, default=100_000, help="creates in the memory run (0: none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    ports = {"sim": free_port(), "stub": free_port(), "sink": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {**os.environ, "SIM_SPEED": "0"}
    logs = Path(tempfile.mkdtemp())
    py = sys.executable
    processes = {
        "sim": spawn([py, "-m", "gateway.cli", "simulator", "--port", str(ports["sim"])], env,
                     logs / "sim.log"),
        "stub": spawn([py, str(ROOT / "bench" / "provider_stub.py"), "--port", str(ports["stub"])], env,
                      logs / "stub.log"),
        "sink": spawn([py, str(ROOT / "bench" / "callback_sink.py"), "--port", str(ports["sink"])], env,
                      logs / "sink.log"),
    }
    stub, sim, sink = urls["stub"], urls["sim"], urls["sink"]
    rates: dict[str, list[float]] = {"stub": [], "simulator": [], "played_out": []}
    long_run: dict = {}
    try:
        wait_until_up(sim + "/sim/health")
        wait_until_up(sink + "/sink/stats")
        wait_until_up(f"{stub}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Calls.json")
        pid = processes["sim"].pid
        before = memory(pid)
        serial = 0
        for run in range(args.runs):
            rates["stub"].append(creates(stub, sink, args.count, args.threads, serial))
            started = time.perf_counter()
            rates["simulator"].append(creates(sim, sink, args.count, args.threads, serial))
            wait_idle(sim)
            rates["played_out"].append(args.count / (time.perf_counter() - started))
            serial += args.count
            print(f"run {run + 1}: stub {rates['stub'][-1]:,.0f}/s simulator {rates['simulator'][-1]:,.0f}/s "
                  f"played out {rates['played_out'][-1]:,.0f}/s, simulator {memory(pid)}", file=sys.stderr)
        if args.long:
            start_memory = memory(pid)
            started = time.perf_counter()
            rate = creates(sim, sink, args.long, args.threads, serial)
            during = memory(pid)
            wait_idle(sim)
            long_run = {"creates": args.long, "rate": round(rate),
                        "played_out_rate": round(args.long / (time.perf_counter() - started)),
                        "rss_before_mb": start_memory["rss_mb"], "rss_end_of_creates_mb": during["rss_mb"],
                        "rss_after_mb": memory(pid)["rss_mb"], "peak_mb": memory(pid)["peak_mb"]}
            print(f"long run: {long_run}", file=sys.stderr)
        callbacks = requests.get(sink + "/sink/stats").json()
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(10)

    ratio = statistics.median(rates["simulator"]) / statistics.median(rates["stub"])
    print(f"creates={args.count:,} a run, threads={args.threads}, runs={args.runs}, SIM_SPEED=0 "
          "(min / median / max, creates a second)")
    print(f"{'stub (ceiling)':<26}{spread(rates['stub']):>24}")
    print(f"{'simulator':<26}{spread(rates['simulator']):>24}   ratio {ratio:.2f}")
    print(f"{'simulator, played out':<26}{spread(rates['played_out']):>24}")
    print(f"simulator memory at start: {before['rss_mb']} MB RSS; webhooks received by the sink: {callbacks}")
    if long_run:
        lr = long_run
        print(f"long run of {args.long:,}: {lr['rate']:,}/s, played out {lr['played_out_rate']:,}/s; "
              f"RSS {lr['rss_before_mb']} MB before, {lr['rss_end_of_creates_mb']} MB when the "
              f"last create was answered, {lr['rss_after_mb']} MB idle after; peak {lr['peak_mb']} MB")
    if args.json:
        print(json.dumps({
            "creates": args.count, "threads": args.threads, "runs": args.runs,
            "rate": round(statistics.median(rates["simulator"])),
            "ceiling_rate": round(statistics.median(rates["stub"])), "ratio": round(ratio, 3),
            "played_out_rate": round(statistics.median(rates["played_out"])),
            "runs_detail": {k: [round(v) for v in vs] for k, vs in rates.items()},
            "rss_start_mb": before["rss_mb"], "long": long_run, "webhooks": callbacks}))


if __name__ == "__main__":
    main()
