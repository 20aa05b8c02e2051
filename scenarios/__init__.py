"""Bundled scenario files (YAML); a package only so that they install with dualtrack."""
