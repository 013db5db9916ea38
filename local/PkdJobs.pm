# Shared by run.pl and slurm.pl (and so queue.pl).
package PkdJobs;
use strict;
use warnings;
use Exporter qw(import);
our @EXPORT_OK = qw(first_error);

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

1;
