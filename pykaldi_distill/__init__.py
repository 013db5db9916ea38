"""pykaldi_distill: RNN-to-DNN knowledge distillation as Kaldi-style recipe steps.

The Kaldi layer is the k2-fsa wheels (kaldi-hmm-gmm, kaldifst, kaldi-decoder,
kaldi-native-fbank, kaldi-native-io), which wrap Kaldi's C++ code.
"""

__version__ = "0.1.0"
