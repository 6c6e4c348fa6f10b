"""isobench python-wsgi scenario: a WSGI app served by the standard library's wsgiref.

Routes:
  /       hello world
  /page   a product listing table rendered from data, with HTML escaping (about 5-10 KB)
  /probe  increments a module-level counter and returns it (isolation probe)
  /isolation/<probe>?token=T  the isolation suite (harness/isolation): reports as JSON what an
          earlier request left ("seen") and leaves T behind; probes are listed in ISOLATION_PROBES

With ISOBENCH_TEST_ROUTES=1 in the environment (tests only; benchmark runs never set it):
  /loop                 loops forever
  /alloc?mb=N           allocates and touches N MiB
  /read?path=P          opens P: the first 16 bytes as "ok <repr>", else the errno name
  /connect-out?port=N   connects to 127.0.0.1:N: "connected", else the errno name
  /listen-other?port=N  binds and listens on 127.0.0.1:N (default 0): "listening", else the errno name
  /write?path=P         creates/truncates P and writes to it: "wrote", else the errno name
  /fork                 os.fork(): "forked" (the child exits at once), else the errno name
  /exec                 os.execv("/bin/sh", ...): replaces the process, else the errno name
  /spawn                runs /bin/true as a child (subprocess): "spawned", else the errno name

Usage: app.py [--host 127.0.0.1] [--port 8000] [--delay-ms 0]
"""
import argparse
import errno
import html
import json
import os
import random
import select
import signal
import socket
import sys
import time
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

probe_counter = 0
delay_seconds = 0.0

CATEGORIES = ["Tools", "Garden", "Kitchen", "Books & Media", "Toys <Kids>"]
PRODUCTS = [
    {
        "sku": f"SKU-{i:04d}",
        "name": f"Product {i} \"{['Deluxe', 'Basic', 'Pro', 'Mini'][i % 4]}\" & more",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "price_cents": 199 + (i * 137) % 9000,
        "stock": (i * 7) % 23,
    }
    for i in range(1, 51)
]


def render_page():
    rows = []
    for p in PRODUCTS:
        stock = "in stock" if p["stock"] > 0 else "sold out"
        rows.append(
            "<tr><td>{sku}</td><td>{name}</td><td>{cat}</td><td class=\"num\">{price}</td><td>{stock}</td></tr>".format(
                sku=html.escape(p["sku"]),
                name=html.escape(p["name"]),
                cat=html.escape(p["category"]),
                price="%d.%02d" % divmod(p["price_cents"], 100),
                stock=stock,
            )
        )
    total = sum(p["price_cents"] for p in PRODUCTS)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Catalogue &amp; prices</title></head>"
        "<body><h1>Catalogue</h1><table id=\"products\"><thead><tr><th>SKU</th><th>Name</th><th>Category</th>"
        "<th>Price</th><th>Stock</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table><p id=\"summary\">%d products, total %d.%02d</p></body></html>\n"
        % ((len(PRODUCTS),) + divmod(total, 100))
    )


def errno_name(err):
    return errno.errorcode.get(err.errno, type(err).__name__) if err.errno else type(err).__name__


def test_loop(query):
    while True:
        pass


def test_alloc(query):
    mb = int(query.get("mb", ["1"])[0])
    block = b"\x01" * (mb << 20)  # filled, so every page is touched
    return "touched %d MiB" % (len(block) >> 20)


def test_read(query):
    try:
        with open(query.get("path", [""])[0], "rb") as f:
            return "ok %r" % f.read(16)
    except OSError as err:
        return errno_name(err)


def test_connect_out(query):
    try:
        with socket.create_connection(("127.0.0.1", int(query.get("port", ["9"])[0])), timeout=2):
            return "connected"
    except OSError as err:
        return errno_name(err)


def test_listen_other(query):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", int(query.get("port", ["0"])[0])))
            s.listen(1)
            return "listening"
    except OSError as err:
        return errno_name(err)


def test_write(query):
    try:
        with open(query.get("path", [""])[0], "w") as f:
            f.write("written by the guest\n")
        return "wrote"
    except OSError as err:
        return errno_name(err)


def test_fork(query):
    try:
        pid = os.fork()
    except OSError as err:
        return errno_name(err)
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return "forked"


def test_exec(query):
    try:
        os.execv("/bin/sh", ["/bin/sh", "-c", "true"])
    except OSError as err:
        return errno_name(err)


def test_spawn(query):
    import subprocess
    try:
        subprocess.run(["/bin/true"], check=True)
        return "spawned"
    except (OSError, subprocess.SubprocessError) as err:
        return errno_name(err) if isinstance(err, OSError) else type(err).__name__


# ---- isolation probes -------------------------------------------------------------------------
# Each probe reads what an earlier request may have left in one kind of state, then leaves the
# request's token there. Everything they use is created at boot, before the server listens (so
# before an engine freezes the process). Answer: {"seen": ..., "left": ..., "value": ..., "note": ...}.

PROBE_BOOT = {}
PROBE_MEMORY = {"token": ""}
PROBE_CONCURRENT = {"token": ""}
PROBE_ENV = "ISOBENCH_PROBE_TOKEN"
PROBE_FILE_DIR = "/tmp"
PROBE_DIRS = ("/", "/tmp")


def _boot_resource(name, make):
    try:
        PROBE_BOOT[name] = make()
    except (OSError, AttributeError) as err:  # AttributeError: no os.eventfd before Python 3.10
        PROBE_BOOT[name] = None
        PROBE_BOOT[name + ".error"] = "%s at boot: %s" % (name, errno_name(err) if isinstance(err, OSError) else err)


def _nonblocking_socketpair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def _current_umask():
    old = os.umask(0o022)
    os.umask(old)
    return old


def boot_probes(port):
    flags = os.O_NONBLOCK | os.O_CLOEXEC
    _boot_resource("pipe", lambda: os.pipe2(flags))
    _boot_resource("concurrent-pipe", lambda: os.pipe2(flags))
    _boot_resource("socketpair", _nonblocking_socketpair)
    _boot_resource("eventfd", lambda: os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC))
    _boot_resource("epoll", select.epoll)
    _boot_resource("epoll-member", lambda: os.pipe2(flags))
    PROBE_BOOT["file"] = os.path.join(PROBE_FILE_DIR, "isobench-probe-python-wsgi-%d.txt" % port)
    PROBE_BOOT["cwd"] = os.getcwd()
    PROBE_BOOT["umask"] = _current_umask()
    PROBE_BOOT["sigusr2"] = signal.getsignal(signal.SIGUSR2)


def _boot(name):
    res = PROBE_BOOT.get(name)
    if res is None:
        raise OSError(errno.EBADF, PROBE_BOOT.get(name + ".error", name + " was not created at boot"))
    return res


def _drain(read):
    chunks = []
    while True:
        try:
            data = read(4096)
        except (BlockingIOError, InterruptedError):
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("ascii", "replace").split()


def _token_number(token):
    # tokens are "tok-" and 7 hex digits: they fit an int32 and an eventfd counter
    return int(token[4:], 16) if token.startswith("tok-") else 0


def probe_memory(token):
    seen, PROBE_MEMORY["token"] = PROBE_MEMORY["token"], token
    return {"seen": seen, "left": token}


def _libc():
    import ctypes
    return ctypes, ctypes.CDLL(None)


def probe_native_memory(token):
    # glibc's `opterr`: an int in libc's .data segment, 1 from exec on; nothing here calls getopt
    ctypes, libc = _libc()
    cell = ctypes.c_int.in_dll(libc, "opterr")
    before = cell.value
    cell.value = _token_number(token)
    return {"seen": "" if before == 1 else "tok-%07x" % before, "left": token, "note": "glibc opterr in libc .data"}


def probe_fd_pipe(token):
    r, w = _boot("pipe")
    seen = _drain(lambda n: os.read(r, n))
    os.write(w, (token + "\n").encode())
    return {"seen": " ".join(seen), "left": token}


def probe_fd_socketpair(token):
    a, b = _boot("socketpair")
    seen = _drain(b.recv)
    a.send((token + "\n").encode())
    return {"seen": " ".join(seen), "left": token}


def probe_fd_eventfd(token):
    fd = _boot("eventfd")
    try:
        count = os.eventfd_read(fd)
    except BlockingIOError:
        count = 0
    os.eventfd_write(fd, _token_number(token))
    return {"seen": "tok-%07x" % count if count else "", "left": token}


def probe_fd_epoll(token):
    ep = _boot("epoll")
    r, _ = _boot("epoll-member")
    try:
        ep.register(r, select.EPOLLIN)
        seen = ""
    except FileExistsError:
        seen = "the boot pipe was already registered in the boot epoll set"
    return {"seen": seen, "left": "registration of fd %d" % r}


def probe_file(token):
    path = PROBE_BOOT["file"]
    notes = []
    try:
        with open(path) as f:
            seen = f.read().strip()
    except FileNotFoundError:
        seen = ""
    except OSError as err:
        seen = ""
        notes.append("read refused: %s" % errno_name(err))
    try:
        with open(path, "w") as f:
            f.write(token)
        left = token
    except OSError as err:
        left = ""
        notes.append("write refused: %s" % errno_name(err))
    return {"seen": seen, "left": left, "note": "; ".join(notes) or path}


def probe_process_state(token):
    seen = []
    if os.environ.get(PROBE_ENV):
        seen.append("env %s=%s" % (PROBE_ENV, os.environ[PROBE_ENV]))
    cwd = os.getcwd()
    if cwd != PROBE_BOOT["cwd"]:
        seen.append("cwd %s (boot %s)" % (cwd, PROBE_BOOT["cwd"]))
    umask = _current_umask()
    if umask != PROBE_BOOT["umask"]:
        seen.append("umask %03o (boot %03o)" % (umask, PROBE_BOOT["umask"]))
    handler = signal.getsignal(signal.SIGUSR2)
    if handler != PROBE_BOOT["sigusr2"]:
        seen.append("SIGUSR2 handler %s (boot %s)" % (handler, PROBE_BOOT["sigusr2"]))
    notes = []
    os.environ[PROBE_ENV] = token
    for d in PROBE_DIRS:
        if d == PROBE_BOOT["cwd"]:
            continue
        try:
            os.chdir(d)
            break
        except OSError as err:
            notes.append("chdir %s: %s" % (d, errno_name(err)))
    os.umask(0o027 if PROBE_BOOT["umask"] != 0o027 else 0o077)
    signal.signal(signal.SIGUSR2, signal.SIG_IGN if PROBE_BOOT["sigusr2"] != signal.SIG_IGN else signal.SIG_DFL)
    return {"seen": "; ".join(seen), "left": "env, cwd, umask, SIGUSR2 disposition", "note": "; ".join(notes)}


def _process_cpu_clock(pid):
    # the kernel's clock id for another process's CPU-time clock: MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    return ((~pid) << 3) | 2


def probe_clocks(token):
    readable, refused = [], []
    me = os.getpid()
    for label, pid in (("pid 1", 1), ("parent", os.getppid())):
        if pid in (0, me):
            continue
        try:
            readable.append("%s (%d) CPU %.6f s" % (label, pid, time.clock_gettime(_process_cpu_clock(pid))))
        except OSError as err:
            refused.append("%s: %s" % (label, errno_name(err)))
    return {"seen": "; ".join(readable), "note": "; ".join(refused)}


def probe_random_os(token):
    return {"value": os.urandom(16).hex()}


def probe_random_prng(token):
    return {"value": repr(random.random())}


def probe_random_boot(token):
    ctypes, libc = _libc()
    libc.getauxval.restype = ctypes.c_ulong
    at_random = libc.getauxval(25)  # AT_RANDOM
    bytes_hex = ctypes.string_at(at_random, 16).hex() if at_random else "absent"
    libc_addr = ctypes.cast(libc.getauxval, ctypes.c_void_p).value
    return {"value": "AT_RANDOM %s; getauxval at 0x%x" % (bytes_hex, libc_addr)}


def probe_concurrent(token, query):
    r, w = _boot("concurrent-pipe")
    if query.get("role", ["read"])[0] == "write":
        PROBE_CONCURRENT["token"] = token
        os.write(w, (token + "\n").encode())
        time.sleep(min(float(query.get("holdMs", ["0"])[0]), 10000) / 1000.0)
        return {"seen": "", "left": token}
    seen = []
    if PROBE_CONCURRENT["token"]:
        seen.append("module global %s" % PROBE_CONCURRENT["token"])
    piped = _drain(lambda n: os.read(r, n))
    if piped:
        seen.append("boot pipe %s" % " ".join(piped))
    return {"seen": "; ".join(seen), "left": ""}


ISOLATION_PROBES = {
    "memory": probe_memory,
    "native-memory": probe_native_memory,
    "fd-pipe": probe_fd_pipe,
    "fd-socketpair": probe_fd_socketpair,
    "fd-eventfd": probe_fd_eventfd,
    "fd-epoll": probe_fd_epoll,
    "file": probe_file,
    "process-state": probe_process_state,
    "clocks": probe_clocks,
    "random-os": probe_random_os,
    "random-prng": probe_random_prng,
    "random-boot": probe_random_boot,
}


def isolation_probe(name, query):
    token = query.get("token", [""])[0]
    try:
        if name == "concurrent":
            answer = probe_concurrent(token, query)
        elif name in ISOLATION_PROBES:
            answer = ISOLATION_PROBES[name](token)
        else:
            return "404 Not Found", {"error": "no probe %s" % name}
    except Exception as err:  # the probe's failure is its answer, never the server's
        return "200 OK", {"error": "%s: %s" % (type(err).__name__, err)}
    return "200 OK", answer


TEST_ROUTES = {
    "/loop": test_loop,
    "/alloc": test_alloc,
    "/read": test_read,
    "/connect-out": test_connect_out,
    "/listen-other": test_listen_other,
    "/write": test_write,
    "/fork": test_fork,
    "/exec": test_exec,
    "/spawn": test_spawn,
} if os.environ.get("ISOBENCH_TEST_ROUTES") == "1" else {}


def app(environ, start_response):
    global probe_counter
    if delay_seconds:
        time.sleep(delay_seconds)
    path = environ.get("PATH_INFO", "/")
    if path in TEST_ROUTES:
        body = TEST_ROUTES[path](parse_qs(environ.get("QUERY_STRING", "")))
        ctype, status = "text/plain", "200 OK"
    elif path == "/":
        body, ctype, status = "Hello, World!\n", "text/plain; charset=utf-8", "200 OK"
    elif path == "/page":
        body, ctype, status = render_page(), "text/html; charset=utf-8", "200 OK"
    elif path == "/probe":
        probe_counter += 1
        body, ctype, status = "%d" % probe_counter, "text/plain", "200 OK"
    elif path.startswith("/isolation/"):
        status, answer = isolation_probe(path[len("/isolation/"):], parse_qs(environ.get("QUERY_STRING", "")))
        body, ctype = json.dumps(answer), "application/json"
    else:
        body, ctype, status = "not found\n", "text/plain", "404 Not Found"
    data = body.encode("utf-8")
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(data)))])
    return [data]


class BackloggedServer(WSGIServer):
    # wsgiref's default listen backlog is 5, which drops connections under concurrent load.
    request_queue_size = 1024


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main():
    global delay_seconds
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    delay_seconds = args.delay_ms / 1000.0
    boot_probes(args.port)
    with make_server(args.host, args.port, app, server_class=BackloggedServer, handler_class=QuietHandler) as server:
        print("listening on http://%s:%d" % (args.host, server.server_port), flush=True)
        server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
