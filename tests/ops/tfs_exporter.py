"""A scripted stand-in for TF Serving's Prometheus endpoint, one path per track.

It serves the metric names, label names, value formats and histogram buckets TF Serving's
own exporter writes (tensorflow/serving servables/tensorflow/util.cc: request_count with
`model_name`,`status`; request_latency with `model_name`,`API`,`entrypoint`, buckets
Exponential(10, 1.8, 33) in microseconds; util/prometheus_exporter.cc: "/" -> ":", the
`_bucket`/`_sum`/`_count` lines). Each scrape of a track adds one scripted batch of
requests, so the rates Prometheus computes follow from the script, not from a clock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUCKETS = [10 * 1.8**i for i in range(32)]  # then +Inf: 33 buckets in all


@dataclass(frozen=True)
class Batch:
    """What one scrape interval of a track brings: requests by status and by latency."""

    ok: int
    failed: int
    latencies_micros: tuple[tuple[float, int], ...]
    """(latency, how many requests) pairs; their counts add up to ok + failed."""


@dataclass
class TrackState:
    batch: Batch
    ok: int = 0
    failed: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total_micros: float = 0.0

    def advance(self) -> None:
        self.ok += self.batch.ok
        self.failed += self.batch.failed
        for latency, count in self.batch.latencies_micros:
            index = next((i for i, limit in enumerate(BUCKETS) if latency <= limit), len(BUCKETS))
            self.buckets[index] += count
            self.total_micros += latency * count

    def render(self, model: str) -> str:
        lines = [
            "# TYPE :tensorflow:serving:request_count counter",
            f':tensorflow:serving:request_count{{model_name="{model}",status="OK"}} {self.ok}',
        ]
        if self.failed:
            lines.append(
                f':tensorflow:serving:request_count{{model_name="{model}",'
                f'status="INVALID_ARGUMENT"}} {self.failed}'
            )
        labels = f'model_name="{model}",API="predict",entrypoint="REST"'
        lines.append("# TYPE :tensorflow:serving:request_latency histogram")
        cumulative = 0
        for index, count in enumerate(self.buckets):
            cumulative += count
            limit = f"{BUCKETS[index]:g}" if index < len(BUCKETS) else "+Inf"
            lines.append(
                f':tensorflow:serving:request_latency_bucket{{{labels},le="{limit}"}} {cumulative}'
            )
        lines.append(f":tensorflow:serving:request_latency_sum{{{labels}}} {self.total_micros}")
        lines.append(f":tensorflow:serving:request_latency_count{{{labels}}} {cumulative}")
        return "\n".join(lines) + "\n"


class Exporter:
    """Serves /<track>/metrics for each scripted track on 127.0.0.1, in a thread."""

    def __init__(self, model: str, tracks: dict[str, Batch]) -> None:
        self.model = model
        self.tracks = {name: TrackState(batch) for name, batch in tracks.items()}
        self.lock = threading.Lock()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                track = self.path.strip("/").split("/")[0]
                state = exporter.tracks.get(track)
                if state is None or not self.path.endswith("/metrics"):
                    self.send_error(404)
                    return
                with exporter.lock:
                    state.advance()
                    body = state.render(exporter.model).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> Exporter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
