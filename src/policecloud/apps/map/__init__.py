"""The one map (一张图): the dashboard page, its scripts and the province's boundaries. The devices, statistics and
alerts it shows are the alerts app's routes, reached by URL, not by import."""
