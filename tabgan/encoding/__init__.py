"""The table as the networks see it: column codecs, the layout of an encoded row, and the
compact encoded table. See :class:`tabgan.encoding.transformer.TableTransformer`."""
