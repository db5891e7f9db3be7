#!/usr/bin/python3
# weir: an HTTP/2 client for t/http2_trailers.t on Debian's python3-h2,
# over TLS with ALPN h2 (no certificate check: the tests' own). Runs the
# requests given as JSON one after the other on one connection:
#   [{"path": "/x", "method": "POST", "headers": [["te", "trailers"]],
#     "body": "text", "trailers": [["x-sum", "1"]]}, ...]
# (method GET and no body by default; a body is one DATA frame, END_STREAM
# on the trailers when there are some) and prints for request K:
#   K status CODE / K header NAME: VALUE / K body LEN TEXT /
#   K trailer NAME: VALUE / K end headers|data (the frame that ended the
#   stream) / K reset CODE / K timeout
# Usage: h2_client.py PORT JSON
import json
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def main():
    port, reqs = int(sys.argv[1]), json.loads(sys.argv[2])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(['h2'])
    raw = socket.create_connection(('127.0.0.1', port), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname='localhost')
    if sock.selected_alpn_protocol() != 'h2':
        print('0 no h2', flush=True)
        return
    conn = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True, header_encoding='utf-8'))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    for k, r in enumerate(reqs, 1):
        sid = conn.get_next_available_stream_id()
        body = r.get('body', '').encode()
        trailers = [tuple(t) for t in r.get('trailers', [])]
        head = [(':method', r.get('method', 'GET')), (':scheme', 'https'),
                (':path', r['path']), (':authority', 'localhost')]
        head += [tuple(h) for h in r.get('headers', [])]
        conn.send_headers(sid, head, end_stream=not body and not trailers)
        if body:
            conn.send_data(sid, body, end_stream=not trailers)
        if trailers:
            conn.send_headers(sid, trailers, end_stream=True)
        sock.sendall(conn.data_to_send())

        got, done = b'', False
        deadline = time.monotonic() + 10
        while not done:
            if time.monotonic() > deadline:
                print('%d timeout' % k, flush=True)
                return
            try:
                data = sock.recv(65536)
            except socket.timeout:
                data = b''
            if not data:
                print('%d eof' % k, flush=True)
                return
            for ev in conn.receive_data(data):
                if getattr(ev, 'stream_id', sid) != sid:
                    continue
                if isinstance(ev, h2.events.ResponseReceived):
                    for n, v in ev.headers:
                        if n == ':status':
                            print('%d status %s' % (k, v))
                        else:
                            print('%d header %s: %s' % (k, n, v))
                    if ev.stream_ended:
                        print('%d end headers' % k)
                elif isinstance(ev, h2.events.DataReceived):
                    got += ev.data
                    conn.acknowledge_received_data(
                        ev.flow_controlled_length, sid)
                    if ev.stream_ended:
                        print('%d end data' % k)
                elif isinstance(ev, h2.events.TrailersReceived):
                    for n, v in ev.headers:
                        print('%d trailer %s: %s' % (k, n, v))
                    print('%d end headers' % k)
                elif isinstance(ev, h2.events.StreamReset):
                    print('%d reset %d' % (k, ev.error_code))
                    done = True
                elif isinstance(ev, h2.events.StreamEnded):
                    done = True
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
        print('%d body %d %s' % (k, len(got), got.decode('latin-1')
                                 .replace('\n', '\\n')), flush=True)
    sock.close()


if __name__ == '__main__':
    main()
