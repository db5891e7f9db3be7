#!/usr/bin/perl
# weir: a request is sent again (on a new connection or to another
# target) only when the target cannot have acted on it: when nothing of it
# was written, or when its method is idempotent (RFC 9110 9.2.2) and none
# of its body was sent. A POST or PATCH, even without a body, written on a
# pooled connection that the target closes before answering is not sent
# twice: the client gets 502, as from nginx (proxy_next_upstream without
# non_idempotent). Issue 13, defect 7.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(one_target_weir check_clean start_http_backend http_connect http_request
                count_lines);

# one worker, one target: the pool is the worker's, so every request
# after /close-next gets the connection that /close-next left idle
my ($w, $dir, $port, $a) = one_target_weir('A');

sub reqs {
    my ($re) = @_;
    return count_lines("$dir/a.log", $re);
}

# $method $path after a /close-next: the target sees it, closes the
# connection without a byte of answer. Returns (status, how many times
# the target got it).
sub after_close_next {
    my ($method, $path, %o) = @_;
    my $c = http_connect($port);
    my $r = http_request($c, 'GET', '/close-next');
    ok($r && $r->{status} == 200, "$method $path: /close-next answered");
    my $re = qr/^req $method \Q$path\E$/;
    my $before = reqs($re);
    $r = http_request($c, $method, $path, %o);
    my $status = $r ? $r->{status} : 'none';
    # the target logs a request as its head arrives
    wait_for(sub { reqs($re) > $before }, 5);
    close $c;
    return ($status, reqs($re) - $before);
}

my ($st, $n) = after_close_next('POST', '/p0',
                                headers => ['Content-Length' => 0]);
is($st, 502, 'a zero-length POST on a pooled connection closed by the '
             . 'target: 502');
is($n, 1, 'the zero-length POST reached the target once');

($st, $n) = after_close_next('POST', '/p1', body => 'x=1');
is($st, 502, 'a POST with a body: 502');
is($n, 1, 'the POST with a body reached the target once');

($st, $n) = after_close_next('PATCH', '/p2');
is($st, 502, 'a PATCH without a body: 502');
is($n, 1, 'the PATCH reached the target once');

# idempotent methods are still sent again, on a new connection
($st, $n) = after_close_next('GET', '/g');
is($st, 200, 'a GET on a pooled connection closed by the target: '
             . 'sent again, 200');
is($n, 2, 'the GET reached the target twice');

($st, $n) = after_close_next('DELETE', '/d');
is($st, 200, 'a DELETE (idempotent, no body) is sent again: 200');

# a POST on a connection the target closed while idle, known before
# sending (the pool drops it): a new connection, answered
my $closed = count_lines("$dir/a.log", qr/^bytes/);
my $c = http_connect($port);
my $r = http_request($c, 'GET', '/close-later');
ok(wait_for(sub { count_lines("$dir/a.log", qr/^bytes/) > $closed }),
   'the target closed an idle connection');
$r = http_request($c, 'POST', '/p3', body => 'z');
is($r && $r->{status}, 200, 'a POST after the target closed an idle '
                            . 'connection is answered');
close $c;

check_clean($w);

done_testing();
