"""The demo: the platform on a generated province, served on localhost (``make demo``)."""
