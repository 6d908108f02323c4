#!/usr/bin/env python3
"""get_data.py: put Tiny Shakespeare where the README's commands look for it.

    python3 tools/get_data.py [--out data/tinyshakespeare.txt] [--from FILE] [--url URL] [--no-local]

Uses, in order: the file already at --out when its SHA-256 is right; --from
FILE; a local copy beside the repository (../shared/data/tinyshakespeare.txt)
or in $LIGO_DATA_DIR; else downloads --url (by default the copy in
karpathy/char-rnn). Every candidate must have the known SHA-256; a wrong or
truncated file is refused and nothing is left at --out. The file is written
to a temporary name and renamed, so --out is never half-written. Prints
where the file is. Exit 0 on success, 1 otherwise (offline: says what to do).
Standard library only.
"""
import argparse
import hashlib
import os
import shutil
import sys
import urllib.error
import urllib.request

SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
SIZE = 1115394
URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def check(path):
    """None when the file is the right one, else what is wrong with it."""
    try:
        size = os.path.getsize(path)
    except OSError as e:
        return str(e)
    if size != SIZE:
        return "%d bytes, want %d" % (size, SIZE)
    got = sha256(path)
    if got != SHA256:
        return "SHA-256 %s, want %s" % (got, SHA256)
    return None


def install(tmp, out):
    why = check(tmp)
    if why:
        os.remove(tmp)
        return why
    os.replace(tmp, out)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO, "data", "tinyshakespeare.txt"))
    ap.add_argument("--from", dest="src", help="a local copy to use")
    ap.add_argument("--url", default=URL)
    ap.add_argument("--no-local", action="store_true", help="skip the local copies beside the repository")
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    if os.path.exists(out) and check(out) is None:
        print("data: %s (already there, SHA-256 checked)" % out)
        return 0
    local = []
    if a.src:
        local.append(a.src)
    if not a.no_local:
        if os.environ.get("LIGO_DATA_DIR"):
            local.append(os.path.join(os.environ["LIGO_DATA_DIR"], "tinyshakespeare.txt"))
        local.append(os.path.join(os.path.dirname(REPO), "shared", "data", "tinyshakespeare.txt"))
    for src in local:
        if not os.path.exists(src):
            continue
        shutil.copyfile(src, tmp)
        why = install(tmp, out)
        if why is None:
            print("data: %s (copied from %s, SHA-256 checked)" % (out, src))
            return 0
        print("data: %s is not Tiny Shakespeare (%s); skipped" % (src, why), file=sys.stderr)
    try:
        with urllib.request.urlopen(a.url, timeout=a.timeout) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
    except (urllib.error.URLError, OSError, ValueError) as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        print("data: cannot download %s (%s).\n"
              "Offline? Copy Tiny Shakespeare (1,115,394 bytes, SHA-256 %s) to %s,\n"
              "or run: python3 tools/get_data.py --from PATH" % (a.url, e, SHA256, out), file=sys.stderr)
        return 1
    why = install(tmp, out)
    if why:
        print("data: the file downloaded from %s is not Tiny Shakespeare (%s); nothing was written" % (a.url, why),
              file=sys.stderr)
        return 1
    print("data: %s (downloaded from %s, SHA-256 checked)" % (out, a.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
