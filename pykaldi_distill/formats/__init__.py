"""Kaldi file formats: tables and archives, binary objects, models, OpenFst binaries."""
