# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pack a directory into a deterministic tar.gz: same content, same bytes.

Usage: pack.py SOURCE_DIR ARCHIVE

Entries are sorted, owned by 0:0 with no names, dated 0, with modes 0755 (directories and
executables) or 0644; the gzip header carries no name and no date. Prints the SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
import tarfile

SKIPPED = {".git", "__pycache__", ".pytest_cache"}


def entries(root: str) -> list[str]:
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in dirs + sorted(files):
            found.append(os.path.relpath(os.path.join(current, name), root))
    return sorted(found)


def pack(root: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in entries(root):
            path = os.path.join(root, relative)
            info = tar.gettarinfo(path, arcname=relative)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            executable = info.isdir() or bool(info.mode & 0o111)
            info.mode = 0o755 if executable else 0o644
            if info.isfile():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed:
        compressed.write(buffer.getvalue())
    return raw.getvalue()


def main() -> None:
    source, archive = sys.argv[1], sys.argv[2]
    data = pack(source)
    with open(archive, "wb") as handle:
        handle.write(data)
    print(hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    main()
