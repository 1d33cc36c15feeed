"""PreDiff (Gao et al., NeurIPS 2023): frame autoencoder, latent Earthformer-UNet denoiser and knowledge-alignment network."""
