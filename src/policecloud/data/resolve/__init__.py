"""Master data and entity resolution (一标三实): standard addresses, persons, vehicles, organizations,
houses and phones."""
