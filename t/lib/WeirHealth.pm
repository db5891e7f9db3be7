# weir: helpers for the health check tests: an HTTP (optionally HTTPS)
# target that records what it is asked and answers with a status the test
# can change while it runs, a client that asks through weir which target
# answered, a test certificate, and the health checker's pid.
package WeirHealth;

use strict;
use warnings;

use Exporter 'import';
use IO::Select;
use Time::HiRes qw(time);
use Weir qw(spawn_server tcp_exchange);

our @EXPORT_OK = qw(http_target set_status http_ask
                    make_cert checker_pid requests);

# Start an HTTP target on 127.0.0.1 in a child process
# (Weir::spawn_server(); stop it with Weir::stop_server()):
#   name    what the body says ("NAME\n")
#   port    (default: a free one)
#   dir     where NAME.status (the status to answer, default 200) and
#           NAME.log (one line per request: "LINE|HOST") live
#   tls     { cert => file, key => file }: HTTPS
# Connections are served one at a time, each for at most 2 s.
sub http_target {
    my (%o) = @_;
    my $dir = $o{dir} // die "http_target: dir needed\n";
    my $s = spawn_server(port => $o{port}, listen => 128,
                         what => 'http_target', serve => sub {
        my ($srv, $port) = @_;
        if ($o{tls}) {
            require IO::Socket::SSL;
        }
        while (1) {
            my $c = $srv->accept or next;
            serve($c, $o{name} // "t$port", $dir, $o{tls});
        }
    });
    return { %$s, name => $o{name} // "t$s->{port}", dir => $dir };
}

sub serve {
    my ($c, $name, $dir, $tls) = @_;
    my $deadline = time + 2;
    if ($tls) {
        $c = IO::Socket::SSL->start_SSL($c, SSL_server => 1,
            SSL_cert_file => $tls->{cert}, SSL_key_file => $tls->{key},
            Timeout => 2) or return;
    }
    my $in = '';
    my $sel = IO::Select->new($c);
    while ($in !~ /\r?\n\r?\n/) {
        my $left = $deadline - time;
        return if $left <= 0;
        # TLS may hold decrypted bytes the socket no longer shows
        unless ($tls && $c->pending) {
            return unless $sel->can_read($left);
        }
        my $n = sysread($c, my $buf, 4096);
        if (!defined $n) {
            next if $!{EAGAIN} || $!{EWOULDBLOCK};
            return;
        }
        return if $n == 0;
        $in .= $buf;
    }
    my ($line) = $in =~ /\A([^\r\n]*)/;
    my ($host) = $in =~ /^Host:[ \t]*([^\r\n]*)/mi;
    if (open(my $lf, '>>', "$dir/$name.log")) {
        print $lf "$line|", $host // '', "\n";
        close $lf;
    }
    my $status = 200;
    if (open(my $sf, '<', "$dir/$name.status")) {
        my $s = <$sf>;
        close $sf;
        $status = $1 if defined $s && $s =~ /(\d{3})/;
    }
    my $body = "$name\n";
    my $out = "HTTP/1.1 $status Status $status\r\n"
            . "Content-Length: " . length($body) . "\r\n"
            . "Connection: close\r\n\r\n" . $body;
    syswrite($c, $out);
    if ($tls) {
        $c->close(SSL_no_shutdown => 0);
    } else {
        close $c;
    }
}

# Make target $t answer $status from now on.
sub set_status {
    my ($t, $status) = @_;
    my $f = "$t->{dir}/$t->{name}.status";
    open(my $fh, '>', "$f.tmp") or die "$f: $!";
    print $fh "$status\n";
    close $fh;
    rename "$f.tmp", $f or die "$f: $!";
}

# The requests target $t has seen: a list of [request line, Host].
sub requests {
    my ($t) = @_;
    open(my $fh, '<', "$t->{dir}/$t->{name}.log") or return ();
    my @r;
    while (my $l = <$fh>) {
        chomp $l;
        push @r, [ split /\|/, $l, 2 ];
    }
    close $fh;
    return @r;
}

# Ask through weir's listener on $port; returns the name of the target
# that answered, or undef when the request failed.
sub http_ask {
    my ($port) = @_;
    my $r = tcp_exchange($port, "GET /app HTTP/1.0\r\nHost: test\r\n\r\n", 5);
    return undef unless defined $r && $r =~ /\r\n\r\n(\S+)\n\z/;
    return $1;
}

# A self-signed certificate and key for CN=localhost in $dir; returns
# (cert, key) or an empty list when openssl failed.
sub make_cert {
    my ($dir) = @_;
    my ($cert, $key) = ("$dir/cert.pem", "$dir/key.pem");
    my $rc = system("openssl req -x509 -newkey rsa:2048 -nodes "
                    . "-subj /CN=localhost -days 2 -keyout '$key' "
                    . "-out '$cert' 2>/dev/null") == 0;
    return $rc ? ($cert, $key) : ();
}

# The pid of weir $w's health checker (the one alive), or undef.
sub checker_pid {
    my ($w) = @_;
    my @p = $w->children(qr/health checker/);
    return @p == 1 ? $p[0] : undef;
}

1;
