"""The student outside our decoder: Kaldi nnet3 / Vosk, ONNX and int8, PocketSphinx as a peer."""
