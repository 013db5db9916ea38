"""Graphs, decoding, lattices and scoring (Kaldi src/fstext, src/decoder, src/lat)."""
