"""Shipped configuration: the default config file, the feed list and the classifier lexicons.

It is a package so that these files travel with an installed aidwatch and are found without
depending on the working directory.
"""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_FILE = CONFIG_DIR / "aidwatch.toml"
DEFAULT_FEEDS_FILE = CONFIG_DIR / "feeds.yaml"
LEXICON_DIR = CONFIG_DIR / "lexicons"
