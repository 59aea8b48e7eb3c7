"""ui/no_delay.py: Nagle's algorithm off on the process's TCP sockets (Streamlit's own server leaves it on: a
rerun's last small messages waited 40 ms for the browser's delayed acknowledgement)."""

import socket
import sys

import pytest

from ui import no_delay

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")


def nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_every_tcp_socket_of_the_process_gets_tcp_nodelay_and_stays_open():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # protocol 0, as Streamlit binds its own
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    served, _ = listener.accept()
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # not TCP: left alone, no error
    try:
        assert (nodelay(listener), nodelay(client), nodelay(served)) == (0, 0, 0)  # Linux's default: Nagle on
        assert no_delay.apply() >= 3
        assert (nodelay(listener), nodelay(client), nodelay(served)) == (1, 1, 1)
        client.sendall(b"still open")  # the duplicates it closed were only duplicates
        assert served.recv(16) == b"still open"
        later = socket.create_connection(listener.getsockname())  # accepted after: inherits it from the listener
        accepted, _ = listener.accept()
        assert nodelay(accepted) == 1
        later.close()
        accepted.close()
    finally:
        for sock in (listener, client, served, other):
            sock.close()


def test_without_proc_it_does_nothing(monkeypatch):
    monkeypatch.setattr(no_delay, "FDS", "/no/such/folder")
    assert no_delay.apply() == 0
