"""isobench python-wsgi scenario: a WSGI app served by the standard library's wsgiref.

Routes:
  /       hello world
  /page   a product listing table rendered from data, with HTML escaping (about 5-10 KB)
  /probe  increments a module-level counter and returns it (isolation probe)

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
import os
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
    with make_server(args.host, args.port, app, server_class=BackloggedServer, handler_class=QuietHandler) as server:
        print("listening on http://%s:%d" % (args.host, server.server_port), flush=True)
        server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
