#!/usr/bin/env python3
"""test_get_data.py: tools/get_data.py against a local HTTP server on
loopback: a good download, a corrupt and a truncated file (refused, nothing
left behind), a server that is not there (the offline message), a bad local
copy skipped, and a file already in place. The good cases need the real
file (Tiny Shakespeare beside the repository, ../shared/data); without it
they are skipped and said so."""
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(REPO, "tools", "get_data.py")
REAL = os.path.join(os.path.dirname(REPO), "shared", "data", "tinyshakespeare.txt")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def run(*args):
    p = subprocess.run([sys.executable, TOOL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def main():
    failed, passed, skipped = 0, 0, 0
    work = tempfile.mkdtemp(prefix="ligo_get_data_")
    serve = os.path.join(work, "www")
    os.makedirs(serve)
    have_real = os.path.exists(REAL)
    if have_real:
        data = open(REAL, "rb").read()
        open(os.path.join(serve, "good.txt"), "wb").write(data)
        bad = bytearray(data)
        bad[len(bad) // 2] ^= 1
        open(os.path.join(serve, "corrupt.txt"), "wb").write(bytes(bad))
        open(os.path.join(serve, "short.txt"), "wb").write(data[: len(data) - 100])
    else:
        open(os.path.join(serve, "corrupt.txt"), "wb").write(b"x" * 1115394)
        open(os.path.join(serve, "short.txt"), "wb").write(b"First Citizen:\n")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=serve))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/" % srv.server_address[1]

    def case(name, ok, msg=""):
        nonlocal failed, passed
        if ok:
            passed += 1
        else:
            failed += 1
            print("get_data: %s FAILED %s" % (name, msg))

    out = os.path.join(work, "data", "tiny.txt")
    for name in ("corrupt.txt", "short.txt"):
        rc, text = run("--out", out, "--no-local", "--url", base + name)
        case(name, rc == 1 and "not Tiny Shakespeare" in text and not os.path.exists(out) and not os.path.exists(out + ".tmp"),
             "(exit %d: %s)" % (rc, text.strip()))
    rc, text = run("--out", out, "--no-local", "--url", base + "missing.txt")
    case("404", rc == 1 and "cannot download" in text and not os.path.exists(out), text.strip())
    port = srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    rc, text = run("--out", out, "--no-local", "--url", "http://127.0.0.1:%d/good.txt" % port, "--timeout", "5")
    case("offline", rc == 1 and "Offline?" in text and not os.path.exists(out), text.strip())
    if have_real:
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=serve))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d/" % srv.server_address[1]
        # a bad local copy is skipped, then the download is used
        rc, text = run("--out", out, "--no-local", "--from", os.path.join(serve, "corrupt.txt"), "--url", base + "good.txt")
        case("download", rc == 0 and "skipped" in text and "downloaded" in text and open(out, "rb").read() == data, text.strip())
        rc, text = run("--out", out, "--no-local", "--url", base + "corrupt.txt")
        case("already there", rc == 0 and "already there" in text, text.strip())
        os.remove(out)
        rc, text = run("--out", out, "--url", base + "corrupt.txt")
        case("local copy", rc == 0 and "copied from" in text, text.strip())
        srv.shutdown()
    else:
        skipped = 3
        print("get_data: the good-file cases skipped (no %s)" % REAL)
    shutil.rmtree(work, ignore_errors=True)
    print("get_data: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
