"""The user's table, before and after the GAN: metadata, the datetime conversion, sampling
conditions, reading and writing files."""
