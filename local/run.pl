#!/usr/bin/env perl
# run.pl: run a command, or an array of numbered jobs, on this machine, each with a log
# file. Same interface as Kaldi's utils/run.pl (this is our own implementation):
#
#   run.pl [options] [JOB=1:N] <log-file> <command> [<args>...]
#
#   run.pl exp/mono/log/train.log train-mono --nj 4 data exp/mono
#   run.pl JOB=1:4 exp/mono/log/align.JOB.log align-si data/split4/JOB ... \| gzip -c \> ali.JOB.gz
#
# JOB may be any identifier (e.g. LMWT=7:17); every occurrence of it in the log name and the
# command is replaced by the job number. The command words are joined with spaces (words
# containing whitespace are quoted, so a quoted "\|" stays a pipe) and run by `bash -c` with
# stdout and stderr appended to the log, which starts with
#   # <command>
#   # Started at <date>
# and ends with
#   # Accounting: time=<seconds> threads=1
#   # Ended (code <exit-code>) at <date>, elapsed time <seconds> seconds
#
# Options:
#   --max-jobs-run N   at most N jobs at a time (default: the number of CPUs; if there are
#                      slightly more jobs than CPUs, up to 1.4x, all of them). Also -tc N.
#   --mem X, --num-threads N, --gpu N, --config F, and other "-opt value" pairs meant for
#   a grid engine (see slurm.pl / queue.pl) are accepted and ignored.
#
# Exit status 0 if every job succeeded; otherwise 1, after printing
#   run.pl: <k> / <N> failed, log is in <log of the first failed job>
# (or "run.pl: job failed, log is in <log>" for a single job).
use strict;
use warnings;
use POSIX qw(strftime);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use Cwd qw(abs_path);
use lib dirname(abs_path($0));
use PkdJobs qw(first_error parse_job_args quote_arg take_max_jobs);

my $usage = "usage: run.pl [--max-jobs-run N] [JOB=1:N] <log-file> <command> [<args>...]\n";

sub fail { print STDERR "run.pl: $_[0]\n"; exit 1; }

sub now { return strftime("%a %b %e %H:%M:%S %Z %Y", localtime); }

sub num_cpus {
  # nproc respects CPU affinity (containers, taskset) but also OMP_NUM_THREADS, which
  # path.sh sets to 1 for the jobs' own threads: ask it without that.
  my $n = `env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null`;
  return $1 if $n && $n =~ m/^(\d+)/ && $1 > 0;
  if (open(my $fh, '<', '/proc/cpuinfo')) {
    $n = grep { m/^processor\s*:/ } <$fh>;
    close($fh);
    return $n if $n > 0;
  }
  return 32;
}

sub parse_args {
  my %a = (max_jobs => 0);
  my $error = parse_job_args(\%a, sub {
    my ($opt) = @_;
    return if $opt eq '-V';
    if ($opt eq '--max-jobs-run' || $opt eq '-tc') {
      my $problem = take_max_jobs(\%a, $opt, shift @ARGV);
      fail($problem) if $problem;
    } elsif ($opt eq '-pe') {
      splice(@ARGV, 0, 2);  # e.g. -pe smp 4
    } else {
      shift @ARGV;  # a grid option and its value (--mem 2G, --gpu 1 ...): ignored here
    }
  });
  fail($error) if $error;
  @ARGV >= 2 or do { print STDERR $usage; exit 1; };
  return \%a;
}

sub job_log {
  my ($args, $logfile, $id) = @_;
  my $log = $logfile;
  $log =~ s/\Q$args->{jobname}\E/$id/g if defined $args->{jobname};
  return $log;
}

# Run job $id in this (forked) process; returns its exit status ($? form).
sub run_job {
  my ($args, $logfile, $cmd, $id) = @_;
  my $log = job_log($args, $logfile, $id);
  $cmd =~ s/\Q$args->{jobname}\E/$id/g if defined $args->{jobname};
  make_path(dirname($log));
  open(my $fh, '>', $log) or fail("cannot write log file $log: $!");
  print $fh "# $cmd\n# Started at " . now() . "\n#\n";
  close($fh);
  my $t0 = time();
  my $pid = fork();
  defined $pid or fail("cannot fork: $!");
  if ($pid == 0) {
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>>', $log) or die "run.pl: cannot append to $log: $!\n";
    open(STDERR, '>&', \*STDOUT) or die "run.pl: cannot redirect stderr: $!\n";
    exec('bash', '-c', $cmd) or die "run.pl: cannot run bash: $!\n";
  }
  waitpid($pid, 0);
  my $status = $?;
  my $elapsed = time() - $t0;
  my ($code, $signal) = ($status >> 8, $status & 127);
  my $how = $signal ? "code $code; signal $signal" : "code $code";
  open($fh, '>>', $log) or fail("cannot append to log file $log: $!");
  print $fh "# Accounting: time=$elapsed threads=1\n";
  print $fh "# Ended ($how) at " . now() . ", elapsed time $elapsed seconds\n";
  close($fh);
  return $status;
}

sub main {
  @ARGV >= 2 or do { print STDERR $usage; exit 1; };
  my $args = parse_args();
  my $logfile = shift @ARGV;
  my $cmd = join(' ', map { quote_arg($_) } @ARGV);
  my ($jobname, $start, $end) = @{$args}{qw(jobname start end)};
  my $njobs = $end - $start + 1;
  if (defined $jobname && $njobs > 1 && $logfile !~ m/\Q$jobname\E/) {
    fail("you are trying to run a parallel job but you are putting the output "
         . "into just one log file ($logfile)");
  }
  my $max_jobs = $args->{max_jobs};
  if (!$max_jobs) {
    $max_jobs = num_cpus();
    $max_jobs = $njobs if $njobs > $max_jobs && $njobs < 1.4 * $max_jobs;
  }

  my (%running, %status);  # pid -> job id; job id -> exit status
  my $reap = sub {
    my $pid = waitpid(-1, 0);
    fail("error waiting for a job") if $pid <= 0 || !exists $running{$pid};
    $status{ delete $running{$pid} } = $?;
  };
  for my $id ($start .. $end) {
    $reap->() while keys(%running) >= $max_jobs;
    my $pid = fork();
    defined $pid or fail("cannot fork: $!");
    if ($pid == 0) {
      exit(run_job($args, $logfile, $cmd, $id) == 0 ? 0 : 1);
    }
    $running{$pid} = $id;
  }
  $reap->() while %running;

  my @failed = grep { $status{$_} != 0 } ($start .. $end);
  exit 0 unless @failed;
  my $first_log = job_log($args, $logfile, $failed[0]);
  if ($njobs == 1) {
    print STDERR "run.pl: job failed, log is in $first_log\n";
    print STDERR "run.pl: probably you forgot to put JOB=1:\$nj in your script.\n"
      if !defined $jobname && $logfile =~ m/JOB/;
  } else {
    print STDERR "run.pl: " . scalar(@failed) . " / $njobs failed, log is in $first_log\n";
  }
  my $error = first_error($first_log);
  print STDERR "run.pl: $error" if defined $error;
  exit 1;
}

main();
