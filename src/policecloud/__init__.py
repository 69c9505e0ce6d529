"""policecloud: a provincial public-security data platform on one standard, accountable data model."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("policecloud")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
