#!/usr/bin/python3
# weir: a gRPC client for t/http2_grpc.t, without generated code: calls
# /weir.Test/Echo, /weir.Test/Count (server streaming) and /weir.Test/Fail
# of t/lib/grpc_target.py over TLS and prints one line per result:
#   echo <reply>
#   count <n1>,<n2>,...
#   fail <StatusCode name> <details>
# Usage: grpc_client.py HOST:PORT CA_CERT [SERVER_NAME]
import sys

import grpc


def main():
    target, ca = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else 'localhost'
    with open(ca, 'rb') as f:
        creds = grpc.ssl_channel_credentials(root_certificates=f.read())
    ident = lambda b: b
    with grpc.secure_channel(target, creds, options=[
            ('grpc.ssl_target_name_override', name)]) as ch:
        echo = ch.unary_unary('/weir.Test/Echo', request_serializer=ident,
                              response_deserializer=ident)
        count = ch.unary_stream('/weir.Test/Count', request_serializer=ident,
                                response_deserializer=ident)
        fail = ch.unary_unary('/weir.Test/Fail', request_serializer=ident,
                              response_deserializer=ident)
        print('echo %s' % echo(b'hello weir', timeout=10).decode(), flush=True)
        print('count %s' % ','.join(m.decode() for m in
                                    count(b'3', timeout=10)), flush=True)
        try:
            fail(b'x', timeout=10)
            print('fail none', flush=True)
        except grpc.RpcError as e:
            print('fail %s %s' % (e.code().name, e.details()), flush=True)


if __name__ == '__main__':
    main()
