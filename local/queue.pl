#!/usr/bin/env perl
# queue.pl: run.pl's interface (Kaldi's utils/queue.pl) for Sun/Son of Grid Engine: submits
# the jobs as one array, `qsub -sync y -t 1:N [-tc <max-jobs-run>]`, and waits for it.
#
#   queue.pl [options] [JOB=1:N] <log-file> <command> [<args>...]
#
# Options, logs, --config and --dry-run are those of slurm.pl, which implements both;
# resources map to qsub flags: --mem X -> -l mem_free=X,ram_free=X, --num-threads N ->
# -pe smp N, --gpu N -> -l gpu=N -q g.q, --max-jobs-run L -> -tc L.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);

our $BACKEND = 'sge';
my $impl = dirname(abs_path($0)) . '/slurm.pl';
do $impl;
die "queue.pl: cannot load $impl: " . ($@ || $!) . "\n";
