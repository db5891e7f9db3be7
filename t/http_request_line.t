#!/usr/bin/perl
# weir: the request-line that goes to a target is valid origin-form (or
# asterisk-form): an absolute-form target with a query and no path
# ("GET http://a?x=1") goes as "/?x=1", and "OPTIONS http://a" (empty path,
# no query) as "OPTIONS *" (RFC 9112 3.2.1 and 3.2.4). Issue 13, defect
# 10; the exact heads are in t/unit/http/test_lb_http_headers.c.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(one_target_weir check_clean start_http_backend http_connect read_response
                count_lines);

my ($w, $dir, $port, $a) = one_target_weir('A');

# the request-line the target got for $line
sub forwarded {
    my ($method, $target) = @_;
    my $n = count_lines("$dir/a.log", qr/^req /);
    my $c = http_connect($port);
    print $c "$method $target HTTP/1.1\r\nHost: a\r\n\r\n";
    my $r = read_response($c, $method);
    close $c;
    return 'no answer' unless $r && $r->{status} == 200;
    wait_for(sub { count_lines("$dir/a.log", qr/^req /) > $n }, 5);
    my @l = grep { /^req / } WeirHTTP::log_lines("$dir/a.log");
    return $l[-1] // 'none';
}

is(forwarded('GET', 'http://a?x=1'), 'req GET /?x=1',
   'GET http://a?x=1 goes as GET /?x=1');
is(forwarded('GET', 'http://a'), 'req GET /', 'GET http://a goes as GET /');
is(forwarded('OPTIONS', 'http://a'), 'req OPTIONS *',
   'OPTIONS http://a goes as OPTIONS *');
is(forwarded('OPTIONS', 'http://a/'), 'req OPTIONS /',
   'OPTIONS http://a/ goes as OPTIONS /');

check_clean($w);

done_testing();
