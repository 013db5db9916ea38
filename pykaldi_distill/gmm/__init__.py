"""GMM-HMM training: monophone, triphone, LDA+MLLT, fMLLR, SAT (Kaldi src/gmm, src/transform)."""
