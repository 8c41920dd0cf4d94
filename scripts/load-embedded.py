#!/usr/bin/env python3
"""Sustained load on `wa-pipeline run` over its embedded broker, counting every event.

    python3 scripts/load-embedded.py BINARY [RATE ...]

For each rate (requests per second, open loop, 10 s each) it starts a fresh `run --print`
on a new data directory, posts signed single-message webhooks with unique wamids, then
stops it with SIGTERM (normalize drains what ingest stored) and reports: requests answered
200, 503 and other, records printed, answers' p50/p99, and whether every 200 has its record.
"""
import hashlib, hmac, http.client, json, os, signal, socket, subprocess, sys, tempfile, threading, time

SECRET = b"load-secret"

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def body(i):
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "1065403500012345"},
        "messages": [{"from": "1555%07d" % (i % 1000), "id": "wamid.LOAD%08d" % i, "timestamp": "1767225600", "type": "text", "text": {"body": "load"}}]}}]}]}).encode()

def run(binary, rate, seconds=10):
    data = tempfile.mkdtemp(prefix="wa-load-")
    port = free_port()
    out = open(os.path.join(data, "out.jsonl"), "w")
    env = dict(os.environ, WHATSAPP_APP_SECRET=SECRET.decode(), LISTEN_ADDR="127.0.0.1:%d" % port,
               WA_DATA_DIR=os.path.join(data, "broker"), BROKER_LISTEN="127.0.0.1:0", RUST_LOG="warn")
    proc = subprocess.Popen([binary, "run", "--print"], env=env, stdout=out, stderr=open(os.path.join(data, "log"), "w"))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2); c.request("GET", "/readyz")
            if c.getresponse().status == 200: break
        except OSError: pass
        time.sleep(0.2)
    results, lock = [], threading.Lock()
    def send(i):
        b = body(i)
        sig = "sha256=" + hmac.new(SECRET, b, hashlib.sha256).hexdigest()
        t0 = time.time()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("POST", "/webhook", b, {"Content-Type": "application/json", "X-Hub-Signature-256": sig})
            status = c.getresponse().status
        except OSError:
            status = 0
        with lock: results.append((i, status, time.time() - t0))
    threads, start = [], time.time()
    for i in range(int(rate * seconds)):
        wait = start + i / rate - time.time()
        if wait > 0: time.sleep(wait)
        t = threading.Thread(target=send, args=(i,)); t.start(); threads.append(t)
    for t in threads: t.join()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
        exited = "exited %d" % proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill(); proc.wait()
        exited = "did not exit within 120 s of SIGTERM"
    printed = set()
    for line in open(os.path.join(data, "out.jsonl")):
        v = json.loads(line)["value"]
        if "messageId" in v: printed.add(v["messageId"])
    ok = [r for r in results if r[1] == 200]
    lat = sorted(r[2] for r in results)
    missing = [r for r in ok if "wamid.LOAD%08d" % r[0] not in printed]
    print("rate %4d/s: sent %d, 200: %d, 503: %d, other: %d, records out: %d, 200 without record: %d, answer p50 %.1f ms p99 %.1f ms, %s" % (
        rate, len(results), len(ok), sum(1 for r in results if r[1] == 503), sum(1 for r in results if r[1] not in (200, 503)),
        len(printed), len(missing), 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99) - 1], exited))
    sys.stdout.flush()

if __name__ == "__main__":
    for rate in [int(r) for r in sys.argv[2:]] or [100, 250, 500]:
        run(sys.argv[1], rate)
