# weir: HTTP helpers for the L7 integration tests: a loopback HTTP/1.1
# target (keep-alive, Content-Length and chunked bodies both ways, 100
# continue, a 101 upgrade with raw echo, cookies, slow answers, resets),
# and a small raw HTTP/1.1 client that keeps its connection. Core Perl
# modules only (IO::Socket::SSL for TLS targets, as Debian ships it).
package WeirHTTP;

use strict;
use warnings;

use Digest::MD5;
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);
use Weir qw(spawn_server free_port);

our @EXPORT_OK = qw(start_http_backend http_connect one_target_weir
                    http_request read_response pattern_md5 pattern_block
                    log_lines count_lines check_clean);

# 64 KiB of bytes that are not all alike: bodies are this block repeated
sub pattern_block {
    my $b = '';
    $b .= pack('N', ($_ * 2654435761) & 0xffffffff) for 0 .. 16383;
    return $b;
}

my $BLOCK = pattern_block();

# md5 (hex) of the first $n bytes of the repeated block
sub pattern_md5 {
    my ($n) = @_;
    my $md5 = Digest::MD5->new;
    while ($n > 0) {
        my $k = $n < length $BLOCK ? $n : length $BLOCK;
        $md5->add(substr($BLOCK, 0, $k));
        $n -= $k;
    }
    return $md5->hexdigest;
}

# The end of every L7 test: no alert, no crashed process, no sanitizer
# report (a worker that dies is respawned: only the logs tell).
sub check_clean {
    my ($w) = @_;
    Test::More::unlike($w->log_text,
        qr/\[(alert|crit|emerg)\]|exited on signal|exited with code [1-9]/,
        'no alerts and no crashed process in the error log');
    my $err = '';
    if (open(my $fh, '<', $w->dir . '/stderr.log')) {
        local $/;
        $err = <$fh> // '';
    }
    Test::More::unlike($err, qr/Sanitizer|runtime error/,
                       'no sanitizer reports');
}

sub log_lines {
    my ($file) = @_;
    open(my $fh, '<', $file) or return ();
    my @l = <$fh>;
    chomp @l;
    return @l;
}

sub count_lines {
    my ($file, $re) = @_;
    return scalar grep { !$re || $_ =~ $re } log_lines($file);
}

# Start a target in a child process (Weir::spawn_server(); stop it with
# Weir::stop_server()). Options: name, port, log (file: one line per
# accepted connection "accept", per request "req METHOD PATH", per byte
# count "bytes N" when a connection ends), tls => { cert, key }, proxy => 1
# (every connection must begin with a PROXY protocol header, v1 or v2:
# logged as "proxy TEXT" and sent back in X-Proxy of each response on it,
# TEXT being "v1 TCP4 SRC DST SPORT DPORT" or "v2 SRC:SPORT DST:DPORT"; a
# connection without one is logged "proxy missing" and closed).
# Paths:
#   /            200, body "NAME\n" (keep-alive)
#   /echo        200, body: the request head as received
#   /upload      reads the body (length or chunked): "NAME LEN MD5\n"
#   /download?n  chunked response of n pattern bytes
#   /length?n    Content-Length response of n pattern bytes
#   /ws          101, then every byte is echoed
#   /login       200 with Set-Cookie: JSESSIONID=abc; Path=/
#   /cookie?v    200 with Set-Cookie: JSESSIONID=v; Path=/
#   /slow?ms     answers after ms milliseconds
#   /close-later 200 (keep-alive), then the connection is closed 0.2 s
#                after, while idle
#   /reset       closes the connection without an answer
#   /close-next  200 (keep-alive); the next request head on that
#                connection is logged, then the connection is closed
#                without an answer (a target that went away between two
#                requests of a kept-alive connection)
#   /close       200 with Connection: close
#   /bad         an invalid response
#   /status?c    answers status c (no body for 204/304)
#   /hop         a 200 with hop-by-hop fields (and X-Kept: 1)
#   /trailers    chunked 200, body "NAME\n" (none with ?empty), trailers
#                X-Sum: 42, X-Got-Trailers: the request's trailer lines
#                joined with "," ("-": none), X-TE: its TE field
#   /head-big    a 200 with a 20 KiB header field
sub start_http_backend {
    my (%o) = @_;
    my $s = spawn_server(port => $o{port}, what => 'backend', serve => sub {
        my ($srv, $port) = @_;
        $SIG{PIPE} = 'IGNORE';
        my $logfh;
        if ($o{log}) {
            open($logfh, '>>', $o{log}) or die "$o{log}: $!";
            $logfh->autoflush(1);
        }
        my $ssl_opts;
        if ($o{tls}) {
            require IO::Socket::SSL;
            $ssl_opts = { SSL_server => 1, SSL_cert_file => $o{tls}{cert},
                          SSL_key_file => $o{tls}{key},
                          SSL_startHandshake => 0 };
        }
        serve($srv, $o{name} // "b$port", $logfh, $ssl_opts, $o{proxy});
    });
    return { %$s, name => $o{name} // "b$s->{port}" };
}

# The set-up of the tests that need one ALB with one HTTP listener on a
# free port in front of one target (named $name, logging to
# DIR/<lc name>.log), one worker: weir is started and the test bails out
# when it is not. Returns ($w, $dir, $port, $target).
sub one_target_weir {
    my ($name) = @_;
    my $w = Weir->new;
    my $dir = $w->dir;
    my $t = start_http_backend(name => $name, log => "$dir/" . lc($name) . ".log");
    my $port = free_port();
    $w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: $port
        target_group: pool
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $t->{port} }
EOF
    Test::More::ok($w->start($port), 'weir started')
        or Test::More::BAIL_OUT('weir did not start');
    return ($w, $dir, $port, $t);
}

# --- the target: one select loop, no fork per connection ---

sub serve {
    my ($srv, $name, $logfh, $ssl_opts, $proxy) = @_;
    $srv->blocking(0);
    my $sel = IO::Select->new($srv);
    my %c;      # fileno -> connection state
    while (1) {
        my @w = grep { my $s = $c{fileno $_}; $s && want_write($s) }
                $sel->handles;
        my $now = time;
        my $wait = 0.5;
        for my $s (values %c) {
            $wait = 0 if $s->{ssl_pending};
            my $due = $s->{due} || $s->{close_at};
            next unless $due;
            my $d = $due - $now;
            $wait = $d < $wait ? ($d < 0 ? 0 : $d) : $wait;
        }
        my ($r, $wr) = IO::Select->select($sel, IO::Select->new(@w), undef,
                                          $wait);
        my %ready = map { fileno($_) => 1 } @{ $r // [] };
        for my $s (values %c) {
            $ready{fileno $s->{fh}} = 1 if $s->{ssl_pending};
        }
        for my $fh ($sel->handles) {
            next unless $ready{fileno $fh};
            if ($fh == $srv) {
                while (my $cl = $srv->accept) {
                    $cl->blocking(0);
                    if ($ssl_opts) {
                        IO::Socket::SSL->start_SSL($cl, %$ssl_opts)
                            or next;
                    }
                    $sel->add($cl);
                    $c{fileno $cl} = { fh => $cl, in => '', out => '',
                                       state => $proxy ? 'pp' : 'head',
                                       bytes => 0,
                                       tls => $ssl_opts ? 1 : 0,
                                       hs => $ssl_opts ? 1 : 0 };
                    print $logfh "accept\n" if $logfh;
                }
                next;
            }
            my $s = $c{fileno $fh} or next;
            if ($s->{hs}) {
                if ($fh->accept_SSL) { $s->{hs} = 0; $s->{ssl_pending} = 1; }
                elsif ($IO::Socket::SSL::SSL_ERROR
                       != IO::Socket::SSL::SSL_WANT_READ()
                       && $IO::Socket::SSL::SSL_ERROR
                       != IO::Socket::SSL::SSL_WANT_WRITE()) {
                    drop($sel, \%c, $s, $logfh);
                }
                next;
            }
            my $n = sysread($fh, my $buf, 65536);
            $s->{ssl_pending} = $s->{tls} && $fh->pending ? 1 : 0;
            if (!defined $n) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK};
                $n = 0;
            }
            if ($n == 0) {
                $s->{eof} = 1;
            } else {
                $s->{bytes} += $n;
                $s->{in} .= $buf;
            }
            progress($s, $name, $logfh);
        }
        for my $s (values %c) {
            progress($s, $name, $logfh) if $s->{due} && $s->{due} <= time;
            $s->{dead} = 1 if $s->{close_at} && $s->{close_at} <= time
                              && !length $s->{out};
            flush($s);
            if ($s->{dead} || ($s->{eof} && !length $s->{out}
                               && !$s->{gen_left})
                || ($s->{close_after} && !length $s->{out}
                    && !$s->{gen_left})) {
                drop($sel, \%c, $s, $logfh);
            }
        }
    }
}

sub want_write {
    my ($s) = @_;
    return length($s->{out}) || $s->{gen_left};
}

sub drop {
    my ($sel, $c, $s, $logfh) = @_;
    print $logfh "bytes $s->{bytes}\n" if $logfh;
    $sel->remove($s->{fh});
    delete $c->{fileno $s->{fh}};
    close $s->{fh};
}

sub flush {
    my ($s) = @_;
    # a streamed body is made as the socket drains
    while ($s->{gen_left} && length($s->{out}) < 262144) {
        my $k = $s->{gen_left} < length $BLOCK ? $s->{gen_left}
                                               : length $BLOCK;
        my $part = substr($BLOCK, 0, $k);
        $s->{out} .= $s->{gen_chunked}
                     ? sprintf("%x\r\n", $k) . $part . "\r\n" : $part;
        $s->{gen_left} -= $k;
        if (!$s->{gen_left} && $s->{gen_chunked}) {
            $s->{out} .= "0\r\n\r\n";
        }
    }
    while (length $s->{out}) {
        my $n = syswrite($s->{fh}, $s->{out}, 65536);
        if (!defined $n) {
            $s->{dead} = 1 unless $!{EAGAIN} || $!{EWOULDBLOCK};
            return;
        }
        substr($s->{out}, 0, $n) = '';
    }
}

# move the connection on as far as its input allows
sub progress {
    my ($s, $name, $logfh) = @_;
    while (1) {
        if ($s->{state} eq 'raw') {
            $s->{out} .= $s->{in};
            $s->{in} = '';
            $s->{close_after} = 1 if $s->{eof};
            return;
        }
        if ($s->{state} eq 'pp') {
            my $sig = "\r\n\r\n\0\r\nQUIT\n";
            if (substr($s->{in}, 0, 6) eq 'PROXY ') {
                my $i = index($s->{in}, "\r\n");
                return if $i < 0;
                my $l = substr($s->{in}, 0, $i + 2, '');
                $s->{pp} = 'v1 ' . substr($l, 6, $i - 6);
            } elsif (substr($s->{in}, 0, 12) eq $sig) {
                return if length $s->{in} < 16;
                my $len = unpack('n', substr($s->{in}, 14, 2));
                return if length $s->{in} < 16 + $len;
                my $h = substr($s->{in}, 0, 16 + $len, '');
                if (ord(substr($h, 13, 1)) == 0x11) {
                    my ($sa, $da, $sp, $dp) = unpack('a4 a4 n n',
                                                     substr($h, 16, 12));
                    $s->{pp} = 'v2 ' . join('.', unpack('C4', $sa))
                             . ":$sp " . join('.', unpack('C4', $da))
                             . ":$dp";
                } else {
                    $s->{pp} = 'v2 family ' . ord(substr($h, 13, 1));
                }
            } elsif (length $s->{in} >= 12 || $s->{eof}) {
                print $logfh "proxy missing\n" if $logfh;
                $s->{dead} = 1;
                return;
            } else {
                return;
            }
            print $logfh "proxy $s->{pp}\n" if $logfh;
            $s->{state} = 'head';
            next;
        }
        if ($s->{state} eq 'wait') {
            return unless $s->{due} <= time;
            $s->{due} = 0;
            respond($s, $name, $logfh);
            next;
        }
        if ($s->{state} eq 'head') {
            my $i = index($s->{in}, "\r\n\r\n");
            return if $i < 0;
            my $head = substr($s->{in}, 0, $i + 4, '');
            my ($line, @h) = split /\r\n/, $head;
            my ($m, $path, $v) = split / /, $line;
            my %h;
            for (@h) {
                my ($k, $val) = /^([^:]+):\s*(.*?)\s*$/ or next;
                $h{lc $k} = defined $h{lc $k} ? "$h{lc $k}, $val" : $val;
            }
            print $logfh "req $m $path\n" if $logfh;
            if ($s->{drop_next}) {
                $s->{dead} = 1;
                return;
            }
            $s->{req} = { method => $m, path => $path, version => $v,
                          head => $head, h => \%h };
            $s->{md5} = Digest::MD5->new;
            $s->{blen} = 0;
            if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
                $s->{state} = 'chunk-size';
            } elsif ($h{'content-length'}) {
                $s->{left} = $h{'content-length'};
                $s->{state} = 'body';
            } else {
                $s->{state} = 'done';
            }
            if (($h{expect} // '') =~ /100-continue/i
                && $s->{state} ne 'done') {
                $s->{out} .= "HTTP/1.1 100 Continue\r\n\r\n";
            }
            next;
        }
        if ($s->{state} eq 'body') {
            return unless length $s->{in};
            my $k = $s->{left} < length $s->{in} ? $s->{left}
                                                 : length $s->{in};
            my $part = substr($s->{in}, 0, $k, '');
            $s->{md5}->add($part);
            $s->{blen} += $k;
            $s->{left} -= $k;
            $s->{state} = 'done' if $s->{left} == 0;
            next;
        }
        if ($s->{state} eq 'chunk-size') {
            my $i = index($s->{in}, "\r\n");
            return if $i < 0;
            my $l = substr($s->{in}, 0, $i + 2, '');
            my ($hex) = $l =~ /^([0-9a-fA-F]+)/;
            $s->{left} = hex($hex // 0);
            $s->{state} = $s->{left} ? 'chunk-data' : 'trailer';
            next;
        }
        if ($s->{state} eq 'chunk-data') {
            return unless length $s->{in};
            my $k = $s->{left} < length $s->{in} ? $s->{left}
                                                 : length $s->{in};
            my $part = substr($s->{in}, 0, $k, '');
            $s->{md5}->add($part);
            $s->{blen} += $k;
            $s->{left} -= $k;
            $s->{state} = 'chunk-crlf' if $s->{left} == 0;
            next;
        }
        if ($s->{state} eq 'chunk-crlf') {
            return if length $s->{in} < 2;
            substr($s->{in}, 0, 2, '');
            $s->{state} = 'chunk-size';
            next;
        }
        if ($s->{state} eq 'trailer') {
            my $i = index($s->{in}, "\r\n");
            return if $i < 0;
            my $l = substr($s->{in}, 0, $i + 2, '');
            $s->{state} = 'done' if $l eq "\r\n";
            push @{$s->{req}{trailers}}, substr($l, 0, -2) if $l ne "\r\n";
            next;
        }
        if ($s->{state} eq 'done') {
            return if length($s->{out}) > 4 * 1048576 || $s->{gen_left};
            my ($p, $q) = split /\?/, $s->{req}{path}, 2;
            if ($p eq '/slow') {
                $s->{due} = time + ($q // 1000) / 1000;
                $s->{state} = 'wait';
                next;
            }
            respond($s, $name, $logfh);
            next;
        }
        return;
    }
}

sub respond {
    my ($s, $name, $logfh) = @_;
    my $r = $s->{req};
    my ($p, $q) = split /\?/, $r->{path}, 2;
    my $close = ($r->{h}{connection} // '') =~ /close/i
                || ($r->{version} eq 'HTTP/1.0'
                    && ($r->{h}{connection} // '') !~ /keep-alive/i);
    my $conn = $close ? "Connection: close\r\n" : '';
    $s->{state} = 'head';
    my $head = sub {
        my ($status, $extra, $len) = @_;
        my $sni = $s->{tls} ? "X-TLS-SNI: "
                  . ($s->{fh}->get_servername // '-') . "\r\n" : '';
        $sni .= "X-Proxy: $s->{pp}\r\n" if defined $s->{pp};
        return "HTTP/1.1 $status\r\nX-Backend: $name\r\n$sni$extra"
             . (defined $len ? "Content-Length: $len\r\n" : '')
             . "$conn\r\n";
    };
    my $body;
    if ($p eq '/echo') {
        $body = $r->{head};
    } elsif ($p eq '/upload') {
        $body = "$name $s->{blen} " . $s->{md5}->hexdigest . "\n";
    } elsif ($p eq '/download' || $p eq '/length') {
        my $chunked = $p eq '/download';
        $s->{out} .= $head->('200 OK', $chunked
                             ? "Transfer-Encoding: chunked\r\n" : '',
                             $chunked ? undef : $q);
        $s->{gen_left} = $q;
        $s->{gen_chunked} = $chunked;
        if ($chunked && !$q) { $s->{out} .= "0\r\n\r\n"; }
        $s->{close_after} = 1 if $close;
        return;
    } elsif ($p eq '/trailers') {
        # chunked, the request's trailers told in the response's
        my $got = join(',', @{$r->{trailers} // []}) || '-';
        $s->{out} .= $head->('200 OK', "Transfer-Encoding: chunked\r\n",
                             undef)
                   . (defined $q && $q eq 'empty' ? ''
                      : sprintf("%x\r\n%s\n\r\n", length($name) + 1, $name))
                   . "0\r\nX-Sum: 42\r\nX-Got-Trailers: $got\r\n"
                   . "X-TE: " . ($r->{h}{te} // '-') . "\r\n\r\n";
        $s->{close_after} = 1 if $close;
        return;
    } elsif ($p eq '/ws') {
        $s->{out} .= "HTTP/1.1 101 Switching Protocols\r\n"
                   . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   . "X-Backend: $name\r\n\r\n";
        $s->{state} = 'raw';
        return;
    } elsif ($p eq '/login' || $p eq '/cookie') {
        my $v = $p eq '/login' ? 'abc' : $q;
        $s->{out} .= $head->('200 OK',
                             "Set-Cookie: JSESSIONID=$v; Path=/\r\n",
                             length("$name\n")) . "$name\n";
        $s->{close_after} = 1 if $close;
        return;
    } elsif ($p eq '/close-later') {
        # answered keep-alive, then closed while idle
        $body = "$name\n";
        $s->{close_at} = time + 0.2;
    } elsif ($p eq '/close-next') {
        $body = "$name\n";
        $s->{drop_next} = 1;
    } elsif ($p eq '/reset') {
        $s->{dead} = 1;
        return;
    } elsif ($p eq '/close') {
        $s->{out} .= "HTTP/1.1 200 OK\r\nX-Backend: $name\r\n"
                   . "Content-Length: " . length("$name\n") . "\r\n"
                   . "Connection: close\r\n\r\n$name\n";
        $s->{close_after} = 1;
        return;
    } elsif ($p eq '/bad') {
        $s->{out} .= "HTTP/1.1 2OO OK\r\n\r\n";
        $s->{close_after} = 1;
        return;
    } elsif ($p eq '/status') {
        if ($q == 204 || $q == 304) {
            $s->{out} .= $head->("$q X", '', undef);
        } else {
            $s->{out} .= $head->("$q X", '', length("$name\n")) . "$name\n";
        }
        $s->{close_after} = 1 if $close;
        return;
    } elsif ($p eq '/hop') {
        $s->{out} .= $head->('200 OK', "Connection: X-Secret, keep-alive\r\n"
                             . "X-Secret: 1\r\nKeep-Alive: timeout=5\r\n"
                             . "Proxy-Connection: keep-alive\r\n"
                             . "Upgrade: h2c\r\nX-Kept: 1\r\n",
                             length("$name\n")) . "$name\n";
        $s->{close_after} = 1 if $close;
        return;
    } elsif ($p eq '/head-big') {
        $s->{out} .= $head->('200 OK', 'X-Big: ' . ('x' x 20480) . "\r\n",
                             length("$name\n")) . "$name\n";
        $s->{close_after} = 1 if $close;
        return;
    } else {
        $body = "$name\n";
    }
    $s->{out} .= $head->('200 OK', '', length $body)
               . ($r->{method} eq 'HEAD' ? '' : $body);
    $s->{close_after} = 1 if $close;
}

# --- the client ---

# A connection to 127.0.0.1:$port (TLS when $tls is a hash of
# IO::Socket::SSL options).
sub http_connect {
    my ($port, $tls) = @_;
    if ($tls) {
        require IO::Socket::SSL;
        return IO::Socket::SSL->new(PeerAddr => '127.0.0.1',
                                    PeerPort => $port, SSL_verify_mode => 0,
                                    Timeout => 5, %$tls);
    }
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Proto => 'tcp', Timeout => 5);
}

# Send one request on $sock and read its response: returns a hash
# { status, headers (lower-case names, repeated ones joined by "\n"),
#   body, raw_head } or undef when the connection failed or closed first.
sub http_request {
    my ($sock, $method, $path, %o) = @_;
    my $body = $o{body} // '';
    my $h = $o{headers} // [];
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n";
    for (my $i = 0; $i < @$h; $i += 2) { $req .= "$h->[$i]: $h->[$i+1]\r\n"; }
    $req .= "Content-Length: " . length($body) . "\r\n" if length $body;
    $req .= "\r\n$body";
    my $off = 0;
    while ($off < length $req) {
        my $n = syswrite($sock, $req, length($req) - $off, $off);
        return undef unless defined $n;
        $off += $n;
    }
    return read_response($sock, $method, $o{timeout});
}

# Bytes read past a response, per socket (pipelining, early data).
my %leftover;

# Read one response from $sock (to a request with $method); interim
# (1xx) responses are skipped, their status lines kept in {interim}.
sub read_response {
    my ($sock, $method, $timeout) = @_;
    $timeout //= 10;
    my $buf = delete $leftover{"$sock"} // '';
    my $deadline = time + $timeout;
    my $more = sub {
        my $left = $deadline - time;
        return 0 if $left <= 0;
        if (!(ref($sock) =~ /SSL/ && $sock->pending)) {
            my $sel = IO::Select->new($sock);
            return 0 unless $sel->can_read($left);
        }
        my $n = sysread($sock, my $b, 65536);
        return 0 unless $n;
        $buf .= $b;
        return 1;
    };
    my @interim;
    my ($i, $head, $status, %h);
    while (1) {
        while (($i = index($buf, "\r\n\r\n")) < 0) {
            return undef unless $more->();
        }
        $head = substr($buf, 0, $i + 4, '');
        my ($line, @h) = split /\r\n/, $head;
        ($status) = $line =~ /^HTTP\/1\.\d (\d{3})/ or return undef;
        %h = ();
        for (@h) {
            my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
            $h{lc $k} = defined $h{lc $k} ? "$h{lc $k}\n$v" : $v;
        }
        last if $status >= 200 || $status == 101;
        push @interim, $line;
    }
    my $r = { status => $status, headers => {%h}, raw_head => $head,
              interim => \@interim };
    my $body = '';
    if ($status == 101) {
        # the tunnel's first bytes
        $r->{rest} = $buf;
        $buf = '';
    } elsif ($status == 204 || $status == 304 || $method eq 'HEAD') {
        # no body: what follows is the next response
    } elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        while (1) {
            my $j;
            while (($j = index($buf, "\r\n")) < 0) {
                return undef unless $more->();
            }
            my $size = hex(substr($buf, 0, $j + 2, ''));
            if ($size == 0) {
                while (($j = index($buf, "\r\n")) != 0) {
                    if ($j > 0) { substr($buf, 0, $j + 2, ''); next; }
                    return undef unless $more->();
                }
                substr($buf, 0, 2, '');
                last;
            }
            while (length($buf) < $size + 2) {
                return undef unless $more->();
            }
            $body .= substr($buf, 0, $size, '');
            substr($buf, 0, 2, '');
        }
    } elsif (defined $h{'content-length'}) {
        while (length($buf) < $h{'content-length'}) {
            return undef unless $more->();
        }
        $body = substr($buf, 0, $h{'content-length'}, '');
    } else {
        while ($more->()) { }
        $body = $buf;
        $buf = '';
    }
    $leftover{"$sock"} = $buf if length $buf;
    $r->{body} = $body;
    return $r;
}

1;
