#!/usr/bin/perl
# weir: the source folders are layers (DESIGN.md, source layout):
#
#   core <- event <- stream, http, health, admin, dsr, peers <- proc, ctl
#
# A file may include a header of its own folder or of a folder below it,
# never one above: core knows no event loop, the event loop names no
# protocol, and only process control (proc) knows every part. The
# protocols are siblings; so are the two tops, proc (weir) and ctl
# (weirctl, the admin API's client). A folder not listed here is not
# checked.
use strict;
use warnings;
use File::Basename qw(basename);
use Test::More;

my %rank = (
    core   => 0,
    event  => 1,
    stream => 2, http => 2, health => 2, admin => 2, dsr => 2, peers => 2,
    proc   => 3, ctl => 3,
);

my (%where, @files);

for my $dir (sort glob 'src/*') {
    next unless -d $dir;
    my $folder = basename($dir);
    for my $f (sort glob "$dir/*.[ch]") {
        push @files, [$folder, $f];
        $where{basename($f)} = $folder if $f =~ /\.h$/;
    }
}

ok(@files > 0, 'source files found under src/');

my @back;

for my $file (@files) {
    my ($mine, $f) = @$file;
    next unless exists $rank{$mine};
    open(my $fh, '<', $f) or die "$f: $!";
    while (my $line = <$fh>) {
        next unless $line =~ /^\s*#\s*include\s*"([^"]+)"/;
        my $there = $where{basename($1)};
        next unless defined $there && exists $rank{$there};
        if ($rank{$there} > $rank{$mine}) {
            push @back, "$f:$.: includes $there/" . basename($1)
                . " ($mine may not include $there)";
        }
    }
    close($fh);
}

is(scalar(@back), 0, 'no include runs back up the layers')
    or diag(join("\n", @back));

done_testing();
