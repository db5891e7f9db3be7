#!/usr/bin/python3
# weir: a gRPC target for t/http2_upstream.t, without generated code (the
# messages are raw bytes): /weir.Test/Echo (unary: the request back),
# /weir.Test/Count (server streaming: N messages "n=K" for a request "N"),
# /weir.Test/Fail (unary: status NOT_FOUND "no such thing", in trailers).
# Usage: grpc_target.py PORT [CERT KEY]; prints "ready PORT" when serving.
# Logs one line per call to stderr: "call METHOD PEER".
import sys
from concurrent import futures

import grpc


def log(method, context):
    sys.stderr.write('call %s %s\n' % (method, context.peer()))
    sys.stderr.flush()


def echo(request, context):
    log('Echo', context)
    return request


def count(request, context):
    log('Count', context)
    for k in range(int(request.decode() or '0')):
        yield ('n=%d' % k).encode()


def fail(request, context):
    log('Fail', context)
    context.abort(grpc.StatusCode.NOT_FOUND, 'no such thing')


def main():
    port = int(sys.argv[1])
    ident = lambda b: b
    handler = grpc.method_handlers_generic_handler('weir.Test', {
        'Echo': grpc.unary_unary_rpc_method_handler(
            echo, request_deserializer=ident, response_serializer=ident),
        'Count': grpc.unary_stream_rpc_method_handler(
            count, request_deserializer=ident, response_serializer=ident),
        'Fail': grpc.unary_unary_rpc_method_handler(
            fail, request_deserializer=ident, response_serializer=ident),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    if len(sys.argv) > 3:
        with open(sys.argv[2], 'rb') as f:
            cert = f.read()
        with open(sys.argv[3], 'rb') as f:
            key = f.read()
        creds = grpc.ssl_server_credentials([(key, cert)])
        server.add_secure_port('127.0.0.1:%d' % port, creds)
    else:
        server.add_insecure_port('127.0.0.1:%d' % port)
    server.start()
    print('ready %d' % port, flush=True)
    server.wait_for_termination()


if __name__ == '__main__':
    main()
