"""Input: scenario documents read, merged with variants and `--set` patches, validated."""
