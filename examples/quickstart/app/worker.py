"""A worker that reports the visit counter every INTERVAL seconds."""

import os
import time

from web import redis

interval = float(os.environ.get("INTERVAL", "5"))
while True:
    print(f"worker: hits so far = {redis('GET', 'hits') or 0}", flush=True)
    time.sleep(interval)
