"""One router per capability; each route declares its access policy with ``requires``."""
