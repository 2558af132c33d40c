"""Upload a file with the official Python SDK (frameio 4.0.0) against the loopback stand-in.

Same steps as `upload-bench kit`: `client.files.create_local_upload(...)` through the SDK's
own HTTP client, then the SDK's upload helper `frameio.upload.FrameioUploader` PUTs the
parts. Prints `sdk <seconds> <MiB/s>` like the Rust modes.

usage: sdk_upload.py BASE_URL FILE CONCURRENCY
"""

import os
import sys
import time

from frameio import Frameio
from frameio.files import FileCreateLocalUploadParamsData
from frameio.upload import FrameioUploader


def main() -> None:
    base, path, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    size = os.path.getsize(path)
    client = Frameio(base_url=base, token="bench")
    started = time.monotonic()
    response = client.files.create_local_upload(
        account_id="a1",
        folder_id="f1",
        data=FileCreateLocalUploadParamsData(name="bench.bin", file_size=size),
    )
    with open(path, "rb") as f:
        FrameioUploader(response.data, f, max_workers=concurrency).upload()
    secs = time.monotonic() - started
    print(f"sdk {secs:.3f} {size / (1 << 20) / secs:.1f}")


if __name__ == "__main__":
    main()
