"""A loopback token endpoint for bench/run.sh: answers every POST with a JWT access token and
counts the requests (GET /count reads the count, GET /reset zeroes it). Prints its port."""
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
count = 0


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def token():
    now = int(time.time())
    claims = {"iss": "http://127.0.0.1", "sub": "bench", "aud": "api", "iat": now, "exp": now + 3600}
    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}.c2lnbmF0dXJl"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, body, content_type="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with lock:
            count += 1
        body = {"access_token": token(), "token_type": "Bearer", "expires_in": 3600}
        self.reply(json.dumps(body).encode())

    def do_GET(self):
        global count
        with lock:
            if self.path == "/reset":
                count = 0
            value = count
        self.reply(str(value).encode(), "text/plain")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
