"""Fake Google OAuth 2 token endpoint (HTTP) for service-account and authorized-user credentials.

    /usr/bin/python3 Tests/Fakes/google_oauth.py --port 0 --record DIR --public-key PEM
        [--refresh-token R] [--token T] [--scenario S ...]

POST /token, application/x-www-form-urlencoded:
  * grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT: the JWT's RS256
    signature must verify with --public-key (checked with the openssl CLI), its header must say
    alg RS256, its claims need iss, scope, aud equal to this endpoint's URL, and iat/exp with
    exp - iat <= 3600 and iat within 5 minutes of now; else 400 invalid_grant.
  * grant_type=refresh_token: refresh_token must equal --refresh-token and client_id/client_secret
    be present; else 400 invalid_grant "Token has been expired or revoked.".
Answers {"access_token": --token, "expires_in": 3599, "token_type": "Bearer"}.
Scenarios: status=CODE answers every request with that HTTP status and an error body.
"""

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakekit  # noqa: E402


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main():
    # The Swift test process spawns fakes with SIGTERM blocked (inherited mask); unblock it so
    # FakeServer.stop() ends the fake.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    def extra(parser):
        parser.add_argument("--public-key", default=None)
        parser.add_argument("--refresh-token", default="refresh-1")
        parser.add_argument("--token", default="test-token")

    args = fakekit.parse_arguments("fake Google OAuth token endpoint", extra)
    recorder = fakekit.Recorder(args.record)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def refuse(self, description):
            recorder.event(0, "refused", reason=description)
            self.answer(400, {"error": "invalid_grant", "error_description": description})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            recorder.event(0, "request", path=self.path, content_type=self.headers.get("Content-Type"),
                           grant_type=form.get("grant_type"))
            if "status" in args.scenarios:
                return self.answer(int(args.scenarios["status"]), {"error": "scripted"})
            if self.path != "/token":
                return self.answer(404, {"error": "not_found"})
            if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                return self.refuse("content type must be application/x-www-form-urlencoded")
            grant = form.get("grant_type")
            if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                problem = self.check_jwt(form.get("assertion", ""))
                if problem:
                    return self.refuse(problem)
            elif grant == "refresh_token":
                if form.get("refresh_token") != args.refresh_token or not form.get("client_id") \
                        or not form.get("client_secret"):
                    return self.refuse("Token has been expired or revoked.")
            else:
                return self.answer(400, {"error": "unsupported_grant_type"})
            self.answer(200, {"access_token": args.token, "expires_in": 3599, "token_type": "Bearer"})

        def check_jwt(self, jwt):
            parts = jwt.split(".")
            if len(parts) != 3:
                return "Invalid JWT: not three parts."
            try:
                header = json.loads(b64url_decode(parts[0]))
                claims = json.loads(b64url_decode(parts[1]))
                signature = b64url_decode(parts[2])
            except Exception:  # noqa: BLE001
                return "Invalid JWT: undecodable."
            if header.get("alg") != "RS256":
                return "Invalid JWT: alg must be RS256."
            with tempfile.TemporaryDirectory() as directory:
                data = os.path.join(directory, "data")
                sig = os.path.join(directory, "sig")
                with open(data, "wb") as f:
                    f.write(f"{parts[0]}.{parts[1]}".encode())
                with open(sig, "wb") as f:
                    f.write(signature)
                check = subprocess.run(["openssl", "dgst", "-sha256", "-verify", args.public_key, "-signature", sig,
                                        data], capture_output=True)
            if check.returncode != 0:
                return "Invalid JWT Signature."
            audience = f"http://127.0.0.1:{self.server.server_address[1]}/token"
            if claims.get("aud") != audience:
                return f"Invalid JWT: aud must be {audience}."
            if claims.get("scope") != "https://www.googleapis.com/auth/cloud-platform" or not claims.get("iss"):
                return "Invalid JWT: scope and iss are required."
            now = time.time()
            iat, exp = claims.get("iat", 0), claims.get("exp", 0)
            if abs(iat - now) > 300 or exp - iat > 3600 or exp <= now:
                return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
            return None

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    fakekit.announce(server.server_address[1])
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
