# weir: helpers for the tests of the admin API (t/admin_*.t): a weir with
# an admin token, one request with a body on its own connection, the JSON
# it answers, and `weir -t` of a file.
package WeirAdmin;
use strict;
use warnings;
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Weir qw(binary free_port wait_for);

our @EXPORT_OK = qw(admin_weir admin_client weir_t file_bytes);

# A weir whose admin listener takes $token, written to admin.token in its
# directory with mode 0600:
#   my ($w, $dir, $ap, $admin) = admin_weir($token);
# $ap: a free port for the admin listener; $admin: the configuration's
# admin block for it (listen and token_file, no newline at the end), to
# put on a line of its own.
sub admin_weir {
    my ($token) = @_;
    my $w = Weir->new;
    my $dir = $w->dir;
    open(my $fh, '>', "$dir/admin.token") or die $!;
    print $fh "$token\n";
    close $fh;
    chmod 0600, "$dir/admin.token" or die $!;
    my $ap = free_port();
    my $admin = "admin:\n  listen: 127.0.0.1:$ap\n  token_file: admin.token";
    return ($w, $dir, $ap, $admin);
}

# A client of the admin listener at 127.0.0.1:$port with $token:
#   my $api = admin_client($port, $token);
#   my $r = $api->('POST', $path, $body);   # $body: a ref (JSON-encoded)
#                                           # or a string sent as is
# $r: { status, headers (lower-case names), body, json (decoded or undef) }
# or undef when the connection failed.
sub admin_client {
    my ($port, $token) = @_;
    my $json = JSON::PP->new->canonical;
    return sub {
        my ($method, $path, $body, %o) = @_;
        # a refused body may be answered (and the socket closed) before
        # all of it is sent
        local $SIG{PIPE} = 'IGNORE';
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp',
                                      Timeout => 5) or return undef;
        $body = $json->encode($body) if ref $body;
        my $h = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
                . "X-Auth-Token: $token\r\nConnection: close\r\n";
        $h .= "$_\r\n" for @{ $o{headers} // [] };
        if (defined $body) {
            $h .= "Content-Type: application/json\r\n";
            $h .= "Content-Length: " . length($body) . "\r\n"
                unless $o{no_length};
        }
        print $s $h, "\r\n", $body // '';
        my $sel = IO::Select->new($s);
        my $buf = '';
        while ($sel->can_read(10)) {
            my $n = sysread($s, $buf, 65536, length $buf);
            last unless $n;
        }
        close $s;
        my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
        return undef unless defined $head && $head =~ m{^HTTP/1\.1 (\d{3})};
        my %r = (status => $1, body => $rest // '');
        for my $line (split /\r\n/, $head) {
            $r{headers}{lc $1} = $2 if $line =~ /^([^:]+): (.*)$/;
        }
        $r{json} = eval { decode_json($r{body}) } if length $r{body};
        return \%r;
    };
}

# `weir -t` of the configuration file $file (prefix $dir): (exit status,
# output)
sub weir_t {
    my ($dir, $file) = @_;
    my $out = `@{[binary()]} -t -p $dir -c $file 2>&1`;
    return ($? >> 8, $out);
}

# the bytes of a file (undef when it cannot be read)
sub file_bytes {
    my ($file) = @_;
    open(my $fh, '<:raw', $file) or return undef;
    local $/;
    my $b = <$fh>;
    close $fh;
    return $b;
}

1;
