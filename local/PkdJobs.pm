# Shared by run.pl and slurm.pl (and so queue.pl).
package PkdJobs;
use strict;
use warnings;
use Exporter qw(import);
our @EXPORT_OK = qw(first_error parse_job_args quote_arg take_max_jobs);

# The first line of a failed job's log that reports an error (our CLIs print "ERROR (<prog>):
# <file>: <problem> (fix: ...)"), else its last line (e.g. a traceback's exception), so the
# console names the user's file, not only the log.
sub first_error {
  my ($log) = @_;
  open(my $fh, '<', $log) or return;
  my $last;
  while (my $line = <$fh>) {
    next if $line =~ /^#/ || $line !~ /\S/;  # run.pl's headers, a CLI's echoed argv
    return $line if $line =~ /\bERROR\b/;
    $last = $line;
  }
  return $last;
}

# Options and JOB=a:b may be interleaved (Kaldi allows "JOB=1:4 --max-jobs-run 2 ...").
# parse_job_args(\%args, $take_option): each option (--name=value split in two) goes to
# $take_option, which shifts its value off @ARGV; the job range goes into $args{jobname,
# start, end}; the log file and command are left in @ARGV. Returns an error message or undef.
sub parse_job_args {
  my ($args, $take_option) = @_;
  @$args{qw(jobname start end)} = (undef, 1, 1);
  for my $round (1 .. 2) {
    while (@ARGV >= 2 && $ARGV[0] =~ m/^-/) {
      my $opt = shift @ARGV;
      unshift(@ARGV, $2), $opt = $1 if $opt =~ m/^(--[^=]+)=(.*)$/;
      $take_option->($opt);
    }
    last unless @ARGV;
    if ($ARGV[0] =~ m/^([A-Za-z_]\w*)=(\d+)(?::(\d+))?$/) {
      @$args{qw(jobname start end)} = ($1, $2, $3 // $2);
      shift @ARGV;
    }
  }
  my ($name, $start, $end) = @$args{qw(jobname start end)};
  return "invalid job range $name=$start:$end" if $start > $end;
  return "invalid job range: the first job must be >= 1" if $start < 1;
  return;
}

# --max-jobs-run N / -tc N: the smallest one given wins. Returns an error message or undef.
sub take_max_jobs {
  my ($args, $opt, $n) = @_;
  return "invalid option $opt $n" unless defined $n && $n =~ m/^\d+$/ && $n > 0;
  $args->{max_jobs} = $n if !$args->{max_jobs} || $n < $args->{max_jobs};
  return;
}

# Kaldi's quoting: bare words pass through (so "|" and ">" act as shell operators), words
# with whitespace are double-quoted, or single-quoted when they contain a double quote.
sub quote_arg {
  my ($x) = @_;
  return $x if $x =~ m/^\S+$/;
  if ($x =~ m/"/) { (my $y = $x) =~ s/'/'\\''/g; return "'$y'"; }
  return "\"$x\"";
}

1;
