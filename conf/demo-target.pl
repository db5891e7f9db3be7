#!/usr/bin/perl
# weir demo target: a tiny HTTP/1.1 server that answers every request with
# "hello from NAME". Usage: demo-target.pl PORT NAME. Loopback only.
use strict;
use warnings;
use IO::Socket::INET;

my ($port, $name) = @ARGV;
die "usage: $0 PORT NAME\n" unless $port && $name;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Listen => 128, ReuseAddr => 1) or die "listen 127.0.0.1:$port: $!\n";
$SIG{CHLD} = 'IGNORE';
while (my $c = $srv->accept) {
    next if fork;
    $c->autoflush(1);
    while (1) {
        my $head = '';
        while (defined(my $l = <$c>)) { $head .= $l; last if $l =~ /^\r?\n$/; }
        last if $head eq '';
        my $body = "hello from $name\n";
        print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n$body";
        last if $head =~ /^Connection:\s*close/mi;
    }
    exit 0;
}
