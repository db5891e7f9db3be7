#!/usr/bin/perl
# weir: HTTP/2 clients that attack the protocol (issue 16, item 2). Each
# case is bounded and ends with the attacker's connection closed (with
# the exact GOAWAY code), while another client is served all along:
# rapid reset (CVE-2023-44487: 10 000 HEADERS + RST_STREAM pairs),
# CONTINUATION flood (2024), SETTINGS, PING and empty DATA floods
# (CVE-2019-9512, 9515, 9518), a 1 MB header list, a header list over
# weir's limit (431, as for HTTP/1.1), more streams at once than
# SETTINGS_MAX_CONCURRENT_STREAMS (REFUSED_STREAM), a body longer than
# its content-length (RST_STREAM PROTOCOL_ERROR).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend count_lines);
use WeirH2 qw(h2_connect h2_frame h2_send h2_read_frame h2_wait h2_headers
              h2_hpack h2_request h2_response h2_settings %TYPE %ERR);

my $w = Weir->new;
my $dir = $w->dir;

system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
       . " -nodes -days 2 -subj /CN=h2.test -keyout $dir/main.key"
       . " -out $dir/main.pem 2>/dev/null") == 0
    or die "openssl req failed\n";

my $t = start_http_backend(name => 'T', log => "$dir/t.log");
my $port = free_port();
my $ap = free_port();
open(my $tok, '>', "$dir/admin.token") or die;
print $tok "h2-attack-token-0123456789abcdef\n";
close $tok;
chmod 0600, "$dir/admin.token";

$w->write_config(<<"EOF2");
worker_processes: 1
admin:
  listen: 127.0.0.1:$ap
  token_file: admin.token
  metrics_public: true
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: $port
        target_group: pool
        tls_certificate: main.pem
        tls_key: main.key
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $t->{port} }
EOF2
ok($w->start($port), 'weir started')
    or BAIL_OUT('no weir: ' . `cat $dir/stderr.log $dir/logs/error.log`);

# another client, served while and after each attack
sub bystander {
    my ($what) = @_;
    my $out = `curl -sk --http2 --max-time 5 https://127.0.0.1:$port/ 2>&1`;
    is($out, "T\n", "another h2 client is served after the $what");
}

# Send $n copies of what $make->($i) returns, in batches, reading what
# comes back between batches; stop when the connection goes. Returns the
# GOAWAY frame seen (or undef) and how long it took.
sub flood {
    my ($c, $n, $make) = @_;
    my $start = time;
    my $goaway;
    my $i = 0;
    while ($i < $n && !$goaway) {
        my $batch = '';
        for (1 .. 100) {
            last if $i >= $n;
            $batch .= $make->($i++);
        }
        last unless h2_send($c, $batch);
        while (my $f = h2_read_frame($c, 0.001)) {
            if ($f->{type} == $TYPE{GOAWAY}) { $goaway = $f; last; }
        }
        last if $c->{eof};
    }
    $goaway //= h2_wait($c, sub { $_[0]{type} == $TYPE{GOAWAY} }, 5);
    return ($goaway, time - $start, $i);
}

sub closed {
    my ($c) = @_;
    # whatever follows the GOAWAY, then the end
    1 while h2_read_frame($c, 3);
    return $c->{eof};
}

# --- rapid reset ---

my $before = count_lines("$dir/t.log", qr/^req /);
my $c = h2_connect($port) or BAIL_OUT('no h2 connection');
my ($g, $took, $sent) = flood($c, 10000, sub {
    my $id = 2 * $_[0] + 1;
    return h2_headers($id, 1, h2_request('/'))
           . h2_frame('RST_STREAM', 0, $id, pack('N', $ERR{CANCEL}));
});
ok($g, 'rapid reset: the connection gets a GOAWAY');
is($g && $g->{code}, $ERR{ENHANCE_YOUR_CALM},
   'rapid reset: GOAWAY ENHANCE_YOUR_CALM');
ok($sent < 10000, "rapid reset: cut off after $sent of 10000 pairs");
ok($took < 10, 'rapid reset: within 10 s');
ok(closed($c), 'rapid reset: the connection is closed');
my $reached = count_lines("$dir/t.log", qr/^req /) - $before;
ok($reached <= 400, "rapid reset: $reached requests reached the target");
bystander('rapid reset');

# --- SETTINGS, PING, empty DATA floods ---

$c = h2_connect($port);
($g, $took, $sent) = flood($c, 10000, sub { h2_frame('SETTINGS', 0, 0, '') });
is($g && $g->{code}, $ERR{ENHANCE_YOUR_CALM},
   "SETTINGS flood: GOAWAY ENHANCE_YOUR_CALM after $sent frames");
ok(closed($c), 'SETTINGS flood: the connection is closed');
bystander('SETTINGS flood');

$c = h2_connect($port);
($g, $took, $sent) = flood($c, 10000,
                           sub { h2_frame('PING', 0, 0, 'x' x 8) });
is($g && $g->{code}, $ERR{ENHANCE_YOUR_CALM},
   "PING flood: GOAWAY ENHANCE_YOUR_CALM after $sent frames");
ok(closed($c), 'PING flood: the connection is closed');
bystander('PING flood');

$c = h2_connect($port);
h2_send($c, h2_headers(1, 0, ':method' => 'POST', ':scheme' => 'https',
                       ':path' => '/upload', ':authority' => 'h2.test'));
($g, $took, $sent) = flood($c, 10000, sub { h2_frame('DATA', 0, 1, '') });
is($g && $g->{code}, $ERR{ENHANCE_YOUR_CALM},
   "empty DATA flood: GOAWAY ENHANCE_YOUR_CALM after $sent frames");
ok(closed($c), 'empty DATA flood: the connection is closed');
bystander('empty DATA flood');

# --- CONTINUATION flood, a 1 MB header list ---

$c = h2_connect($port);
h2_send($c, h2_frame('HEADERS', 0, 1, h2_hpack(h2_request('/'))));
($g, $took, $sent) = flood($c, 10000, sub {
    h2_frame('CONTINUATION', 0, 1, h2_hpack("x-c$_[0]" => 'y' x 100));
});
ok($sent < 10000, "CONTINUATION flood: cut off after $sent frames");
is($g && $g->{code}, $ERR{ENHANCE_YOUR_CALM},
   'CONTINUATION flood: GOAWAY ENHANCE_YOUR_CALM');
ok(closed($c), 'CONTINUATION flood: the connection is closed');
bystander('CONTINUATION flood');

$c = h2_connect($port);
my $block = h2_hpack(h2_request('/'), map { ("x-big$_" => 'v' x 1000) }
                                      1 .. 1000);
my @frags = unpack('(a16384)*', $block);
my $first = shift @frags;
my $bytes = h2_frame('HEADERS', 0, 1, $first);
while (@frags) {
    my $f = shift @frags;
    $bytes .= h2_frame('CONTINUATION', @frags ? 0 : 0x4, 1, $f);
}
($g, $took, $sent) = flood($c, 1, sub { $bytes });
is($g && $g->{code}, $ERR{ENHANCE_YOUR_CALM},
   'a 1 MB header list: GOAWAY ENHANCE_YOUR_CALM');
ok(closed($c), 'a 1 MB header list: the connection is closed');
bystander('1 MB header list');

# a header list within the frames allowed, over weir's limit: 431
$c = h2_connect($port);
$block = h2_hpack(h2_request('/', 'x-big' => 'v' x 8000,
                             'x-big2' => 'v' x 8000, 'x-big3' => 'v' x 8000));
@frags = unpack('(a16000)*', $block);
h2_send($c, h2_frame('HEADERS', 0x1, 1, $frags[0])
            . h2_frame('CONTINUATION', 0x4, 1, $frags[1]));
my ($status) = h2_response($c, 1);
is($status, '431', 'a 24 KB header list (HEADERS + CONTINUATION) is '
                   . 'answered 431');

# --- more streams than allowed at once ---

sub open_streams {
    my ($c, $n) = @_;
    my $open = '';
    for my $i (0 .. $n - 1) {
        $open .= h2_headers(2 * $i + 1, 0, ':method' => 'POST',
                            ':scheme' => 'https', ':path' => '/upload',
                            ':authority' => 'h2.test',
                            'content-length' => '1');
    }
    h2_send($c, $open);
}

# before the client acknowledged SETTINGS_MAX_CONCURRENT_STREAMS: the
# streams past it are refused, the others go on
$c = h2_connect($port);
open_streams($c, 130);
my %rst;
h2_wait($c, sub {
    $rst{$_[0]{stream}} = $_[0]{code} if $_[0]{type} == $TYPE{RST_STREAM};
    return keys(%rst) >= 2;
}, 5);
is_deeply(\%rst, { 257 => $ERR{REFUSED_STREAM},
                   259 => $ERR{REFUSED_STREAM} },
          'the 129th and 130th streams at once are refused (REFUSED_STREAM)');
h2_send($c, join('', map { h2_frame('DATA', 1, 2 * $_ + 1, 'z') } 0 .. 127));
my $done = 0;
h2_wait($c, sub { $done++ if $_[0]{flags} & 1 && $_[0]{stream} <= 255
                             && $_[0]{type} != $TYPE{RST_STREAM};
                  return $done >= 128 }, 10);
is($done, 128, 'the 128 streams allowed are all answered');

# once acknowledged, going past it is the client's protocol error
$c = h2_connect($port);
h2_wait($c, sub { $_[0]{type} == $TYPE{SETTINGS} && !($_[0]{flags} & 1) });
h2_send($c, h2_frame('SETTINGS', 1, 0, ''));
h2_wait($c, sub { $_[0]{type} == $TYPE{SETTINGS} });
open_streams($c, 129);
$g = h2_wait($c, sub { $_[0]{type} == $TYPE{GOAWAY} });
is($g && $g->{code}, $ERR{PROTOCOL_ERROR},
   'a 129th stream once the limit is acknowledged: GOAWAY PROTOCOL_ERROR');
ok(closed($c), 'and the connection is closed');
bystander('streams over the limit');

# --- a body longer than its content-length ---

$before = count_lines("$dir/t.log", qr/^req POST/);
$c = h2_connect($port);
h2_send($c, h2_headers(1, 0, ':method' => 'POST', ':scheme' => 'https',
                       ':path' => '/upload', ':authority' => 'h2.test',
                       'content-length' => '10')
            . h2_frame('DATA', 1, 1, 'x' x 20));
$g = h2_wait($c, sub { $_[0]{stream} == 1
                       && $_[0]{type} == $TYPE{RST_STREAM} });
is($g && $g->{code}, $ERR{PROTOCOL_ERROR},
   'a body longer than content-length: RST_STREAM PROTOCOL_ERROR');
bystander('body over content-length');

# --- the listener's HTTP/2 metrics ---

close $c->{sock};

sub metric {
    my ($name) = @_;
    my $m = `curl -s --max-time 5 http://127.0.0.1:$ap/metrics`;
    return $m =~ /^$name\{[^}]*listener="https"[^}]*\} (\d+)$/m ? $1 : undef;
}

ok(wait_for(sub { defined(metric('weir_listener_h2_active_connections'))
                  && metric('weir_listener_h2_active_connections') == 0
                  && metric('weir_listener_h2_active_streams') == 0 }),
   'no h2 connection nor stream is left open')
    or diag(`curl -s http://127.0.0.1:$ap/metrics | grep h2_active`);
my $conns = metric('weir_listener_h2_connections_total') // 0;
ok($conns >= 15, "weir_listener_h2_connections_total counts them ($conns)");
my $streams = metric('weir_listener_h2_streams_total') // 0;
ok($streams >= 400, "weir_listener_h2_streams_total ($streams)");
my $resets = metric('weir_listener_h2_resets_total') // 0;
ok($resets >= 200 && $resets < 10000,
   "weir_listener_h2_resets_total has the rapid reset's ($resets)");
my $goaways = metric('weir_listener_h2_goaways_total') // 0;
ok($goaways >= 7, "weir_listener_h2_goaways_total has one per attack "
                  . "($goaways)");

check_clean($w);

done_testing();
