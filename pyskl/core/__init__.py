"""The torch-free core: skeleton layouts, annotation / result file I/O and validation, the seed/key protocol,
config resolution and atomic file writes. Imports numpy, mmengine.config and the standard library only."""
