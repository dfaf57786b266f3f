"""The GAN in pure torch (no pandas below this line): configuration, networks, output
activations, the conditional sampler, the training loop, several processes, and the memory
estimate."""
