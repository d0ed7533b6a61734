"""The goldenimage.azure benchmark (`make bench`): cost per task and per operation."""
