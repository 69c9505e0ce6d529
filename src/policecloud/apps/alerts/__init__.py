"""Early warning (预警): event intake, the durable event bus, watchlists, geofences, alerts and push."""
