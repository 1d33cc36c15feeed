"""A ConvLSTM encoder-forecaster: the learned ConvLSTM baseline of the Earthformer paper's tables.

Shi et al. (NeurIPS 2015) replaced the LSTM's matrix products by convolutions; the
encoder-forecaster layout (Shi et al., NeurIPS 2017) encodes the input sequence with stacked
ConvLSTMs and rolls the forecast out from their final states. ``config`` holds
``ConvLSTMConfig`` and its presets; ``cell`` the recurrent cell; ``model`` the network.
"""
