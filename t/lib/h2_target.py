#!/usr/bin/python3
# weir: a raw HTTP/2 (h2c prior knowledge) target for t/http2_upstream.t,
# on Debian's python3-h2, that misbehaves on purpose. Paths:
#   /ok            200 "ok NAME"; x-got: the request body's length, x-te,
#                  x-authority, x-cookie-fields: the number of cookie fields
#   /reset         RST_STREAM (INTERNAL_ERROR) before any response byte
#   /reset-body    a 200 head and 5 body bytes, then RST_STREAM
#   /refuse-once   the first one: RST_STREAM (REFUSED_STREAM); then /ok's
#   /goaway-once   the first one: GOAWAY (last stream 0) and close; then
#                  /ok's
#   /hang          no answer at all
#   /trailers      200 "ok NAME" without length, then trailers: x-sum 42,
#                  x-te and x-trailers as /ok has them
#   /trailers-only one HEADERS frame ending the stream: 200 with
#                  grpc-status 5 (gRPC's way of an error without a body)
# /ok also says x-cookie (the cookie fields joined by the h2 library) and
# x-trailers ("name=value,..." of the request's trailers, "-": none).
# Usage: h2_target.py PORT NAME; prints "ready PORT". Logs to stderr one
# line per connection ("conn N") and per request ("req N METHOD PATH").
import select
import socket
import sys

import h2.config
import h2.connection
import h2.errors
import h2.events


def main():
    port, name = int(sys.argv[1]), sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(64)
    print('ready %d' % port, flush=True)
    conns = {}      # socket -> [H2Connection, number, {stream: state}]
    once = set()
    nconn = 0

    def log(s):
        sys.stderr.write(s + '\n')
        sys.stderr.flush()

    while True:
        r, _, _ = select.select([srv] + list(conns), [], [])
        for s in r:
            if s is srv:
                c, _ = srv.accept()
                nconn += 1
                h = h2.connection.H2Connection(h2.config.H2Configuration(
                    client_side=False, header_encoding='utf-8'))
                h.initiate_connection()
                c.sendall(h.data_to_send())
                conns[c] = [h, nconn, {}]
                log('conn %d' % nconn)
                continue
            h, n, streams = conns[s]
            try:
                data = s.recv(65536)
            except OSError:
                data = b''
            if not data:
                del conns[s]
                s.close()
                continue
            closed = False
            for ev in h.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    hd = dict(ev.headers)
                    crumbs = sum(1 for k, v in ev.headers if k == 'cookie')
                    streams[ev.stream_id] = [hd, 0, crumbs, []]
                    log('req %d %s %s' % (n, hd[':method'], hd[':path']))
                elif isinstance(ev, h2.events.DataReceived):
                    streams[ev.stream_id][1] += len(ev.data)
                    h.acknowledge_received_data(ev.flow_controlled_length,
                                                ev.stream_id)
                elif isinstance(ev, h2.events.TrailersReceived):
                    streams[ev.stream_id][3] += list(ev.headers)
                elif isinstance(ev, h2.events.StreamEnded):
                    hd, got, crumbs, trailers = streams.pop(ev.stream_id)
                    path = hd[':path']
                    if path in ('/refuse-once', '/goaway-once') \
                            and path not in once:
                        once.add(path)
                        if path == '/goaway-once':
                            h.close_connection(last_stream_id=0)
                            s.sendall(h.data_to_send())
                            del conns[s]
                            s.close()
                            closed = True
                            break
                        h.reset_stream(ev.stream_id,
                                       h2.errors.ErrorCodes.REFUSED_STREAM)
                    elif path == '/hang':
                        pass
                    elif path == '/reset':
                        h.reset_stream(ev.stream_id,
                                       h2.errors.ErrorCodes.INTERNAL_ERROR)
                    elif path == '/trailers':
                        # a body without length, then trailers
                        h.send_headers(ev.stream_id, [(':status', '200')])
                        h.send_data(ev.stream_id, ('ok %s\n' % name)
                                    .encode())
                        h.send_headers(ev.stream_id, [
                            ('x-sum', '42'),
                            ('x-te', hd.get('te', '-')),
                            ('x-trailers', ','.join(
                                '%s=%s' % kv for kv in trailers) or '-'),
                        ], end_stream=True)
                    elif path == '/trailers-only':
                        # gRPC's error answer: one HEADERS, END_STREAM
                        h.send_headers(ev.stream_id, [
                            (':status', '200'),
                            ('content-type', 'application/grpc'),
                            ('grpc-status', '5'),
                            ('grpc-message', 'gone'),
                        ], end_stream=True)
                    elif path == '/reset-body':
                        h.send_headers(ev.stream_id, [(':status', '200')])
                        h.send_data(ev.stream_id, b'12345')
                        h.reset_stream(ev.stream_id,
                                       h2.errors.ErrorCodes.INTERNAL_ERROR)
                    else:
                        body = ('ok %s\n' % name).encode()
                        h.send_headers(ev.stream_id, [
                            (':status', '200'),
                            ('content-length', str(len(body))),
                            ('x-got', str(got)),
                            ('x-te', hd.get('te', '-')),
                            ('x-cookie-fields', str(crumbs)),
                            ('x-authority', hd.get(':authority', '-')),
                            ('x-cookie', hd.get('cookie', '-')),
                            ('x-trailers', ','.join(
                                '%s=%s' % kv for kv in trailers) or '-'),
                        ])
                        h.send_data(ev.stream_id, body, end_stream=True)
            if not closed:
                s.sendall(h.data_to_send())


if __name__ == '__main__':
    main()
