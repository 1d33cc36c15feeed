"""A small 2-D UNet forecaster: the learned UNet baseline of the Earthformer paper's tables.

Input frames are stacked as channels and every output frame is predicted at once
(Ronneberger et al. 2015, used for nowcasting by Agrawal et al. 2019 and as the UNet row of
Gao et al., NeurIPS 2022). ``config`` holds ``UNetConfig`` and its presets; ``model`` the network.
"""
