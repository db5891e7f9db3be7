#!/usr/bin/perl
# weir: sticky sessions of HTTP target groups. HTTP_COOKIE: the first
# response sets WEIRSTICKY with Max-Age = persistence_timeout, HttpOnly,
# Path=/; requests carrying it reach one target, and the cookie is not
# passed on; when that target gets weight 0 (reload), the next request
# goes elsewhere and gets a new cookie. APP_COOKIE: once a target sets
# JSESSIONID, requests carrying that value reach it; the binding expires
# persistence_timeout after its last use and survives a reload; a binding
# to a drained target follows the fresh choice.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request);

my $w = Weir->new;

my @t = map { start_http_backend(name => $_) } qw(A B C);
my %port = map { $_ => free_port() } qw(cookie app long);

sub config {
    my (%weight) = @_;
    my $members = join('', map {
        "          - { name: $_->{name}, address: 127.0.0.1, protocol_port: "
        . "$_->{port}, weight: " . ($weight{$_->{name}} // 1) . " }\n" } @t);
    my $two = join('', map {
        "          - { name: $_->{name}, address: 127.0.0.1, protocol_port: "
        . "$_->{port} }\n" } @t[0, 1]);
    return <<"EOF";
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: cookie, protocol: HTTP, protocol_port: $port{cookie}, target_group: tg-cookie }
      - { name: app, protocol: HTTP, protocol_port: $port{app}, target_group: tg-app }
      - { name: long, protocol: HTTP, protocol_port: $port{long}, target_group: tg-long }
    target_groups:
      - name: tg-cookie
        protocol: HTTP
        session_persistence: { type: HTTP_COOKIE, persistence_timeout: 120 }
        members:
$members
      - name: tg-app
        protocol: HTTP
        session_persistence: { type: APP_COOKIE, cookie_name: JSESSIONID, persistence_timeout: 2 }
        members:
$two
      - name: tg-long
        protocol: HTTP
        session_persistence: { type: APP_COOKIE, cookie_name: JSESSIONID, persistence_timeout: 60 }
        members:
$members
EOF
}

$w->write_config(config());
ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

# one request on a new connection: (target, Set-Cookie or '', body)
sub req {
    my ($listener, $path, $cookie) = @_;
    my $s = http_connect($port{$listener}) or return ('', '', '');
    my $r = http_request($s, 'GET', $path,
                         headers => [$cookie ? (Cookie => $cookie) : ()]);
    close $s;
    return ('', '', '') unless $r && $r->{status} == 200;
    return ($r->{headers}{'x-backend'} // '',
            $r->{headers}{'set-cookie'} // '', $r->{body});
}

# write the config, reload, and wait until only new workers are left
sub reload {
    my ($yaml) = @_;
    my @old = $w->workers;
    $w->write_config($yaml);
    $w->signal('HUP');
    return wait_for(sub {
        my @now = $w->workers;
        return @now && !grep { my $o = $_; grep { $_ == $o } @now } @old;
    }, 15);
}

# --- HTTP_COOKIE ---
my ($first, $set) = req('cookie', '/');
like($set, qr/^WEIRSTICKY=[0-9a-f]{24}; Max-Age=120; Path=\/; HttpOnly$/,
     'the first response sets WEIRSTICKY with Max-Age = persistence_timeout');
my ($value) = $set =~ /^WEIRSTICKY=([0-9a-f]+)/;
$value //= '';

my %seen;
my $cookies = 0;
for (1 .. 100) {
    my ($who, $again) = req('cookie', '/', "WEIRSTICKY=$value");
    $seen{$who}++;
    $cookies++ if $again;
}
is_deeply(\%seen, { $first => 100 }, "100 requests with it reach $first");
is($cookies, 0, 'and set no new cookie');

my (undef, undef, $echo) = req('cookie', '/echo',
                               "a=1; WEIRSTICKY=$value; b=2");
like($echo, qr/^Cookie: a=1; b=2\r$/m, 'the target does not see WEIRSTICKY');

my ($other) = grep { $_ ne $first } qw(A B C);
my ($who, $fresh) = req('cookie', '/', 'WEIRSTICKY=0123456789abcdef01234567');
like($fresh, qr/^WEIRSTICKY=[0-9a-f]{24};/,
     'a cookie naming no target gets a fresh choice and a new cookie');

# the stuck target drains: reload with its weight 0
ok(reload(config($first => 0)), 'reloaded with weight 0');
my ($moved_to, $new_cookie) = ('', '');
ok(wait_for(sub {
       ($moved_to, $new_cookie) = req('cookie', '/', "WEIRSTICKY=$value");
       return $moved_to && $moved_to ne $first;
   }, 15), "after $first got weight 0 the next request goes elsewhere "
           . "($moved_to)");
like($new_cookie, qr/^WEIRSTICKY=[0-9a-f]{24}; Max-Age=120;/,
     'with a new cookie');
my ($new_value) = $new_cookie =~ /^WEIRSTICKY=([0-9a-f]+)/;
isnt($new_value // '', $value, 'naming another target');
%seen = ();
for (1 .. 20) {
    my ($x) = req('cookie', '/', "WEIRSTICKY=" . ($new_value // ''));
    $seen{$x}++;
}
is_deeply(\%seen, { $moved_to => 20 }, "the new cookie sticks to $moved_to");

# --- APP_COOKIE ---
my ($bound) = req('app', '/login');
ok($bound, "a target set JSESSIONID=abc ($bound)");
%seen = ();
for (1 .. 20) {
    my ($x) = req('app', '/', 'JSESSIONID=abc');
    $seen{$x}++;
}
is_deeply(\%seen, { $bound => 20 }, "20 requests with it reach $bound");
my $last_use = time;

%seen = ();
for (1 .. 4) { my ($x) = req('app', '/', 'JSESSIONID=unknown'); $seen{$x}++; }
is(scalar keys %seen, 2, 'a value no target set is balanced as usual');

# the binding expires 2 s after its last use (a request with it would
# renew it: only time tells)
wait_for(sub { time - $last_use > 2.5 }, 5);
%seen = ();
for (1 .. 4) { my ($x) = req('app', '/', 'JSESSIONID=abc'); $seen{$x}++; }
is(scalar keys %seen, 2, 'after persistence_timeout the binding is gone');

# a binding survives a reload, and follows a fresh choice when its target
# drains
my ($lb) = req('long', '/cookie?xyz');
%seen = ();
for (1 .. 10) { my ($x) = req('long', '/', 'JSESSIONID=xyz'); $seen{$x}++; }
is_deeply(\%seen, { $lb => 10 }, "JSESSIONID=xyz sticks to $lb");

reload(config($first => 0));
%seen = ();
for (1 .. 10) { my ($x) = req('long', '/', 'JSESSIONID=xyz'); $seen{$x}++; }
is_deeply(\%seen, { $lb => 10 }, 'the binding survives a reload');

ok(reload(config($lb => 0)), 'reloaded with weight 0');
my $after = '';
ok(wait_for(sub { ($after) = req('long', '/', 'JSESSIONID=xyz');
                  return $after && $after ne $lb; }, 15),
   "after $lb drained, JSESSIONID=xyz goes elsewhere ($after)");
%seen = ();
for (1 .. 10) { my ($x) = req('long', '/', 'JSESSIONID=xyz'); $seen{$x}++; }
is(scalar keys %seen, 1, 'and is bound to the fresh choice');

check_clean($w);

done_testing();
