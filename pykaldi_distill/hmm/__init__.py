"""HMM structure: transition-id tables and context-dependency trees (Kaldi src/hmm, src/tree)."""
