# weir tests: a raw HTTP/2 client (RFC 9113) for the cases no well-behaved
# client sends: frames written by hand, HPACK with literal fields without
# indexing only (RFC 7541 6.2.2), over TLS with ALPN h2. The server's
# frames are read back one by one.
package WeirH2;
use strict;
use warnings;
use Exporter 'import';
use IO::Select;
use IO::Socket::SSL;
use Time::HiRes qw(time);

our @EXPORT_OK = qw(h2_connect h2_frame h2_send h2_read_frame h2_wait
                    h2_headers h2_hpack h2_int h2_settings h2_request
                    h2_response %TYPE %ERR);

our %TYPE = (DATA => 0, HEADERS => 1, PRIORITY => 2, RST_STREAM => 3,
             SETTINGS => 4, PUSH_PROMISE => 5, PING => 6, GOAWAY => 7,
             WINDOW_UPDATE => 8, CONTINUATION => 9);

our %ERR = (NO_ERROR => 0, PROTOCOL_ERROR => 1, INTERNAL_ERROR => 2,
            FLOW_CONTROL_ERROR => 3, SETTINGS_TIMEOUT => 4,
            STREAM_CLOSED => 5, FRAME_SIZE_ERROR => 6,
            REFUSED_STREAM => 7, CANCEL => 8, COMPRESSION_ERROR => 9,
            CONNECT_ERROR => 10, ENHANCE_YOUR_CALM => 11,
            INADEQUATE_SECURITY => 12, HTTP_1_1_REQUIRED => 13);

# A TLS connection to 127.0.0.1:$port that chose h2, the preface and an
# empty SETTINGS sent (unless $o{no_preface}). Returns the connection
# object (a hash: sock, buf) or undef.
sub h2_connect {
    my ($port, %o) = @_;
    my $sock = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $port,
        SSL_verify_mode => SSL_VERIFY_NONE,
        SSL_alpn_protocols => ['h2'], Timeout => 5) or return undef;
    return undef unless ($sock->alpn_selected // '') eq 'h2';
    my $c = { sock => $sock, buf => '' };
    unless ($o{no_preface}) {
        h2_send($c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                    . h2_frame('SETTINGS', 0, 0, $o{settings} // ''));
    }
    return $c;
}

# The bytes of one frame: type by name or number, flags, stream id,
# payload (a length over 2^24 - 1 is cut to 24 bits: the caller wanted a
# lie, then).
sub h2_frame {
    my ($type, $flags, $stream, $payload) = @_;
    $type = $TYPE{$type} if exists $TYPE{$type};
    my $len = length $payload;
    return pack('CnCCN', ($len >> 16) & 0xff, $len & 0xffff, $type, $flags,
                $stream & 0xffffffff) . $payload;
}

# SETTINGS payload from id => value pairs (in order).
sub h2_settings {
    my (@kv) = @_;
    my $p = '';
    while (my ($k, $v) = splice(@kv, 0, 2)) {
        $p .= pack('nN', $k, $v);
    }
    return $p;
}

# Write all of $bytes; false when the connection is gone.
sub h2_send {
    my ($c, $bytes) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $bytes) {
        my $n = $c->{sock}->syswrite($bytes, length($bytes) - $off, $off);
        return 0 unless defined $n && $n > 0;
        $off += $n;
    }
    return 1;
}

# HPACK integer with an N-bit prefix, the first byte's high bits $hi.
sub h2_int {
    my ($v, $n, $hi) = @_;
    my $max = (1 << $n) - 1;
    return chr($hi | $v) if $v < $max;
    my $s = chr($hi | $max);
    $v -= $max;
    while ($v >= 128) {
        $s .= chr(($v & 0x7f) | 0x80);
        $v >>= 7;
    }
    return $s . chr($v);
}

# A header block of literal fields without indexing, new names.
sub h2_hpack {
    my (@fields) = @_;
    my $b = '';
    while (my ($n, $v) = splice(@fields, 0, 2)) {
        $b .= "\x00" . h2_int(length $n, 7, 0) . $n
              . h2_int(length $v, 7, 0) . $v;
    }
    return $b;
}

# A HEADERS frame of a request on $stream with the fields (name, value,
# ...); $end: END_STREAM.
sub h2_headers {
    my ($stream, $end, @fields) = @_;
    return h2_frame('HEADERS', 0x4 | ($end ? 0x1 : 0), $stream,
                    h2_hpack(@fields));
}

# The usual fields of a GET of $path.
sub h2_request {
    my ($path, @more) = @_;
    return (':method' => 'GET', ':scheme' => 'https', ':path' => $path,
            ':authority' => 'h2.test', @more);
}

# The next frame from the server as { type, flags, stream, payload, and
# for GOAWAY and RST_STREAM: code }, or undef at EOF or after $timeout
# seconds (default 5).
sub h2_read_frame {
    my ($c, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    my $sel = IO::Select->new($c->{sock});
    while (1) {
        if (length($c->{buf}) >= 9) {
            my ($l1, $l2, $type, $flags, $stream) =
                unpack('CnCCN', $c->{buf});
            my $len = ($l1 << 16) | $l2;
            if (length($c->{buf}) >= 9 + $len) {
                my $f = { type => $type, flags => $flags,
                          stream => $stream & 0x7fffffff,
                          payload => substr($c->{buf}, 9, $len) };
                substr($c->{buf}, 0, 9 + $len) = '';
                if ($type == $TYPE{GOAWAY} && $len >= 8) {
                    ($f->{last}, $f->{code}) = unpack('NN', $f->{payload});
                } elsif ($type == $TYPE{RST_STREAM} && $len == 4) {
                    $f->{code} = unpack('N', $f->{payload});
                }
                return $f;
            }
        }
        return undef if $c->{eof};
        my $left = $deadline - time;
        return undef if $left <= 0;
        if (!$c->{sock}->pending) {
            next unless $sel->can_read($left > 0.2 ? 0.2 : $left);
        }
        my $n = $c->{sock}->sysread(my $chunk, 65536);
        if (!defined $n) {
            next if $!{EAGAIN} || $!{EWOULDBLOCK}
                    || $SSL_ERROR == SSL_WANT_READ;
            $c->{eof} = 1;
            next;
        }
        if ($n == 0) {
            $c->{eof} = 1;
            next;
        }
        $c->{buf} .= $chunk;
    }
}

# Read frames until $want->($frame) is true (that frame is returned), the
# connection ends or $timeout passes (undef then). Every frame read is
# pushed on @{$c->{seen}}.
sub h2_wait {
    my ($c, $want, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    while (1) {
        my $left = $deadline - time;
        return undef if $left <= 0;
        my $f = h2_read_frame($c, $left) // return undef;
        push @{$c->{seen}}, $f;
        return $f if $want->($f);
    }
}

# A Huffman-coded string of digits (RFC 7541 appendix B: 0-2 are 5 bits,
# 3-9 6 bits), as a status is.
sub h2_huffman_digits {
    my ($bytes) = @_;
    my $bits = unpack('B*', $bytes);
    my $s = '';
    while (length($s) < 3 && length($bits) >= 5) {
        my $five = oct('0b' . substr($bits, 0, 5));
        if ($five <= 2) {
            $s .= $five;
            substr($bits, 0, 5) = '';
        } else {
            my $six = oct('0b' . substr($bits, 0, 6));
            return undef if $six < 0x19 || $six > 0x1f;
            $s .= $six - 0x19 + 3;
            substr($bits, 0, 6) = '';
        }
    }
    return $s;
}

# The :status of a response header block: its first field, which is an
# indexed field of the static table or a literal with the :status name
# (plain or Huffman). Only a connection's first response is sure to have
# no dynamic-table reference there: the tests read one per connection.
sub h2_status {
    my ($p) = @_;
    my %idx = (8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400,
               13 => 404, 14 => 500);
    my $b = ord($p);
    return $idx{$b & 0x7f} if $b & 0x80;
    my $off = 1;
    my $vlen = ord(substr($p, $off, 1));
    my $v = substr($p, $off + 1, $vlen & 0x7f);
    return ($vlen & 0x80) ? h2_huffman_digits($v) : $v;
}

# The response to the request on $stream: (status, body) once the stream
# ended; undef on a reset or a timeout.
sub h2_response {
    my ($c, $stream, $timeout) = @_;
    my ($status, $body) = (undef, '');
    my $f = h2_wait($c, sub {
        my ($f) = @_;
        return 0 unless $f->{stream} == $stream;
        return 1 if $f->{type} == $TYPE{RST_STREAM};
        if ($f->{type} == $TYPE{HEADERS} && !defined $status) {
            $status = h2_status($f->{payload});
        }
        $body .= $f->{payload} if $f->{type} == $TYPE{DATA};
        return ($f->{flags} & 0x1) ? 1 : 0;
    }, $timeout);
    return undef if !$f || $f->{type} == $TYPE{RST_STREAM};
    return ($status, $body);
}

1;
