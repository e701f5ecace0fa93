#!/usr/bin/env python3
"""Pin the TF Serving base images of every stack, and the metrics adapter image the stacks
deploy, by digest in model_images/base-images.lock.

Needs network access to Docker Hub and gcr.io. Run from the project root: `make lock-base-images`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.images.lockrefresh import refresh  # noqa: E402
from infra.preview.stackfile import available_stacks, load_spec  # noqa: E402
from infra.serving.metrics_adapter import IMAGE as ADAPTER_IMAGE  # noqa: E402


def main() -> int:
    versions = sorted(
        {load_spec(ROOT, s).images.tf_serving_version for s in available_stacks(ROOT)}
    )
    refresh(ROOT, versions, images=[ADAPTER_IMAGE])
    print(f"pinned tensorflow/serving {', '.join(versions)} (CPU and GPU) and {ADAPTER_IMAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
