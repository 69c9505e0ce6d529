"""The event key index: event tables sorted by key (plate, ID number, phone) and time, partitioned by month and
key bucket, for fast lookups by the dossier and future apps; disposable and rebuilt from the warehouse."""
