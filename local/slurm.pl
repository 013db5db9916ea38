#!/usr/bin/env perl
# slurm.pl: run.pl's interface (Kaldi's utils/slurm.pl), running the jobs on a Slurm cluster
# as one job array and waiting for it. Also the implementation behind queue.pl (Grid
# Engine), which sets $BACKEND to "sge" and loads this file.
#
#   slurm.pl [options] [JOB=1:N] <log-file> <command> [<args>...]
#
# submits `sbatch --array=1-N[%limit] --wait <script>`; task i runs the command (with JOB
# replaced by i, quoted as run.pl does) with `bash -c` in the submission directory, after
# sourcing ./path.sh if there is one, and writes the log file (JOB replaced by i) in
# run.pl's format. The script goes to <log-dir>/q/<name>.sh, the scheduler's own output to
# <log-dir>/q/<name>.<task>.out. queue.pl submits `qsub -sync y -t 1:N [-tc limit]`.
#
# Options (Kaldi's names):
#   --max-jobs-run N   at most N tasks at once: sbatch --array=1-N%L / qsub -tc L (also -tc)
#   --mem X            sbatch --mem=X          / qsub -l mem_free=X,ram_free=X
#   --num-threads N    sbatch --cpus-per-task=N / qsub -pe smp N   (and threads=N in logs)
#   --gpu N            sbatch --gres=gpu:N     / qsub -l gpu=N -q g.q
#   --num-nodes N      sbatch --nodes=N --ntasks-per-node=1, and the task runs its command
#                      once on each node with srun (e.g. steps_kd/torchrun.sh); Slurm only
#   --config F         replace the built-in option mapping (below) by Kaldi-style lines:
#                        command <submit command and fixed flags>
#                        option <name>=* <flags using $0 for the value>
#                        option <name>=<value> [<flags>]     (exact value; may be empty)
#                        default <name>=<value>
#   --dry-run          print the submit command and the script, submit nothing, exit 0
#   -x value           other single-dash options go to sbatch/qsub unchanged (-p gpu, -q
#                      all.q, -l arch=*64; -pe smp 4 takes two values)
#
# Exit status 0 when every task's log ends with "# Ended (code 0)"; otherwise 1, after
#   slurm.pl: <k> / <N> failed, log is in <log of the first failed task>
use strict;
use warnings;
use Cwd qw(abs_path getcwd);
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use lib dirname(abs_path($0));
use PkdJobs qw(first_error parse_job_args quote_arg take_max_jobs);

our $BACKEND;
$BACKEND //= 'slurm';

my %BACKENDS = (
  slurm => {
    prog => 'slurm.pl', task_var => 'SLURM_ARRAY_TASK_ID', config => <<'CONF',
command sbatch --export=ALL
option mem=* --mem=$0
option mem=0
option num_threads=* --cpus-per-task=$0
option num_threads=1
option gpu=* --gres=gpu:$0
option gpu=0
default gpu=0
option num_nodes=* --nodes=$0 --ntasks-per-node=1
option num_nodes=1
CONF
  },
  sge => {
    prog => 'queue.pl', task_var => 'SGE_TASK_ID', config => <<'CONF',
command qsub -v PATH -cwd -S /bin/bash -j y
option mem=* -l mem_free=$0,ram_free=$0
option mem=0
option num_threads=* -pe smp $0
option num_threads=1
option gpu=* -l gpu=$0 -q g.q
option gpu=0
default gpu=0
CONF
  },
);
my $B = $BACKENDS{$BACKEND} or die "slurm.pl: unknown backend '$BACKEND'\n";
my $PROG = $B->{prog};

sub fail { print STDERR "$PROG: $_[0]\n"; exit 1; }

# Quote for bash, always (used for the generated script and the printed command).
sub sh_quote {
  my ($x) = @_;
  return $x if $x =~ m{^[\w./:=%,+\-\@]+$};
  (my $y = $x) =~ s/'/'\\''/g;
  return "'$y'";
}

sub parse_args {
  my %a = (max_jobs => 0, dry_run => 0, opts => {}, raw => [], config => undef);
  my $error = parse_job_args(\%a, sub {
    my ($opt) = @_;
    if ($opt eq '--dry-run') { $a{dry_run} = 1; return; }
    if ($opt eq '-V') { push @{$a{raw}}, $opt; return; }
    my $value = shift @ARGV;
    if ($opt eq '--max-jobs-run' || $opt eq '-tc') {
      my $problem = take_max_jobs(\%a, $opt, $value);
      fail($problem) if $problem;
    } elsif ($opt eq '--config') {
      $a{config} = $value;
    } elsif ($opt eq '-sync') {
      # We always wait for the jobs.
    } elsif ($opt =~ m/^--(.+)$/) {
      (my $name = $1) =~ s/-/_/g;
      $a{opts}{$name} = $value;
    } else {
      push @{$a{raw}}, $opt, $value;
      push @{$a{raw}}, shift @ARGV if $opt eq '-pe';  # -pe smp 4
    }
  });
  fail($error) if $error;
  @ARGV >= 2 or fail("usage: $PROG [options] [JOB=1:N] <log-file> <command> [<args>...]");
  return \%a;
}

# Kaldi-style config: returns (command words, {name=value => flags}, {name => default}).
sub read_config {
  my ($file) = @_;
  my $text = $B->{config};
  if (defined $file) {
    open(my $fh, '<', $file) or fail("cannot read config file $file: $!");
    local $/;
    $text = <$fh>;
    close($fh);
  }
  my (@command, %option, %default);
  for my $line (split /\n/, $text) {
    $line =~ s/#.*//;
    my ($kind, $rest) = $line =~ m/^\s*(\S+)\s*(.*?)\s*$/ or next;
    if ($kind eq 'command') {
      @command = split ' ', $rest;
    } elsif ($kind eq 'option' && $rest =~ m/^(\w+)=(\S+)\s*(.*)$/) {
      $option{"$1=$2"} = $3;
    } elsif ($kind eq 'default' && $rest =~ m/^(\w+)=(\S+)$/) {
      $default{$1} = $2;
    } else {
      fail("bad line in config " . ($file // '(built-in)') . ": $line");
    }
  }
  @command or fail("no 'command' line in config " . ($file // '(built-in)'));
  return (\@command, \%option, \%default);
}

# Flags for the resource options, e.g. {mem => "2G"} -> ("--mem=2G").
sub resource_flags {
  my ($args, $option, $default) = @_;
  my %given = (%$default, %{$args->{opts}});
  my @flags;
  for my $name (sort keys %given) {
    my $value = $given{$name};
    my $flags = $option->{"$name=$value"};
    if (!defined $flags) {
      $flags = $option->{"$name=*"};
      defined $flags or fail("unknown option --$name (the config has no 'option $name=' line)");
      $flags =~ s/\$0/$value/g;
    }
    push @flags, split(' ', $flags);
  }
  return @flags;
}

sub job_name {
  my ($args, $logfile) = @_;
  my $name = basename($logfile);
  $name =~ s/\.?\Q$args->{jobname}\E//g if defined $args->{jobname};
  $name =~ s/\.log$//;
  $name =~ s/[^\w.\-]/_/g;
  $name = "job$name" if $name !~ m/^[A-Za-z]/;
  return $name;
}

sub submit_command {
  my ($args, $command, $flags, $qdir, $name, $script) = @_;
  my ($s, $e, $l) = @{$args}{qw(start end max_jobs)};
  my $array = defined $args->{jobname};
  my @cmd = (@$command, @$flags, @{$args->{raw}});
  if ($BACKEND eq 'slurm') {
    push @cmd, "--job-name=$name", "--output=$qdir/$name." . ($array ? '%a' : '%j') . '.out';
    push @cmd, "--array=$s-$e" . ($l ? "%$l" : '') if $array;
    push @cmd, '--wait';
  } else {
    push @cmd, '-N', $name, '-o', "$qdir/$name." . ($array ? '$TASK_ID' : '$JOB_ID') . '.out';
    push @cmd, '-t', "$s:$e" if $array;
    push @cmd, '-tc', $l if $array && $l;
    push @cmd, '-sync', 'y';
  }
  return (@cmd, $script);
}

sub task_script {
  my ($args, $logfile, $cmd, $threads) = @_;
  my $job = $args->{jobname};
  my $nodes = $args->{opts}{num_nodes} // 1;
  my $launch = $nodes > 1 ? "srun --nodes=$nodes --ntasks-per-node=1 bash -c" : 'bash -c';
  my $subst = defined $job
    ? "id=\${$B->{task_var}:?not running as an array task}\n"
      . "cmd=\${cmd//$job/\$id}\nlog=\${log//$job/\$id}\n"
    : '';
  return <<"SCRIPT";
#!/bin/bash
# Generated by $PROG; one task of: $PROG @{[ defined $job ? "$job=$args->{start}:$args->{end} " : '' ]}$logfile ...
cd @{[ sh_quote(getcwd()) ]} || exit 1
[ -f ./path.sh ] && . ./path.sh
cmd=@{[ sh_quote($cmd) ]}
log=@{[ sh_quote($logfile) ]}
${subst}mkdir -p "\$(dirname "\$log")" || exit 1
{
  printf '# %s\\n' "\$cmd"
  echo "# Running on \$(hostname)"
  echo "# Started at \$(date)"
  echo "#"
} > "\$log"
t0=\$(date +%s)
$launch "\$cmd" < /dev/null >> "\$log" 2>&1
ret=\$?
t1=\$(date +%s)
echo "# Accounting: time=\$((t1 - t0)) threads=$threads" >> "\$log"
echo "# Ended (code \$ret) at \$(date), elapsed time \$((t1 - t0)) seconds" >> "\$log"
exit \$ret
SCRIPT
}

sub task_log {
  my ($args, $logfile, $id) = @_;
  my $log = $logfile;
  $log =~ s/\Q$args->{jobname}\E/$id/g if defined $args->{jobname};
  return $log;
}

sub task_ok {
  my ($log) = @_;
  open(my $fh, '<', $log) or return 0;
  my $ended;
  while (my $line = <$fh>) { $ended = $1 if $line =~ m/^# Ended \(code (\d+)/; }
  close($fh);
  return defined $ended && $ended == 0;
}

sub main {
  my $args = parse_args();
  my $logfile = shift @ARGV;
  my $cmd = join(' ', map { quote_arg($_) } @ARGV);
  my $njobs = $args->{end} - $args->{start} + 1;
  if (defined $args->{jobname} && $njobs > 1 && $logfile !~ m/\Q$args->{jobname}\E/) {
    fail("you are trying to run a parallel job but you are putting the output "
         . "into just one log file ($logfile)");
  }
  if (($args->{opts}{num_nodes} // 1) > 1 && $BACKEND ne 'slurm') {
    fail("--num-nodes $args->{opts}{num_nodes}: $PROG runs a task on one node; use slurm.pl");
  }
  my ($command, $option, $default) = read_config($args->{config});
  my @flags = resource_flags($args, $option, $default);
  my $threads = $args->{opts}{num_threads} // 1;
  my $qdir = dirname($logfile) . '/q';
  my $name = job_name($args, $logfile);
  my $script_file = "$qdir/$name.sh";
  my @submit = submit_command($args, $command, \@flags, $qdir, $name, $script_file);
  my $script = task_script($args, $logfile, $cmd, $threads);

  if ($args->{dry_run}) {
    print '# ' . join(' ', map { sh_quote($_) } @submit) . "\n$script";
    exit 0;
  }
  make_path($qdir);
  open(my $fh, '>', $script_file) or fail("cannot write $script_file: $!");
  print $fh $script;
  close($fh);
  chmod(0755, $script_file);
  unlink(map { task_log($args, $logfile, $_) } $args->{start} .. $args->{end});
  system(@submit);
  my $rc = $?;
  fail("cannot run $submit[0]: $!") if $rc == -1;

  my @failed = grep { !task_ok(task_log($args, $logfile, $_)) } $args->{start} .. $args->{end};
  if (@failed) {
    my $log = task_log($args, $logfile, $failed[0]);
    my $error = first_error($log);
    print STDERR "$PROG: $error" if defined $error;
    fail("job failed, log is in $log") if $njobs == 1;
    fail(scalar(@failed) . " / $njobs failed, log is in $log");
  }
  fail("$submit[0] exited with code " . ($rc >> 8) . " (see $qdir)") if $rc != 0;
  exit 0;
}

main();
