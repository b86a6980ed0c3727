"""A TCP server that accepts connections and never answers (reads and discards what arrives):
a host whose connection never becomes usable, for connect-timeout tests.

    /usr/bin/python3 Tests/Fakes/silent_server.py --port 0
"""

import os
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakekit  # noqa: E402


def drain(connection):
    with connection:
        while connection.recv(65536):
            pass


def main():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    args = fakekit.parse_arguments("TCP server that never answers")
    listener = socket.socket()
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)
    fakekit.announce(listener.getsockname()[1])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=drain, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    main()
